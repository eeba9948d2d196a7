"""Findings on live resources (untagged, stopped with volumes, unattached, empty, idle), and the
idle ones handed to the costs app as savings opportunities."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.costs.ownership import TeamResolver
from apps.infra.models import Finding, Resource
from apps.infra.services._common import BATCH


# == Findings ======================================================================================
def _older_than(stamp: str | None, *, days: int, now: datetime) -> bool:
    """True when the ISO time ``stamp`` (Lambda's LastModified) is more than ``days`` old; a
    function changed recently is not called idle just because it has not run yet."""
    if not stamp:
        return False
    parsed = parse_datetime(str(stamp).replace("+0000", "+00:00"))
    if parsed is None:
        return False
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed < now - timedelta(days=days)


def _detect(resource: Resource, resolver: TeamResolver, now: datetime) -> dict[str, str]:
    found: dict[str, str] = {}
    if resolver.team_for_tags(resource.tags) is None:
        found[Finding.Kind.UNTAGGED] = ("No owner tag; owner from the account's default team."
                                        if resource.owner_team_id else "No owner tag and no account default team.")
    details = resource.details or {}
    if resource.kind == Resource.Kind.EC2_INSTANCE and resource.state == "stopped" and details.get("volume_ids"):
        found[Finding.Kind.STOPPED_WITH_VOLUMES] = f"Stopped, holding {len(details['volume_ids'])} volume(s)."
    if resource.kind == Resource.Kind.EBS_VOLUME and resource.state == "available":
        found[Finding.Kind.UNATTACHED_VOLUME] = f"Unattached {resource.size}."
    if resource.kind == Resource.Kind.S3_BUCKET and details.get("empty") is True:
        found[Finding.Kind.EMPTY_BUCKET] = "The bucket holds no object."
    if (resource.kind == Resource.Kind.LAMBDA_FUNCTION and details.get("invocations_30d") == 0
            and _older_than(details.get("last_modified"), days=30, now=now)):
        found[Finding.Kind.IDLE_FUNCTION] = "No invocation in the last 30 days."
    return found


@transaction.atomic
def _feed_savings() -> None:
    """Idle findings become the costs app's savings opportunities (its service owns that write)."""
    from apps.costs import services as cost_services

    cost_services.savings_from_idle_findings()


def findings_refresh(*, now: datetime | None = None, resolver: TeamResolver | None = None) -> dict[str, int]:
    """Recompute the findings of every live resource. Idempotent: an unchanged inventory
    changes no finding; a problem that went away is resolved, one that returns is reopened."""
    now = now or timezone.now()
    resolver = resolver or TeamResolver()
    desired: dict[tuple[int, str], tuple[int | None, str]] = {}
    live = Resource.objects.filter(gone_at__isnull=True).only("id", "kind", "state", "tags", "details",
                                                              "owner_team_id", "size")
    for resource in live.iterator(chunk_size=2000):
        for kind, detail in _detect(resource, resolver, now).items():
            desired[(resource.pk, kind)] = (resource.owner_team_id, detail[:255])
    counts = {"opened": 0, "resolved": 0, "updated": 0}
    to_update: list[Finding] = []
    for finding in Finding.objects.all().iterator(chunk_size=2000):
        key = (finding.resource_id, finding.kind)
        want = desired.pop(key, None)
        if want is None:
            if finding.resolved_at is None:
                finding.resolved_at = now
                to_update.append(finding)
                counts["resolved"] += 1
            continue
        team_id, detail = want
        if finding.resolved_at is not None or finding.team_id != team_id or finding.detail != detail:
            counts["opened" if finding.resolved_at is not None else "updated"] += 1
            finding.resolved_at, finding.team_id, finding.detail = None, team_id, detail
            to_update.append(finding)
    Finding.objects.bulk_update(to_update, ["resolved_at", "team", "detail"], batch_size=BATCH)
    Finding.objects.bulk_create(
        [Finding(resource_id=rid, kind=kind, team_id=team_id, detail=detail, first_detected_at=now)
         for (rid, kind), (team_id, detail) in desired.items()],
        batch_size=BATCH,
    )
    counts["opened"] += len(desired)
    return counts
