from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError

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

    try:
        result = services.people_import(actor=actor, content=run.params.get("content", ""), progress=progress)
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        core_services.syncrun_fail(run=run, error="\n".join(messages))
        return
    except Exception as exc:
        core_services.syncrun_fail(run=run, error=f"Nothing was imported. Unexpected error: {type(exc).__name__}: {exc}")
        raise  # the worker logs it with its traceback
    core_services.syncrun_progress(run=run, rows=result.created + result.updated)
    core_services.syncrun_succeed(
        run=run,
        result={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        message=f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged",
    )
