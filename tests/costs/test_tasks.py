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
