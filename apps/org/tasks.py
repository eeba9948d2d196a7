from celery import shared_task

from apps.core import services as core_services
from apps.core.access import get_actor
from apps.core.models import SyncRun
from apps.org import services

PEOPLE_IMPORT = "people_import"


@shared_task(name="org.people_import_task")
def people_import_task(run_id: int) -> None:
    """Import the CSV held on the SyncRun. Safe to re-deliver: the import is an all-or-nothing
    upsert by email, so a second run after a crash gives the same people. A bad file (or an
    unexpected error: the import's transaction rolled back) fails the run with the reason; it is
    never left "running"."""
    run = SyncRun.objects.select_related("started_by").get(pk=run_id)
    if run.status == SyncRun.Status.SUCCEEDED:
        return
    core_services.syncrun_start(run=run)
    actor = get_actor(run.started_by)

    def progress(done: int, total: int) -> None:
        core_services.syncrun_progress(run=run, done=done, total=total)

    with core_services.syncrun_failures(run=run, nothing_changed="Nothing was imported.") as outcome:
        result = services.people_import(actor=actor, content=run.params.get("content", ""), progress=progress)
    if outcome.failed:
        return
    core_services.syncrun_progress(run=run, rows=result.created + result.updated)
    core_services.syncrun_succeed(
        run=run,
        result={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        message=f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged",
    )
