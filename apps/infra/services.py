"""Every write in infra: the inventory sync, findings, and the request workflow.
Check (permission, validation), then do, in one transaction."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.core import services as core_services
from apps.core.access import Actor
from apps.core.aws import AwsSession, CallCounter
from apps.core.currencies import ISO_4217
from apps.core.models import SyncRun
from apps.costs.models import AwsAccount
from apps.costs.ownership import TeamResolver
from apps.infra import policy, sources
from apps.infra.models import (
    REQUEST_TAG_KEY,
    SLA_WORKING_DAYS,
    Finding,
    InfraRequest,
    InfraRequestComment,
    InfraRequestEvent,
    Resource,
)
from apps.org.models import Team

INVENTORY_KIND = "infra_inventory"
DEFAULT_REGIONS = ("us-east-1", "eu-west-1")
BATCH = 500

SessionFactory = Callable[[AwsAccount, CallCounter], AwsSession]


class WorkflowConflict(ValidationError):
    """The object is not in a state that allows this step (the API answers 409)."""


# == Inventory sync ===============================================================================
def default_regions() -> list[str]:
    """Regions inventoried for an account that lists none (settings.AWS_INVENTORY_REGIONS if set)."""
    return list(getattr(settings, "AWS_INVENTORY_REGIONS", None) or DEFAULT_REGIONS)


def account_regions(account: AwsAccount) -> list[str]:
    return [str(r) for r in (account.regions or default_regions())]


def default_session_factory(account: AwsAccount, counter: CallCounter) -> AwsSession:
    return sources.open_session(role_arn=account.role_arn, external_id=account.external_id, counter=counter)


@dataclass
class SyncStats:
    created: int = 0
    updated: int = 0
    restored: int = 0
    gone: int = 0
    unchanged: int = 0
    scopes_ok: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.created + self.updated + self.gone

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "restored": self.restored, "gone": self.gone,
                "unchanged": self.unchanged, "errors": list(self.errors)}


_REQUEST_REF = re.compile(r"^\s*(?:REQ-?)?(\d+)\s*$", re.IGNORECASE)


def _request_id_from_tags(tags: dict, request_ids: set[int]) -> int | None:
    for key, value in tags.items():
        if str(key).lower() == REQUEST_TAG_KEY:
            match = _REQUEST_REF.match(str(value))
            if match and int(match.group(1)) in request_ids:
                return int(match.group(1))
    return None


SYNCED_FIELDS = ("resource_id", "kind", "name", "region", "state", "size", "tags", "details", "owner_team_id",
                 "account_id")


def _apply_scope(*, account: AwsAccount, kinds: Iterable[str], region: str | None,
                 records: list[sources.ResourceRecord], now: datetime, resolver: TeamResolver,
                 request_ids: set[int], stats: SyncStats) -> None:
    """Upsert one successfully listed scope (account x kinds [x region]) and mark what it no
    longer lists as gone. Idempotent: rows are compared field by field and only changed rows
    are written; ``last_seen`` moves forward with one UPDATE."""
    with transaction.atomic():
        scope = Resource.objects.filter(account=account, kind__in=list(kinds))
        if region is not None:
            scope = scope.filter(region=region)
        existing = {r.arn: r for r in scope}
        outside = [rec.arn for rec in records if rec.arn not in existing]
        for start in range(0, len(outside), BATCH):  # an ARN seen before under another account/region
            existing.update({r.arn: r for r in Resource.objects.filter(arn__in=outside[start:start + BATCH])})
        to_create: list[Resource] = []
        to_update: list[Resource] = []
        update_fields: set[str] = set()
        seen: set[str] = set()
        for rec in records:
            if rec.arn in seen:
                continue
            seen.add(rec.arn)
            team = resolver.resolve(rec.tags, account)
            values = {
                "resource_id": rec.resource_id[:255], "kind": rec.kind, "name": rec.name[:255], "region": rec.region,
                "state": rec.state[:64], "size": rec.size[:128], "tags": rec.tags, "details": rec.details,
                "owner_team_id": team.pk if team else None, "account_id": account.pk,
            }
            request_id = _request_id_from_tags(rec.tags, request_ids)
            obj = existing.get(rec.arn)
            if obj is None:
                to_create.append(Resource(
                    arn=rec.arn, first_seen=now, last_seen=now, request_id=request_id,
                    request_link=Resource.Link.TAG if request_id else Resource.Link.NONE, **values,
                ))
                continue
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            for name in changed:
                setattr(obj, name, values[name])
            if obj.gone_at is not None:
                obj.gone_at = None
                changed.append("gone_at")
                stats.restored += 1
            if request_id and obj.request_id != request_id:
                obj.request_id, obj.request_link = request_id, Resource.Link.TAG
                changed += ["request_id", "request_link"]
            if changed:
                obj.updated_at = now
                obj.last_seen = now
                to_update.append(obj)
                update_fields.update(changed)
            else:
                stats.unchanged += 1
        Resource.objects.bulk_create(to_create, batch_size=BATCH)
        if to_update:
            fields = sorted({"request" if f == "request_id" else ("owner_team" if f == "owner_team_id" else
                             ("account" if f == "account_id" else f)) for f in update_fields}
                            | {"updated_at", "last_seen"})
            Resource.objects.bulk_update(to_update, fields, batch_size=BATCH)
        gone_ids = [r.pk for arn, r in existing.items() if arn not in seen and r.gone_at is None
                    and r.account_id == account.pk and r.kind in kinds and (region is None or r.region == region)]
        for start in range(0, len(gone_ids), BATCH):
            Resource.objects.filter(pk__in=gone_ids[start:start + BATCH]).update(gone_at=now, updated_at=now)
        # Everything live in the scope was just seen.
        scope.filter(gone_at__isnull=True).update(last_seen=now)
        stats.created += len(to_create)
        stats.updated += len(to_update)
        stats.gone += len(gone_ids)


def inventory_sync(*, run: SyncRun, accounts: Iterable[AwsAccount] | None = None,
                   session_factory: SessionFactory | None = None,
                   progress: Callable[[int, int, str], None] | None = None) -> SyncStats:
    """Inventory every enabled account (or ``accounts``) in each of its regions, writing
    progress to ``run``. A failing account, region or service is recorded on the run (its
    resources are left as they were, not marked gone) and the rest goes on. The run fails only
    when nothing at all could be read. Findings are refreshed at the end."""
    factory = session_factory or default_session_factory
    if accounts is None:
        accounts = AwsAccount.objects.filter(enabled=True)
    plan = [(account, account_regions(account)) for account in accounts]
    total = sum(len(regions) + 1 for _, regions in plan)
    core_services.syncrun_start(run=run, total=total)
    stats = SyncStats()
    counter = CallCounter()
    try:
        resolver = TeamResolver()
        request_ids = set(InfraRequest.objects.values_list("id", flat=True))
        now = timezone.now()
        done = 0
        reported_calls = 0

        def report(message: str) -> None:
            nonlocal reported_calls
            calls = counter.count - reported_calls
            reported_calls = counter.count
            core_services.syncrun_progress(run=run, done=done, aws_calls=calls, message=message)
            if progress:
                progress(done, total, message)

        for account, regions in plan:
            label = f"{account.name} ({account.account_id})"
            try:
                session = factory(account, counter)
            except (ClientError, BotoCoreError) as exc:
                stats.errors.append(f"{label}: cannot open a session: {sources.describe_error(exc)}")
                done += len(regions) + 1
                report(f"{label}: skipped")
                continue
            for region in (None, *regions):
                fetchers = sources.GLOBAL_FETCHERS if region is None else sources.REGIONAL_FETCHERS
                for fetcher in fetchers:
                    try:
                        records = fetcher.fetch(session, account_id=account.account_id, region=region)
                    except (ClientError, BotoCoreError) as exc:
                        where = f"{label} {region or 'global'} {fetcher.service}"
                        stats.errors.append(f"{where}: {sources.describe_error(exc)}")
                        continue
                    rows_before = stats.written
                    _apply_scope(account=account, kinds=fetcher.kinds, region=region, records=records, now=now,
                                 resolver=resolver, request_ids=request_ids, stats=stats)
                    stats.scopes_ok += 1
                    core_services.syncrun_progress(run=run, rows=stats.written - rows_before)
                done += 1
                report(f"{label} {region or 'global'}")
        findings_refresh(now=now, resolver=resolver)
        _feed_savings()
    except Exception as exc:
        core_services.syncrun_fail(run=run, error="\n".join([*stats.errors, f"Unexpected error: {exc!r}"]))
        raise
    if stats.errors:
        SyncRun.objects.filter(pk=run.pk).update(error="\n".join(stats.errors))
    summary = (f"{stats.created} new, {stats.updated} changed, {stats.gone} gone, {stats.unchanged} unchanged"
               + (f", {len(stats.errors)} errors" if stats.errors else ""))
    if stats.errors and stats.scopes_ok == 0:
        core_services.syncrun_fail(run=run, error="\n".join(stats.errors))
    else:
        core_services.syncrun_succeed(run=run, result=stats.as_dict(), message=summary)
    return stats


def inventory_sync_run(*, account_ids: Iterable[str] | None = None, user=None,
                       progress: Callable[[int, int, str], None] | None = None,
                       session_factory: SessionFactory | None = None) -> SyncRun:
    """Create a SyncRun and run the inventory sync now, in this process (management commands,
    ``sync_aws --inventory``). Returns the finished run."""
    accounts = _accounts_for(account_ids)
    run = core_services.syncrun_create(kind=INVENTORY_KIND, user=user,
                                       params={"account_ids": sorted(a.account_id for a in accounts)
                                               if account_ids else []})
    inventory_sync(run=run, accounts=accounts, progress=progress, session_factory=session_factory)
    run.refresh_from_db()
    return run


def _accounts_for(account_ids: Iterable[str] | None) -> list[AwsAccount]:
    enabled = AwsAccount.objects.filter(enabled=True).order_by("account_id")
    if not account_ids:
        return list(enabled)
    wanted = sorted({str(a).strip() for a in account_ids if str(a).strip()})
    found = list(enabled.filter(account_id__in=wanted))
    missing = sorted(set(wanted) - {a.account_id for a in found})
    if missing:
        raise ValidationError({"accounts": f"No enabled AWS account with id {', '.join(missing)}."})
    return found


def inventory_sync_in_progress() -> bool:
    """A sync created in the last two hours is queued or running (older ones are presumed dead)."""
    recent = timezone.now() - timedelta(hours=2)
    return SyncRun.objects.filter(kind=INVENTORY_KIND, status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING],
                                  created_at__gte=recent).exists()


def inventory_sync_start(*, actor: Actor, account_ids: Iterable[str] | None = None) -> SyncRun:
    """Queue an inventory sync (Celery) and return its SyncRun. One at a time: a second start
    while one is queued or running is a conflict."""
    if not policy.can_sync(actor):
        raise PermissionDenied("Only the CTO may start an inventory sync.")
    accounts = _accounts_for(account_ids)
    if inventory_sync_in_progress():
        raise WorkflowConflict("An inventory sync is already queued or running.")
    run = core_services.syncrun_create(
        kind=INVENTORY_KIND, user=actor.user,
        params={"account_ids": [a.account_id for a in accounts] if account_ids else []},
    )
    from apps.infra import tasks

    transaction.on_commit(lambda: tasks.inventory_sync_task.delay(run.pk))
    return run


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


# == Infrastructure requests ========================================================================
def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Saturday and Sunday skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def _event(*, request: InfraRequest, actor: Actor, action: str, from_status: str = "", to_status: str = "",
           note: str = "") -> InfraRequestEvent:
    label = str(actor.person) if actor.person else (actor.user.get_username() if actor.user else "system")
    return InfraRequestEvent.objects.create(
        request=request, actor=actor.user if getattr(actor.user, "pk", None) else None, actor_label=label[:150],
        action=action, from_status=from_status, to_status=to_status, note=note,
    )


def _clean_money(value) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"estimated_monthly_cost": "Enter an amount such as 120.50."}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({"estimated_monthly_cost": "The estimated monthly cost cannot be negative."})
    if amount >= Decimal("10000000000"):
        raise ValidationError({"estimated_monthly_cost": "The estimated monthly cost is too large."})
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def infra_request_create(*, actor: Actor, title: str, team: Team | None, kind: str, description: str,
                         estimated_monthly_cost=Decimal("0"), currency: str | None = None,
                         needed_by: date | None = None) -> InfraRequest:
    if not policy.can_create_request(actor):
        raise PermissionDenied("Your role may not file infrastructure requests.")
    if actor.person is None:
        raise ValidationError("Only people in the org may file requests (your account has no person record).")
    errors: dict[str, str] = {}
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        errors["title"] = "Give the request a short title."
    elif len(title) > 200:
        errors["title"] = "The title is longer than 200 characters."
    if not description:
        errors["description"] = "Describe what is needed and why."
    if kind not in InfraRequest.Kind.values:
        errors["kind"] = f"Choose one of: {', '.join(InfraRequest.Kind.values)}."
    if team is None:
        errors["team"] = "Choose the team the request is for."
    elif not policy.can_request_for_team(actor, team.pk):
        errors["team"] = "You may only file requests for your own team(s)."
    currency = (currency or settings.REPORTING_CURRENCY).strip().upper()
    if currency not in ISO_4217:
        errors["currency"] = "Use an ISO 4217 currency code in use, such as USD."
    if needed_by is not None and needed_by < timezone.localdate():
        errors["needed_by"] = "The needed-by date is in the past."
    try:
        amount = _clean_money(estimated_monthly_cost)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        amount = Decimal("0")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    request = InfraRequest.objects.create(
        title=title, requester=actor.person, team=team, kind=kind, description=description,
        estimated_monthly_cost=amount, currency=currency, needed_by=needed_by,
        due_at=add_working_days(now, SLA_WORKING_DAYS),
    )
    _event(request=request, actor=actor, action=InfraRequestEvent.Action.SUBMITTED,
           to_status=InfraRequest.Status.SUBMITTED)
    return request


def _lock(request: InfraRequest) -> InfraRequest:
    return InfraRequest.objects.select_for_update().get(pk=request.pk)


def _decide(*, actor: Actor, request: InfraRequest, to_status: str, note: str) -> InfraRequest:
    if not policy.can_decide(actor):
        raise PermissionDenied("Only the CTO approves or rejects infrastructure requests.")
    locked = _lock(request)
    if actor.person_id is not None and locked.requester_id == actor.person_id:
        raise PermissionDenied("You cannot decide on your own request.")
    if locked.status != InfraRequest.Status.SUBMITTED:
        raise WorkflowConflict({"status": f"The request is {locked.get_status_display().lower()} already."})
    previous = locked.status
    locked.status = to_status
    locked.decided_by = actor.person
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    _event(request=locked, actor=actor, action=to_status, from_status=previous, to_status=to_status, note=note)
    return locked


@transaction.atomic
def infra_request_approve(*, actor: Actor, request: InfraRequest, note: str = "") -> InfraRequest:
    return _decide(actor=actor, request=request, to_status=InfraRequest.Status.APPROVED, note=(note or "").strip())


@transaction.atomic
def infra_request_reject(*, actor: Actor, request: InfraRequest, note: str = "") -> InfraRequest:
    note = (note or "").strip()
    if not note:
        if not policy.can_decide(actor):
            raise PermissionDenied("Only the CTO approves or rejects infrastructure requests.")
        raise ValidationError({"note": "Say why the request is rejected."})
    return _decide(actor=actor, request=request, to_status=InfraRequest.Status.REJECTED, note=note)


def _link(*, actor: Actor, request: InfraRequest, resources: Iterable[Resource]) -> int:
    ids = sorted({r.pk for r in resources})
    if not ids:
        return 0
    clash = Resource.objects.filter(pk__in=ids, request__isnull=False).exclude(request=request)
    if clash.exists():
        names = ", ".join(str(r) for r in clash[:5])
        raise ValidationError({"resources": f"Already linked to another request: {names}."})
    linked = Resource.objects.filter(pk__in=ids).exclude(request=request).update(
        request=request, request_link=Resource.Link.MANUAL, updated_at=timezone.now())
    if linked:
        names = ", ".join(Resource.objects.filter(pk__in=ids).order_by("pk").values_list("arn", flat=True)[:20])
        _event(request=request, actor=actor, action=InfraRequestEvent.Action.LINKED, note=names)
    return linked


@transaction.atomic
def infra_request_provision(*, actor: Actor, request: InfraRequest, resources: Iterable[Resource] = (),
                            note: str = "") -> InfraRequest:
    """Mark an approved request provisioned, linking the resources that fulfil it."""
    if not policy.can_decide(actor):
        raise PermissionDenied("Only the CTO marks requests provisioned.")
    locked = _lock(request)
    if locked.status != InfraRequest.Status.APPROVED:
        raise WorkflowConflict({"status": f"Only an approved request can be provisioned; this one is "
                                          f"{locked.get_status_display().lower()}."})
    _link(actor=actor, request=locked, resources=resources)
    locked.status = InfraRequest.Status.PROVISIONED
    locked.provisioned_by = actor.person
    locked.provisioned_at = timezone.now()
    locked.save(update_fields=["status", "provisioned_by", "provisioned_at", "updated_at"])
    _event(request=locked, actor=actor, action=InfraRequestEvent.Action.PROVISIONED,
           from_status=InfraRequest.Status.APPROVED, to_status=InfraRequest.Status.PROVISIONED, note=(note or "").strip())
    return locked


@transaction.atomic
def infra_request_link_resources(*, actor: Actor, request: InfraRequest, resources: Iterable[Resource]) -> int:
    if not policy.can_decide(actor):
        raise PermissionDenied("Only the CTO links resources to requests.")
    locked = _lock(request)
    if locked.status not in (InfraRequest.Status.APPROVED, InfraRequest.Status.PROVISIONED):
        raise WorkflowConflict({"status": "Resources can be linked only to approved or provisioned requests."})
    resources = list(resources)
    if not resources:
        raise ValidationError({"resources": "Choose at least one resource."})
    return _link(actor=actor, request=locked, resources=resources)


@transaction.atomic
def infra_request_comment(*, actor: Actor, request: InfraRequest, body: str) -> InfraRequestComment:
    """Comment on a request the actor can see (callers fetch it through the selector)."""
    if actor.person is None or actor.is_service:
        raise PermissionDenied("Only people in the org may comment.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "The comment is empty."})
    if len(body) > 10_000:
        raise ValidationError({"body": "The comment is longer than 10,000 characters."})
    comment = InfraRequestComment.objects.create(request=request, author=actor.person, body=body)
    _event(request=request, actor=actor, action=InfraRequestEvent.Action.COMMENTED, note=body[:500])
    return comment


def inventory_sync_command(command, *, account_ids: list[str] | None = None) -> bool:
    """``sync_aws --inventory`` (the costs app's command) delegates here: the same run, the same
    terminal progress bar as ``sync_inventory``. Returns False when the sync failed."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    args = [arg for account in (account_ids or []) for arg in ("--account", account)]
    try:
        call_command("sync_inventory", *args, stdout=command.stdout._out, stderr=command.stderr._out)
    except CommandError as exc:
        command.stderr.write(str(exc))
        return False
    return True
