"""Stale detection (no update for 14 days) and the owner reminder: once per day, run twice."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.initiatives import services, tasks
from apps.initiatives.models import Initiative, StaleReminder
from tests.initiatives.factories import InitiativeFactory, StatusUpdateFactory

S = Initiative.Status


def make(world, *, days_since_update: int | None, status=S.IN_PROGRESS, title="Lakehouse"):
    today = timezone.localdate()
    initiative = InitiativeFactory(team=world.teams["data"], owner=world.pm, status=status, title=title)
    Initiative.objects.filter(pk=initiative.pk).update(created_at=timezone.now() - timedelta(days=60))
    if days_since_update is not None:
        StatusUpdateFactory(initiative=initiative, date=today - timedelta(days=days_since_update))
        Initiative.objects.filter(pk=initiative.pk).update(last_update_on=today - timedelta(days=days_since_update))
    initiative.refresh_from_db()
    return initiative


@pytest.mark.parametrize("days, status, stale", [
    (13, S.IN_PROGRESS, False),
    (14, S.IN_PROGRESS, True),
    (30, S.PLANNED, True),
    (None, S.IN_PROGRESS, True),  # never updated, opened 60 days ago
    (30, S.PAUSED, False),
    (30, S.SHIPPED, False),
    (30, S.IDEA, False),
])
def test_stale_detection(world, days, status, stale):
    initiative = make(world, days_since_update=days, status=status)
    assert initiative.is_stale() is stale
    found = services.stale_initiatives(today=timezone.localdate())
    assert [i.pk for i in found] == ([initiative.pk] if stale else [])


def test_new_initiative_without_updates_is_not_stale(world):
    initiative = InitiativeFactory(team=world.teams["data"], owner=world.pm)
    assert initiative.is_stale() is False
    assert services.stale_initiatives(today=timezone.localdate()) == []


def test_reminder_once_per_day_when_run_twice(world):
    stale = make(world, days_since_update=20, title="Lakehouse")
    make(world, days_since_update=2, title="Fresh one")
    assert tasks.stale_reminders_task.apply().get() == 1
    assert tasks.stale_reminders_task.apply().get() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pm@example.com"]
    assert message.subject == f"[CTO Portal] No update on “Lakehouse” since {stale.last_update_on:%d %b %Y}"
    assert f"/initiatives/{stale.pk}/" in message.body
    assert list(StaleReminder.objects.values_list("initiative_id", "sent_on")) == [(stale.pk, timezone.localdate())]


def test_reminder_repeats_weekly_while_stale_and_stops_after_an_update(world):
    stale = make(world, days_since_update=20)
    today = timezone.localdate()
    assert services.stale_reminders_send(today=today) == 1
    assert services.stale_reminders_send(today=today + timedelta(days=1)) == 0
    assert services.stale_reminders_send(today=today + timedelta(days=7)) == 1
    StatusUpdateFactory(initiative=stale, date=today)
    Initiative.objects.filter(pk=stale.pk).update(last_update_on=today + timedelta(days=8))
    assert services.stale_reminders_send(today=today + timedelta(days=14)) == 0
    assert len(mail.outbox) == 2


def test_failed_email_is_not_recorded_so_a_retry_sends_it(world, settings):
    make(world, days_since_update=20)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: connection refused
    with pytest.raises(OSError):
        services.stale_reminders_send()
    assert StaleReminder.objects.count() == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.stale_reminders_send() == 1


def test_beat_schedule_is_created_idempotently(db):
    # Call the data migration's function directly: a transactional test elsewhere in the run
    # (the browser test) flushes the rows migrations wrote.
    from importlib import import_module

    from django.apps import apps as registry
    from django_celery_beat.models import PeriodicTask

    migration = import_module("apps.initiatives.migrations.0002_stale_reminder_schedule")
    PeriodicTask.objects.filter(task=tasks.STALE_REMINDERS_TASK).delete()
    migration.create_schedule(registry, None)
    migration.create_schedule(registry, None)
    task = PeriodicTask.objects.get(task=tasks.STALE_REMINDERS_TASK)
    assert (task.enabled, task.crontab.hour, task.crontab.minute) == (True, "7", "0")
