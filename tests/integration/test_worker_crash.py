"""Kill the worker with SIGKILL half-way through a long import, start a new one, and prove
the job is delivered again and the final totals are exact: no rows lost, none duplicated.

Relies on acks_late + reject_on_worker_lost (the message stays unacknowledged in Redis),
Redis' visibility timeout (shortened here) to hand it to the new worker, the import's single
transaction (the killed attempt leaves nothing behind) and its upsert by email."""
import os
import signal
import time

import pytest

from apps.core import services as core_services
from apps.core.models import SyncRun
from apps.org.models import Person
from apps.org.tasks import PEOPLE_IMPORT
from cto_portal.celery import app
from tests.integration.worker import celery_worker, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROWS = 15000
VISIBILITY_TIMEOUT = 8  # seconds (two hours in production)
CSV = "email,full_name,role,team,manager_email,country\n" + "".join(
    f"crash{i:05d}@example.com,Crash Test {i},engineer,alpha,tl@example.com,PT\n" for i in range(ROWS)
)


def test_killed_worker_job_is_redelivered_and_totals_are_exact(require_redis, require_postgres, world, monkeypatch):
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", str(VISIBILITY_TIMEOUT))
    run = core_services.syncrun_create(kind=PEOPLE_IMPORT, user=world.users["hr"], params={"content": CSV})
    before = Person.objects.count()

    with celery_worker(require_redis) as (first, queue):
        app.send_task("org.people_import_task", args=[run.pk], queue=queue)
        wait_for(lambda: SyncRun.objects.get(pk=run.pk).status == SyncRun.Status.RUNNING,
                 timeout=60, what="the first worker to start the import")
        delivered = time.monotonic()  # the message was handed to the first worker just before this
        time.sleep(1.0)  # well inside the several seconds the import of 15,000 rows takes
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        # The killed attempt wrote nothing: its transaction died with its connection.
        wait_for(lambda: Person.objects.count() == before, timeout=20, what="the killed transaction to roll back")
        run.refresh_from_db()
        assert run.status == SyncRun.Status.RUNNING
        # kombu restores unacknowledged messages older than the visibility timeout when a worker
        # starts polling, then only every 100 s: start the second one once the timeout has passed.
        time.sleep(max(0.0, delivered + VISIBILITY_TIMEOUT + 1 - time.monotonic()))

        with celery_worker(require_redis, queue=queue) as (second, _):
            wait_for(lambda: SyncRun.objects.get(pk=run.pk).is_finished, timeout=240,
                     what="the redelivered import to finish")
            assert second.poll() is None

    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.result == {"created": ROWS, "updated": 0, "unchanged": 0}
    imported = Person.objects.filter(email__startswith="crash")
    assert imported.count() == ROWS
    assert imported.values("email").distinct().count() == ROWS
    assert Person.objects.count() == before + ROWS
