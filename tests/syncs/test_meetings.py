"""Meetings from the cadence (idempotent beat task), ad-hoc meetings, carry-forward of
agenda items and action items across meetings."""
from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.syncs import selectors, services, tasks
from apps.syncs.models import ActionItem, AgendaItem, Meeting, SyncSeries
from tests.syncs.builders import actor, build


def _series(world, **extra) -> SyncSeries:
    fields = {"title": "Tech Sync", "kind": SyncSeries.Kind.TECH, "participants": [world.tl, world.tl2],
              "weekday": 0, "start_time": time(9, 30), "time_zone": "Europe/Lisbon",
              "starts_on": date(2026, 1, 1), "generate": False, **extra}
    return services.series_create(actor=actor(world, "cto"), **fields)


@pytest.mark.parametrize(("cadence", "expected"), [
    ("weekly", [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30),
                date(2026, 4, 6)]),
    # Anchored on the first Monday on/after starts_on (2026-01-05): every 14 days from there.
    ("biweekly", [date(2026, 3, 2), date(2026, 3, 16), date(2026, 3, 30)]),
    ("monthly", [date(2026, 3, 2), date(2026, 4, 6)]),
])
def test_occurrences_follow_the_cadence(world, cadence, expected):
    series = _series(world, cadence=cadence)
    assert services.occurrence_dates(series, date(2026, 3, 1), date(2026, 4, 6)) == expected


def test_generation_is_idempotent_and_in_the_series_time_zone(world):
    series = _series(world, agenda_template="Incidents\n- Roadmap\n\n")
    today = date(2026, 3, 1)
    assert services.meeting_generate_upcoming(today=today, horizon_days=28) == 4
    assert services.meeting_generate_upcoming(today=today, horizon_days=28) == 0
    meetings = list(series.meetings.order_by("scheduled_at"))
    assert len(meetings) == 4
    local = meetings[0].scheduled_at.astimezone(zoneinfo.ZoneInfo("Europe/Lisbon"))
    assert (local.date(), local.time()) == (date(2026, 3, 2), time(9, 30))
    # Lisbon switches to summer time on 2026-03-29; 9:30 stays 9:30 local.
    assert meetings[3].scheduled_at.astimezone(zoneinfo.ZoneInfo("Europe/Lisbon")).time() == time(9, 30)
    assert [i.title for i in meetings[0].agenda_items.order_by("order")] == ["Incidents", "Roadmap"]
    assert AgendaItem.objects.filter(series=series).count() == 8


def test_the_beat_task_run_twice_creates_nothing_twice(world):
    series = _series(world, starts_on=timezone.localdate())
    # apply(): run in this process (the test's transaction), as a worker would.
    first = tasks.generate_meetings_task.apply().get()
    second = tasks.generate_meetings_task.apply().get()
    today = timezone.localdate()
    expected = len(services.occurrence_dates(series, today, today + timedelta(days=services.GENERATE_HORIZON_DAYS)))
    assert expected in (4, 5)
    assert (first, second) == (expected, 0)
    assert series.meetings.count() == expected


def test_generation_skips_inactive_series_and_never_backfills(world):
    series = _series(world, starts_on=date(2025, 1, 1))
    services.series_update(actor=actor(world, "cto"), series=series, is_active=False)
    assert services.meeting_generate_upcoming(today=date(2026, 3, 1)) == 0
    services.series_update(actor=actor(world, "cto"), series=series, is_active=True)
    services.meeting_generate_upcoming(today=date(2026, 3, 1))
    assert series.meetings.filter(scheduled_at__date__lt=date(2026, 3, 1)).count() == 0


def test_beat_schedules_are_created_once(db):
    """The data migration's function, run again (a transactional test may have flushed the
    rows it wrote at migrate time): exactly one schedule per task, whatever the runs."""
    from importlib import import_module

    from django.apps import apps as django_apps

    migration = import_module("apps.syncs.migrations.0002_beat_schedules")
    migration.create(django_apps, None)
    migration.create(django_apps, None)
    tasks_ = list(PeriodicTask.objects.filter(task__startswith="syncs.").values_list("task", "crontab__hour"))
    assert sorted(tasks_) == [("syncs.generate_meetings_task", "2"), ("syncs.overdue_reminders_task", "7")]


def test_adhoc_meeting_and_clash(world):
    series = _series(world)
    when = datetime(2026, 5, 5, 14, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Lisbon"))
    meeting = services.meeting_create_adhoc(actor=actor(world, "tl"), series=series, scheduled_at=when, title="Incident review")
    assert (meeting.is_adhoc, meeting.status, meeting.title) == (True, Meeting.Status.PLANNED, "Incident review")
    with pytest.raises(ValidationError) as exc:
        services.meeting_create_adhoc(actor=actor(world, "tl"), series=series, scheduled_at=when)
    assert "scheduled_at" in exc.value.message_dict
    assert series.meetings.count() == 1


def _three_meetings(series):
    base = datetime(2030, 1, 7, 9, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Lisbon"))
    return [Meeting.objects.create(series=series, scheduled_at=base + timedelta(days=7 * i)) for i in range(3)]


def test_agenda_carries_forward_across_three_meetings(world):
    series = _series(world)
    m1, m2, m3 = _three_meetings(series)
    tl = actor(world, "tl")
    done = services.agenda_item_add(actor=tl, series=series, meeting=m1, title="Postmortem")
    open_item = services.agenda_item_add(actor=tl, series=series, meeting=m1, title="API versioning",
                                         presenter=world.tl, minutes=15)
    services.agenda_item_add(actor=tl, series=series, meeting=None, title="Tech radar")  # backlog
    services.agenda_item_update(actor=tl, item=done, status=AgendaItem.Status.DONE)

    services.meeting_update(actor=tl, meeting=m1, status=Meeting.Status.HELD)
    services.agenda_carry_forward(meeting=m1)  # a second run adds nothing
    assert [(i.title, i.status) for i in m2.agenda_items.order_by("order")] == [
        ("API versioning", "open"), ("Tech radar", "open")]
    copy = m2.agenda_items.get(title="API versioning")
    assert (copy.carried_from_id, copy.presenter_id, copy.minutes) == (open_item.pk, world.tl.pk, 15)
    open_item.refresh_from_db()
    assert open_item.status == AgendaItem.Status.CARRIED
    assert selectors.series_backlog(series=series).count() == 0

    # Radar discussed; versioning still open: only it moves on to the third meeting.
    services.agenda_item_update(actor=tl, item=m2.agenda_items.get(title="Tech radar"), status=AgendaItem.Status.DONE)
    services.meeting_update(actor=tl, meeting=m2, status=Meeting.Status.HELD)
    third = list(m3.agenda_items.values_list("title", "carried_from__meeting"))
    assert third == [("API versioning", m2.pk)]
    assert AgendaItem.objects.filter(series=series, title="API versioning").count() == 3


def test_action_items_follow_the_series_until_closed(world):
    series = _series(world)
    m1, m2, m3 = _three_meetings(series)
    tl = actor(world, "tl")
    overdue = services.action_item_create(actor=tl, series=series, meeting=m1, title="Write ADR", owner=world.tl2,
                                          due_date=date(2030, 1, 10))
    later = services.action_item_create(actor=tl, series=series, meeting=m1, title="Benchmark", owner=world.tl,
                                        due_date=date(2030, 3, 1))
    services.action_item_create(actor=tl, series=series, meeting=m1, title="Already done", status="done")

    page2 = selectors.meeting_page(actor=tl, meeting=m2)
    assert [a.title for a in page2.overdue_actions] == ["Write ADR"]  # top of the next agenda
    assert [a.title for a in page2.carried_actions] == ["Benchmark"]
    page3 = selectors.meeting_page(actor=tl, meeting=m3)
    assert [a.title for a in page3.overdue_actions + page3.carried_actions] == ["Write ADR", "Benchmark"]

    services.action_item_update(actor=actor(world, "tl2"), item=overdue, status=ActionItem.Status.DONE)
    page3 = selectors.meeting_page(actor=tl, meeting=m3)
    assert [a.title for a in page3.overdue_actions + page3.carried_actions] == ["Benchmark"]
    html = world.client("tl").get(reverse("syncs:meeting-detail", args=[m3.pk])).content.decode()
    assert "Benchmark" in html and "Write ADR" not in html
    later.refresh_from_db()
    assert later.status == ActionItem.Status.OPEN


def test_closing_a_meeting_by_page_carries_items(world):
    data = build(world)
    em = world.client("em")
    m = data.em_meeting
    em.post(reverse("syncs:agenda-add", args=[m.pk]), {"title": "Headcount"})
    response = em.post(reverse("syncs:meeting-status", args=[m.pk]),
                       {"status": "held", "seen_status": "planned", "attendees": [world.em.pk, world.cto.pk]})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == "held"
    assert set(m.attendees.values_list("pk", flat=True)) == {world.em.pk, world.cto.pk}
    nxt = selectors.next_meeting_of(data.em_sync, m.scheduled_at)
    assert nxt is not None
    assert list(nxt.agenda_items.filter(carried_from__isnull=False).values_list("title", flat=True)) == ["Headcount"]
    # A closed meeting takes no new agenda items.
    response = em.post(reverse("syncs:agenda-add", args=[m.pk]), {"title": "Too late"})
    assert response.status_code == 302
    assert m.agenda_items.filter(title="Too late").count() == 0


def test_attendees_must_be_participants(world):
    data = build(world)
    with pytest.raises(ValidationError) as exc:
        services.meeting_update(actor=actor(world, "em"), meeting=data.em_meeting, attendees=[world.engineer])
    assert "attendees" in exc.value.message_dict
    assert data.em_meeting.attendees.count() == 0


def test_generate_command_is_idempotent(world):
    import io

    from django.core.management import CommandError, call_command

    series = _series(world, starts_on=timezone.localdate())
    out = io.StringIO()
    call_command("generate_sync_meetings", "--days", "14", stdout=out)
    first = series.meetings.count()
    assert first in (2, 3)
    assert out.getvalue().strip() == f"{first} meetings created."
    out = io.StringIO()
    call_command("generate_sync_meetings", "--days", "14", stdout=out)
    assert out.getvalue().strip() == "0 meetings created."
    with pytest.raises(CommandError, match="--days must be between 1 and 366."):
        call_command("generate_sync_meetings", "--days", "0")
