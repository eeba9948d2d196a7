"""Thin Celery tasks around the inventory sync service."""
from __future__ import annotations

from celery import shared_task

from apps.core import services as core_services
from apps.core.models import SyncRun
from apps.costs.models import AwsAccount
from apps.infra import services


@shared_task(name="infra.inventory_sync_task")
def inventory_sync_task(run_id: int) -> None:
    """Run the sync recorded on the SyncRun. Safe to re-deliver: the sync is an idempotent
    upsert keyed by ARN, so running it again after a crash gives the same inventory."""
    run = SyncRun.objects.get(pk=run_id)
    if run.status == SyncRun.Status.SUCCEEDED:
        return
    ids = run.params.get("account_ids") or []
    accounts = list(AwsAccount.objects.filter(enabled=True, account_id__in=ids)) if ids else None
    services.inventory_sync(run=run, accounts=accounts)


@shared_task(name="infra.inventory_sync_scheduled_task")
def inventory_sync_scheduled_task() -> int | None:
    """The hourly beat entry: a new SyncRun for every enabled account, unless a sync started
    in the last two hours is still queued or running (then this tick is skipped)."""
    if services.inventory_sync_in_progress():
        return None
    run = core_services.syncrun_create(kind=services.INVENTORY_KIND, params={"scheduled": True})
    services.inventory_sync(run=run)
    return run.pk
