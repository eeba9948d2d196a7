"""The daily beat schedule and task, and sync_aws's tolerance of a missing infra app."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.costs import services, tasks

pytestmark = pytest.mark.django_db


def test_daily_schedule_exists_once_and_points_at_the_task():
    from django_celery_beat.models import PeriodicTask

    services.costs_schedule_ensure()  # idempotent next to the data migration
    task = PeriodicTask.objects.get(name=services.DAILY_TASK_NAME)
    assert (task.task, task.crontab.hour, task.crontab.minute, task.enabled) == ("costs.daily_task", "6", "15", True)
    assert PeriodicTask.objects.filter(task="costs.daily_task").count() == 1


def test_daily_task_without_accounts_runs_the_local_steps():
    assert tasks.daily_task.apply().get() == {
        "idle_savings": {"created": 0, "updated": 0, "closed": 0}, "anomalies": 0, "budget_alerts": 0, "reminders": 0,
    }


def test_sync_aws_inventory_is_skipped_when_infra_has_no_service(capsys, monkeypatch):
    from apps.costs.management.commands import sync_aws

    monkeypatch.setattr(sync_aws, "find_spec", lambda name: None)
    call_command("sync_aws", "--inventory")
    assert "--inventory: the infra app is not installed; skipped." in capsys.readouterr().out


def test_an_unexpected_error_fails_the_import_run_and_keeps_the_upload(world, monkeypatch):
    """A bad file fails the run and drops the upload; anything else (here: the disk) fails the run
    with the error's name, keeps the upload and reaches the worker's log. Never left "running"."""
    from apps.core import services as core_services
    from apps.core.models import SyncRun
    from apps.costs.models import CostUpload

    upload = services.cost_upload_create(actor=services.SYSTEM, filename="x.csv", content=b"a,b\n1,2\n")
    run = core_services.syncrun_create(kind=tasks.COST_IMPORT, user=world.users["finance"],
                                       params={"upload_id": upload.pk})

    def explode(**kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(tasks.services, "cost_upload_import", explode)
    with pytest.raises(OSError):
        tasks.import_upload_task.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert run.error == "Nothing was imported. Unexpected error: OSError: No space left on device"
    assert CostUpload.objects.filter(pk=upload.pk).exists()

    monkeypatch.undo()
    again = core_services.syncrun_create(kind=tasks.COST_IMPORT, user=world.users["finance"],
                                         params={"upload_id": upload.pk})
    tasks.import_upload_task.apply(args=[again.pk])
    again.refresh_from_db()
    assert again.status == SyncRun.Status.FAILED and again.error.startswith("Nothing was imported.\n")
    assert not CostUpload.objects.filter(pk=upload.pk).exists()
