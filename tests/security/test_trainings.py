from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.security import selectors, services, tasks
from apps.security.models import Reminder, Training, TrainingAttendance, TrainingStatus
from tests.security import helpers

JSON = "application/json"


def _yearly(first_due_on=date(2026, 3, 31)):
    return Training(title="Awareness", kind="awareness", recurrence_months=12, first_due_on=first_due_on)


@pytest.mark.parametrize(
    ("last", "today", "due_on", "state"),
    [
        # Completed mid-December: due again a year later, across the year boundary.
        (date(2025, 12, 15), date(2026, 1, 5), date(2026, 12, 15), "complete"),
        (date(2025, 12, 15), date(2026, 11, 14), date(2026, 12, 15), "complete"),
        (date(2025, 12, 15), date(2026, 11, 15), date(2026, 12, 15), "due"),  # 30 days before
        (date(2025, 12, 15), date(2026, 12, 15), date(2026, 12, 15), "due"),  # on the day
        (date(2025, 12, 15), date(2026, 12, 16), date(2026, 12, 15), "overdue"),
        (date(2025, 12, 31), date(2027, 1, 1), date(2026, 12, 31), "overdue"),
        (date(2024, 2, 29), date(2025, 2, 1), date(2025, 2, 28), "due"),  # leap day clamps
        # Never completed: due by first_due_on.
        (None, date(2026, 3, 31), date(2026, 3, 31), "due"),
        (None, date(2026, 4, 1), date(2026, 3, 31), "overdue"),
    ],
)
def test_due_and_overdue_for_a_yearly_training(last, today, due_on, state):
    result = services.training_due(training=_yearly(), last_completed_on=last, today=today)
    assert (result.due_on, result.state) == (due_on, state)


def test_one_off_training_stays_complete():
    training = Training(title="Once", kind="awareness", recurrence_months=0, first_due_on=date(2026, 1, 31))
    result = services.training_due(training=training, last_completed_on=date(2025, 6, 1), today=date(2030, 1, 1))
    assert result.state == "complete"


def test_add_months():
    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2026, 11, 30), 12) == date(2027, 11, 30)
    assert services.add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def _setup(world):
    """A yearly training for Alpha with a pass score of 70; first due 2026-03-31."""
    training = services.training_create(
        actor=helpers.actor(world), title="Secure coding", kind="secure_coding", first_due_on=date(2026, 3, 31),
        recurrence_months=12, pass_score=70, audience_teams=[world.teams["alpha"]])
    session = services.training_session_create(actor=helpers.actor(world), training=training, held_on=date(2025, 12, 20))
    services.training_attendance_record(actor=helpers.actor(world), session=session, person=world.engineer, score=85)
    services.training_attendance_record(actor=helpers.actor(world), session=session, person=world.tl, score=40)
    return training, session


def _states(training):
    return {s.person.full_name: (s.last_completed_on, s.due_on, s.state)
            for s in TrainingStatus.objects.filter(training=training).select_related("person")}


def test_nightly_refresh_computes_statuses_and_is_idempotent(world):
    training, _ = _setup(world)
    assert services.training_status_refresh(today=date(2026, 1, 10)) == 3
    expected = {
        "Engineer Person": (date(2025, 12, 20), date(2026, 12, 20), "complete"),
        "Tl Person": (None, date(2026, 3, 31), "due"),  # failed (40 < 70): not a completion
        "Em Person": (None, date(2026, 3, 31), "due"),
    }
    assert _states(training) == expected
    assert services.training_status_refresh(today=date(2026, 1, 10)) == 3
    assert TrainingStatus.objects.filter(training=training).count() == 3
    services.training_status_refresh(today=date(2026, 12, 21))
    assert {k: v[2] for k, v in _states(training).items()} == {
        "Engineer Person": "overdue", "Tl Person": "overdue", "Em Person": "overdue"}


def test_refresh_drops_people_who_leave_the_audience(world):
    training, _ = _setup(world)
    services.training_status_refresh(today=date(2026, 1, 10))
    world.tl.team = world.teams["beta"]
    world.tl.save()
    services.training_status_refresh(today=date(2026, 1, 10))
    assert sorted(_states(training)) == ["Em Person", "Engineer Person"]


def test_reminders_once_when_due_and_once_when_overdue(world):
    training, _ = _setup(world)
    services.training_status_refresh(today=date(2026, 1, 10))
    assert services.training_reminders_send(today=date(2026, 1, 10)) == 2  # tl and em are due
    assert services.training_reminders_send(today=date(2026, 1, 11)) == 0
    services.training_status_refresh(today=date(2026, 4, 1))
    assert services.training_reminders_send(today=date(2026, 4, 1)) == 2  # now overdue: one more each
    assert services.training_reminders_send(today=date(2026, 4, 2)) == 0
    assert sorted(Reminder.objects.filter(kind="training").values_list("period", flat=True)) == [
        "2026-03-31", "2026-03-31", "2026-03-31-late", "2026-03-31-late"]
    assert len(mail.outbox) == 4
    assert mail.outbox[-1].subject == "Overdue: Secure coding"


def test_nightly_task_refreshes_and_reminds(world):
    training = helpers.training(world, first_due_on=date(2020, 1, 1), audience_roles=["hr"])
    assert tasks.training_status_refresh_task() == {"statuses": 1, "reminders": 1}
    assert tasks.training_status_refresh_task() == {"statuses": 1, "reminders": 0}
    assert TrainingStatus.objects.get(training=training).state == "overdue"


def test_score_rules(world):
    training, session = _setup(world)
    with pytest.raises(ValidationError) as exc:
        services.training_attendance_record(actor=helpers.actor(world), session=session, person=world.em)
    assert exc.value.message_dict == {"score": ["This training has a pass score (70); enter the score."]}
    response = world.client("cto").post(reverse("api:security-training-session-attendance", args=[session.pk]),
                                        {"person": world.em.pk, "score": 101}, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"score": ["Ensure this value is less than or equal to 100."]}
    ok = world.client("cto").post(reverse("api:security-training-session-attendance", args=[session.pk]),
                                  {"person": world.em.pk, "score": 70}, content_type=JSON)
    assert ok.json() == {"person": world.em.pk, "score": 70, "passed": True}
    # Re-recording updates the same row.
    services.training_attendance_record(actor=helpers.actor(world), session=session, person=world.tl, score=90)
    assert TrainingAttendance.objects.filter(session=session).count() == 3
    assert TrainingAttendance.objects.get(session=session, person=world.tl).passed is True


def test_heatmap_by_team(world):
    training = services.training_create(actor=helpers.actor(world), title="Awareness", kind="awareness",
                                        first_due_on=date(2026, 3, 31), recurrence_months=12)
    session = services.training_session_create(actor=helpers.actor(world), training=training, held_on=date(2026, 2, 1))
    for person in (world.engineer, world.tl, world.engineer2):
        services.training_attendance_record(actor=helpers.actor(world), session=session, person=person)
    services.training_status_refresh(today=date(2026, 2, 2))
    heat = selectors.training_heatmap(actor=helpers.actor(world), today=date(2026, 2, 2))
    assert [t.title for t in heat.trainings] == ["Awareness"]
    assert [(team, [(c.done, c.audience, c.percent) for c in cells]) for team, cells in heat.rows] == [
        ("Alpha", [(2, 3, 67)]), ("Beta", [(1, 3, 33)]), ("Data", [(0, 1, 0)]), ("No team", [(0, 3, 0)])]
    page = world.client("cto").get(reverse("security:training-heatmap")).content.decode()
    assert "67%" in page and "2/3" in page


def test_my_trainings_shows_only_my_own(world):
    training, _ = _setup(world)
    services.training_status_refresh(today=date(2026, 1, 10))
    mine = world.client("engineer").get(reverse("api:security-my-trainings")).json()
    assert mine == [{"training": training.pk, "training_title": "Secure coding", "last_completed_on": "2025-12-20",
                     "due_on": "2026-12-20", "state": "complete", "computed_on": "2026-01-10"}]
    assert world.client("pm").get(reverse("api:security-my-trainings")).json() == []
    # A training not meant for the PM's team is 404 for them.
    assert world.client("pm").get(reverse("security:training-detail", args=[training.pk])).status_code == 404


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"title": "T", "kind": "yoga", "first_due_on": "2026-01-01"}, {"kind": ['"yoga" is not a valid choice.']}),
        ({"title": "T", "kind": "awareness", "first_due_on": "soon"},
         {"first_due_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"title": "T", "kind": "awareness", "first_due_on": "2026-01-01", "recurrence_months": 99},
         {"recurrence_months": ["Use 0 (once) to 60 months."]}),
        ({"title": "T", "kind": "awareness", "first_due_on": "2026-01-01", "pass_score": 120},
         {"pass_score": ["The pass score is between 0 and 100."]}),
    ],
)
def test_bad_trainings_get_clear_errors(world, payload, expected):
    response = world.client("cto").post(reverse("api:security-training-list"), payload, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == expected
    assert Training.objects.count() == 0
