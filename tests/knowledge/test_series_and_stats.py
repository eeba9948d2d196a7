"""Series generation, balance statistics, attendance trend and feedback visibility."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.knowledge import selectors, services, tasks
from apps.knowledge.models import Session, SessionSeries, Track
from tests.factories import PersonFactory
from tests.knowledge.factories import AttendanceFactory, FeedbackFactory, SeriesFactory, SessionFactory, TalkFactory


def _series(**extra) -> SessionSeries:
    defaults = dict(name="Tech Monthly", cadence="monthly", weekday=3, week_of_month=-1, starts_on=date(2026, 1, 1),
                    start_time=time(16, 0), time_zone="Europe/Lisbon", duration_minutes=60, generate_ahead=3)
    return SeriesFactory(**{**defaults, **extra})


@pytest.mark.parametrize("extra, start, expected", [
    ({}, date(2026, 11, 26), [date(2026, 11, 26), date(2026, 12, 31), date(2027, 1, 28)]),  # last Thursday
    ({"week_of_month": 1, "weekday": 1}, date(2026, 11, 4), [date(2026, 12, 1), date(2027, 1, 5), date(2027, 2, 2)]),
    ({"cadence": "weekly", "weekday": 0}, date(2026, 3, 4), [date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]),
    # Every two weeks, anchored on the first Monday on/after starts_on (2026-01-05).
    ({"cadence": "biweekly", "weekday": 0}, date(2026, 1, 13), [date(2026, 1, 19), date(2026, 2, 2), date(2026, 2, 16)]),
    ({"ends_on": date(2026, 12, 31)}, date(2026, 11, 1), [date(2026, 11, 26), date(2026, 12, 31)]),
    ({}, date(2025, 1, 1), [date(2026, 1, 29), date(2026, 2, 26), date(2026, 3, 26)]),  # not before starts_on
])
def test_series_occurrences(db, extra, start, expected):
    assert services.series_occurrences(_series(**extra), start=start, count=3) == expected


def test_generation_is_idempotent_and_keeps_hand_edits(world, actor):
    series = _series(host=world.tl, location="Lisbon office, room 2")
    created = services.series_generate_sessions(series=series, today=date(2026, 11, 1))
    assert [s.title for s in created] == [
        "Tech Monthly — November 2026", "Tech Monthly — December 2026", "Tech Monthly — January 2027"]
    first = created[0]
    # 16:00 in Lisbon (UTC+0 in winter) is 16:00 UTC.
    assert first.starts_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert (first.host, first.location, first.duration_minutes) == (world.tl, "Lisbon office, room 2", 60)

    Session.objects.filter(pk=first.pk).update(title="Tech Monthly — AI special", duration_minutes=90)
    again = services.series_generate_sessions(series=series, today=date(2026, 11, 1))
    assert again == []
    assert Session.objects.filter(series=series).count() == 3
    first.refresh_from_db()
    assert (first.title, first.duration_minutes) == ("Tech Monthly — AI special", 90)

    later = services.series_generate_sessions(series=series, today=date(2026, 12, 2))
    assert [s.occurrence_date for s in later] == [date(2027, 2, 25)]


def test_summer_time_is_respected(db):
    series = _series(starts_on=date(2026, 6, 1))
    [june] = services.series_generate_sessions(series=series, today=date(2026, 6, 1), count=1)
    assert june.starts_at == datetime(2026, 6, 25, 15, 0, tzinfo=UTC)  # 16:00 WEST


def test_paused_series_generates_nothing(db):
    series = _series(is_active=False)
    assert services.series_generate_sessions(series=series, today=date(2026, 11, 1)) == []
    assert Session.objects.count() == 0


def test_generate_task_and_its_beat_schedule(db):
    _series(starts_on=timezone.localdate())
    _series(name="Data Guild", cadence="biweekly", starts_on=timezone.localdate(), generate_ahead=2)
    assert tasks.generate_sessions_task.apply().get() == 5
    assert tasks.generate_sessions_task.apply().get() == 0
    assert Session.objects.count() == 5
    schedule = PeriodicTask.objects.get(name="knowledge: generate upcoming sessions")
    assert (schedule.task, schedule.enabled, schedule.crontab.hour, schedule.crontab.minute) == (
        "knowledge.generate_sessions_task", True, "3", "15")


def test_series_validation(world, actor):
    with pytest.raises(Exception) as exc:
        services.series_create(actor=actor("cto"), name="Bad", starts_on=date(2026, 5, 1), ends_on=date(2026, 4, 1),
                               time_zone="Mars/Olympus")
    assert exc.value.message_dict == {"time_zone": ["Unknown time zone 'Mars/Olympus'."],
                                      "ends_on": ["The series cannot end before it starts."]}
    assert SessionSeries.objects.count() == 0


# -- Balance ------------------------------------------------------------------------------------------
def _at(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(16)))


def test_balance_on_known_data(world, actor):
    q3_a = SessionFactory(starts_at=_at(date(2026, 7, 30)))
    q3_b = SessionFactory(starts_at=_at(date(2026, 9, 24)))
    q2 = SessionFactory(starts_at=_at(date(2026, 6, 25)))
    cancelled = SessionFactory(starts_at=_at(date(2026, 8, 27)), is_cancelled=True)
    TalkFactory(session=q3_a, track=Track.FRONTEND, speakers=[world.engineer])
    TalkFactory(session=q3_a, track=Track.BACKEND, speakers=[world.tl])
    TalkFactory(session=q3_b, track=Track.BACKEND, speakers=[world.tl])
    TalkFactory(session=q3_b, track=Track.DATA, speakers=[world.pm])
    TalkFactory(session=q2, track=Track.FRONTEND, speakers=[world.em])
    TalkFactory(session=cancelled, track=Track.FRONTEND, speakers=[world.engineer2])  # never given
    # em2 has attended twice and is here long enough: nudge; tl2 attended but joined recently.
    world.em2.start_date = date(2020, 1, 1)
    world.em2.save()
    world.tl2.start_date = timezone.localdate() - timedelta(days=30)
    world.tl2.save()
    AttendanceFactory(session=q3_a, person=world.em2)
    AttendanceFactory(session=q3_b, person=world.em2)
    AttendanceFactory(session=q3_a, person=world.tl2)

    b = selectors.balance(actor=actor("cto"), year=2026, quarter=3)

    assert b.talks == 4
    assert b.per_track == [("frontend", "Front-end", 1), ("backend", "Back-end", 2), ("data", "Data", 1),
                           ("ai", "AI", 0), ("platform", "Platform", 0), ("security", "Security", 0),
                           ("other", "Other", 0)]
    assert (b.frontend, b.backend, b.fe_share, b.fe_be_label) == (1, 2, 33, "more back-end")
    # Engineers, TLs and EMs who never gave a talk (pm is not expected to; engineer2's was cancelled).
    assert [(team, [p.full_name for p in people]) for team, people in b.never_spoke_by_team] == [
        ("Beta", ["Em2 Person", "Engineer2 Person", "Tl2 Person"]),
    ]
    assert [(p.full_name, p.attended) for p in b.nudge] == [("Em2 Person", 2)]


def test_balance_of_an_empty_quarter(world, actor):
    b = selectors.balance(actor=actor("engineer"), year=2020, quarter=1)
    assert (b.talks, b.fe_share, b.fe_be_label) == (0, None, "balanced")


def test_attendance_trend_per_month(world, actor):
    today = date(2026, 11, 15)
    oct_s = SessionFactory(starts_at=_at(date(2026, 10, 29)))
    nov_s = SessionFactory(starts_at=_at(date(2026, 11, 5)))
    nov_t = SessionFactory(starts_at=_at(date(2026, 11, 12)))
    old = SessionFactory(starts_at=_at(date(2025, 6, 1)))
    for person in (world.engineer, world.tl, world.em):
        AttendanceFactory(session=oct_s, person=person)
    AttendanceFactory(session=nov_s, person=world.engineer)
    AttendanceFactory(session=nov_t, person=world.engineer)
    AttendanceFactory(session=old, person=world.engineer)

    trend = selectors.attendance_trend(actor=actor("engineer"), months=3, today=today)

    assert trend == [
        {"month": "2026-09", "attendees": 0, "sessions": 0},
        {"month": "2026-10", "attendees": 3, "sessions": 1},
        {"month": "2026-11", "attendees": 2, "sessions": 2},
    ]


# -- Feedback visibility --------------------------------------------------------------------------------
def test_feedback_visible_to_speaker_host_cto_and_author_only(world, actor):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=3), host=world.tl)
    talk = TalkFactory(session=past, speakers=[world.engineer])
    by_em = FeedbackFactory(talk=talk, person=world.em, comment="Slides too dense")
    by_pm = FeedbackFactory(talk=talk, person=world.pm, comment="Loved the demo")
    other_talk = TalkFactory(session=past, speakers=[world.em2])
    FeedbackFactory(talk=other_talk, person=world.pm, comment="Elsewhere")

    def seen(key):
        return set(selectors.feedback_list(actor=actor(key), talk=talk).values_list("pk", flat=True))

    assert seen("engineer") == {by_em.pk, by_pm.pk}  # the speaker
    assert seen("cto") == {by_em.pk, by_pm.pk}
    assert seen("tl") == {by_em.pk, by_pm.pk}  # the host
    assert seen("em") == {by_em.pk}  # only their own
    assert seen("pm") == {by_pm.pk}
    assert seen("hr") == set()

    services.talk_share_feedback(actor=actor("engineer"), talk=talk, shared=True)
    assert seen("hr") == {by_em.pk, by_pm.pk}
    assert selectors.feedback_summary(talk=talk) == {"count": 2, "average": 4.0}


def test_never_spoke_ignores_people_who_left(world, actor):
    gone = PersonFactory(full_name="Gone Person", team=world.teams["alpha"], is_active=False)
    b = selectors.balance(actor=actor("cto"), year=2026, quarter=1)
    names = {p.full_name for _, people in b.never_spoke_by_team for p in people}
    assert gone.full_name not in names
    assert "Engineer Person" in names
