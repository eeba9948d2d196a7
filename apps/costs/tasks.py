"""Thin Celery tasks: reload the SyncRun, call one service, record the outcome on the run."""
from __future__ import annotations

from celery import shared_task
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from apps.core import services as core_services
from apps.core.access import get_actor
from apps.core.models import SyncRun
from apps.costs import services
from apps.costs.models import CostUpload

COST_IMPORT = "cost_import"
COST_SYNC = "cost_explorer_sync"


class ProgressWriter:
    """Writes an import's progress to its SyncRun on a connection of its own (PostgreSQL), so the
    polling page sees it while the import's single transaction is still open. SQLite (dev, eager
    tasks) allows one writer at a time: there the progress goes through the main connection."""

    def __init__(self, run: SyncRun) -> None:
        self.run = run
        self.conn = connections.create_connection(DEFAULT_DB_ALIAS) if connection.vendor == "postgresql" else None

    def __call__(self, done_kb: int, total_kb: int | None, rows: int) -> None:
        done = min(done_kb, total_kb or done_kb)
        message = f"{rows} rows read"
        if self.conn is None:
            core_services.syncrun_progress(run=self.run, done=done, total=total_kb, message=message)
            return
        with self.conn.cursor() as cursor:  # the table name is the model's; values are bound
            sql = f"UPDATE {SyncRun._meta.db_table} SET done = %s, total = %s, message = %s WHERE id = %s"  # nosec B608
            cursor.execute(sql,
                           [done, total_kb, message, self.run.pk])

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _actor_for(run: SyncRun):
    return get_actor(run.started_by) if run.started_by_id else services.SYSTEM


@shared_task(name="costs.import_upload_task")
def import_upload_task(run_id: int) -> None:
    """Import the uploaded file held on ``run.params['upload_id']``. Safe to re-deliver: the
    import replaces whole billing periods in one transaction, and a finished run is skipped."""
    run = SyncRun.objects.select_related("started_by").get(pk=run_id)
    if run.is_finished:
        return
    core_services.syncrun_start(run=run)
    upload = CostUpload.objects.filter(pk=run.params.get("upload_id")).first()
    if upload is None:
        core_services.syncrun_fail(run=run, error="The uploaded file is gone (already imported?).")
        return

    progress = ProgressWriter(run)
    try:
        with core_services.syncrun_failures(run=run, nothing_changed="Nothing was imported.") as outcome:
            result = services.cost_upload_import(actor=_actor_for(run), upload=upload, progress=progress)
    finally:
        progress.close()
    if outcome.failed:  # a bad file: nothing to retry, so it is not kept
        CostUpload.objects.filter(pk=upload.pk).delete()
        return
    core_services.syncrun_progress(run=run, rows=result.entries)
    core_services.syncrun_succeed(run=run, result=result.as_dict(),
                                  message=f"{result.rows} rows → {result.entries} daily cost entries")


@shared_task(name="costs.cost_explorer_sync_task", bind=True, max_retries=3)
def cost_explorer_sync_task(self, run_id: int) -> None:
    """Pull Cost Explorer for the run's accounts. Per-account failures (AccessDenied) are
    recorded on the run; the run fails only when every account failed."""
    run = SyncRun.objects.select_related("started_by").get(pk=run_id)
    if run.is_finished:
        return
    core_services.syncrun_start(run=run)
    with core_services.syncrun_failures(run=run, nothing_changed="Nothing was synced.") as outcome:
        results = services.cost_explorer_sync(actor=_actor_for(run), account_ids=run.params.get("accounts") or None,
                                              run=run)
    if outcome.failed:
        return
    record_sync_outcome(run=run, results=results)


def record_sync_outcome(*, run: SyncRun, results) -> SyncRun:
    failed = [r for r in results if r.status != "ok"]
    summary = {r.account_id: {"status": r.status, "start": r.start, "end": r.end, "entries": r.entries,
                              "calls": r.calls, "error": r.error} for r in results}
    error = "\n".join(f"{r.account_id}: {r.error}" for r in failed)
    if results and len(failed) == len(results):
        return core_services.syncrun_fail(run=run, error=error)
    SyncRun.objects.filter(pk=run.pk).update(error=error)
    ok = len(results) - len(failed)
    message = f"{ok} account(s) synced" + (f", {len(failed)} failed" if failed else "")
    return core_services.syncrun_succeed(run=run, result={"accounts": summary}, message=message)


@shared_task(name="costs.daily_task")
def daily_task() -> dict:
    """The daily beat job: pull Cost Explorer (when accounts exist), then detect anomalies for
    yesterday, check budgets and send renewal reminders. Each step is idempotent."""
    from apps.costs.models import AwsAccount

    out: dict = {}
    if AwsAccount.objects.filter(enabled=True).exists():
        run = core_services.syncrun_create(kind=COST_SYNC, params={"scheduled": True})
        cost_explorer_sync_task.apply(args=[run.pk])
        out["sync_run"] = run.pk
        try:
            out["rightsizing"] = len(services.rightsizing_sync(actor=services.SYSTEM))
        except Exception as exc:  # recommendations are a bonus: never block anomalies and budgets
            out["rightsizing_error"] = f"{type(exc).__name__}: {exc}"
        try:
            out["forecasts"] = len(services.budget_forecasts_sync(actor=services.SYSTEM))
        except Exception as exc:  # without a forecast the budgets keep the run-rate
            out["forecasts_error"] = f"{type(exc).__name__}: {exc}"
    out["idle_savings"] = services.savings_from_idle_findings()
    out["anomalies"] = len(services.anomalies_detect())
    out["budget_alerts"] = len(services.budget_alerts_check(today=timezone.now().date()))
    out["reminders"] = len(services.subscription_reminders_send())
    return out
