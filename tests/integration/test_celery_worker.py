"""A real worker process, real Redis, real PostgreSQL: a queued import finishes and its
SyncRun says so. Skipped without the services; fails under REQUIRE_SERVICES=1."""
import pytest

from apps.core import services as core_services
from apps.core.models import SyncRun
from apps.org.models import Person
from apps.org.tasks import PEOPLE_IMPORT
from cto_portal.celery import app
from tests.integration.worker import celery_worker, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CSV = "email,full_name,role,team,manager_email\n" + "".join(
    f"w{i}@example.com,Worker {i},engineer,alpha,tl@example.com\n" for i in range(120)
)


def test_worker_runs_the_import_and_finishes_the_syncrun(require_redis, require_postgres, world):
    run = core_services.syncrun_create(kind=PEOPLE_IMPORT, user=world.users["hr"], params={"content": CSV})
    with celery_worker(require_redis) as (proc, queue):
        app.send_task("org.people_import_task", args=[run.pk], queue=queue)
        wait_for(lambda: SyncRun.objects.get(pk=run.pk).is_finished, timeout=90, what="the SyncRun to finish")
        assert proc.poll() is None, "the worker died"
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.result == {"created": 120, "updated": 0, "unchanged": 0}
    assert run.done == run.total == 120
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert Person.objects.filter(email__startswith="w", email__endswith="@example.com", manager=world.tl).count() == 120


def test_worker_records_a_bad_file_on_the_syncrun(require_redis, require_postgres, world):
    run = core_services.syncrun_create(kind=PEOPLE_IMPORT, user=world.users["hr"],
                                       params={"content": "email,full_name,role\nx@example.com,X,wizard\n"})
    with celery_worker(require_redis) as (proc, queue):
        app.send_task("org.people_import_task", args=[run.pk], queue=queue)
        wait_for(lambda: SyncRun.objects.get(pk=run.pk).is_finished, timeout=90, what="the SyncRun to finish")
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert run.error == "Nothing was imported.\nRow 2, column 'role': 'wizard' is not one of cto, em, engineer, finance, hr, pm, tl."
    assert not Person.objects.filter(email="x@example.com").exists()
