"""The inventory sync: every enabled account and region through ``sources``, upserted by ARN and
recorded on a SyncRun; starting one from a page, the API, a task or a management command."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core import services as core_services
from apps.core.access import Actor
from apps.core.aws import AwsSession, CallCounter
from apps.core.models import SyncRun
from apps.costs.models import AwsAccount
from apps.costs.ownership import TeamResolver
from apps.infra import policy, sources
from apps.infra.models import REQUEST_TAG_KEY, InfraRequest, Resource
from apps.infra.services._common import BATCH, WorkflowConflict
from apps.infra.services.findings import _feed_savings, findings_refresh

INVENTORY_KIND = "infra_inventory"
DEFAULT_REGIONS = ("us-east-1", "eu-west-1")

SessionFactory = Callable[[AwsAccount, CallCounter], AwsSession]


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
