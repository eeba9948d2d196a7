"""Trainings: due dates, sessions, attendance, the nightly status refresh and reminders."""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.access import Actor
from apps.org.models import Person, Team
from apps.security.models import (
    Reminder,
    Training,
    TrainingAttendance,
    TrainingSession,
    TrainingStatus,
)
from apps.security.services._common import (
    _awareness_evidence,
    _clean_roles,
    _remind_once,
    _require_manager,
    audience_people,
)

DUE_SOON_DAYS = 30


# -- Trainings ---------------------------------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if year > date.max.year:
        return date.max  # "never" rather than a crash
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class DueResult:
    due_on: date
    state: str


def training_due(*, training: Training, last_completed_on: date | None, today: date) -> DueResult:
    """Never completed: due by ``first_due_on``. Completed: due again ``recurrence_months``
    after the last completion (one-off trainings stay complete). "Due" means within
    DUE_SOON_DAYS of the due date (or never done and not yet late); past it is "overdue"."""
    if last_completed_on is None:
        due_on = training.first_due_on
        state = TrainingStatus.State.OVERDUE if today > due_on else TrainingStatus.State.DUE
        return DueResult(due_on, state)
    if training.recurrence_months == 0:
        return DueResult(max(last_completed_on, training.first_due_on), TrainingStatus.State.COMPLETE)
    due_on = add_months(last_completed_on, training.recurrence_months)
    if today > due_on:
        state = TrainingStatus.State.OVERDUE
    elif (due_on - today).days <= DUE_SOON_DAYS:
        state = TrainingStatus.State.DUE
    else:
        state = TrainingStatus.State.COMPLETE
    return DueResult(due_on, state)


def _training_errors(*, title: str, kind: str, first_due_on: date | None, recurrence_months: int | None,
                     pass_score: int | None) -> dict:
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "A training needs a title."
    if kind not in Training.Kind.values:
        errors["kind"] = f"Unknown kind {kind!r}; use awareness, secure_coding or phishing_drill."
    if first_due_on is None:
        errors["first_due_on"] = "Set the first due date."
    if recurrence_months is None or not 0 <= recurrence_months <= 60:
        errors["recurrence_months"] = "Use 0 (once) to 60 months."
    if pass_score is not None and not 0 <= pass_score <= 100:
        errors["pass_score"] = "The pass score is between 0 and 100."
    return errors


@transaction.atomic
def training_create(
    *, actor: Actor, title: str, kind: str, first_due_on: date, recurrence_months: int = 12, description: str = "",
    pass_score: int | None = None, audience_teams: Iterable[Team] = (), audience_roles: Iterable[str] = (),
) -> Training:
    _require_manager(actor)
    errors = _training_errors(title=title, kind=kind, first_due_on=first_due_on,
                              recurrence_months=recurrence_months, pass_score=pass_score)
    if errors:
        raise ValidationError(errors)
    training = Training.objects.create(
        title=title.strip(), kind=kind, first_due_on=first_due_on, recurrence_months=recurrence_months,
        description=description, pass_score=pass_score, audience_roles=_clean_roles(audience_roles),
    )
    training.audience_teams.set(list(audience_teams))
    return training


@transaction.atomic
def training_update(
    *, actor: Actor, training: Training, title: str, kind: str, first_due_on: date, recurrence_months: int = 12,
    description: str = "", pass_score: int | None = None, audience_teams: Iterable[Team] = (),
    audience_roles: Iterable[str] = (),
) -> Training:
    """Change a training; everyone's due date and state follow at once (attendance is kept)."""
    _require_manager(actor)
    training = Training.objects.select_for_update().get(pk=training.pk)
    errors = _training_errors(title=title, kind=kind, first_due_on=first_due_on,
                              recurrence_months=recurrence_months, pass_score=pass_score)
    if errors:
        raise ValidationError(errors)
    training.title, training.kind, training.description = title.strip(), kind, description
    training.first_due_on, training.recurrence_months, training.pass_score = first_due_on, recurrence_months, pass_score
    training.audience_roles = _clean_roles(audience_roles)
    training.save()
    training.audience_teams.set(list(audience_teams))
    training_status_refresh(training_ids=[training.pk])
    return training


@transaction.atomic
def training_session_create(
    *, actor: Actor, training: Training, held_on: date, trainer: str = "", location: str = ""
) -> TrainingSession:
    _require_manager(actor)
    if held_on is None:
        raise ValidationError({"held_on": "Set the date the session is held."})
    latest = timezone.localdate() + timedelta(days=366)
    if not date(2000, 1, 1) <= held_on <= latest:
        raise ValidationError({"held_on": f"A session is held between 2000-01-01 and {latest} (a year from today)."})
    session = TrainingSession.objects.create(training=training, held_on=held_on, trainer=trainer, location=location)
    _awareness_evidence(source="training_session", obj=session,
                        title=f"Training held: {training.title} ({held_on})", collected_on=held_on, owner=actor.person)
    return session


@transaction.atomic
def training_attendance_record(
    *, actor: Actor, session: TrainingSession, person: Person, score: int | None = None
) -> TrainingAttendance:
    """Upsert one attendance (keyed by session and person); ``passed`` follows the score."""
    _require_manager(actor)
    if score is not None and not 0 <= score <= 100:
        raise ValidationError({"score": "The score is between 0 and 100."})
    if not person.is_active:
        raise ValidationError({"person": f"{person} has left and cannot be recorded as attending."})
    pass_score = session.training.pass_score
    if pass_score is not None and score is None:
        raise ValidationError({"score": f"This training has a pass score ({pass_score}); enter the score."})
    passed = pass_score is None or (score is not None and score >= pass_score)
    attendance, _ = TrainingAttendance.objects.update_or_create(
        session=session, person=person, defaults={"score": score, "passed": passed}
    )
    return attendance


def training_status_refresh(*, today: date | None = None, training_ids: Iterable[int] | None = None) -> int:
    """Recompute who is complete, due or overdue for every active training (the nightly
    task). An upsert keyed by (training, person); people who left the audience are dropped.
    Returns the number of status rows."""
    today = today or timezone.localdate()
    total = 0
    trainings = Training.objects.filter(is_active=True).prefetch_related("audience_teams")
    if training_ids is not None:
        trainings = trainings.filter(pk__in=list(training_ids))
    for training in trainings:
        with transaction.atomic():
            last = dict(
                TrainingAttendance.objects.filter(session__training=training, passed=True)
                .values("person_id").annotate(last=Max("session__held_on")).values_list("person_id", "last")
            )
            people = list(audience_people(training).only("id"))
            existing = {s.person_id: s for s in TrainingStatus.objects.filter(training=training)}
            to_create, to_update = [], []
            for person in people:
                result = training_due(training=training, last_completed_on=last.get(person.pk), today=today)
                status = existing.pop(person.pk, None)
                if status is None:
                    to_create.append(TrainingStatus(
                        training=training, person=person, last_completed_on=last.get(person.pk),
                        due_on=result.due_on, state=result.state, computed_on=today))
                else:
                    status.last_completed_on = last.get(person.pk)
                    status.due_on, status.state, status.computed_on = result.due_on, result.state, today
                    to_update.append(status)
            TrainingStatus.objects.bulk_create(to_create)
            TrainingStatus.objects.bulk_update(to_update, ["last_completed_on", "due_on", "state", "computed_on"])
            if existing:
                TrainingStatus.objects.filter(pk__in=[s.pk for s in existing.values()]).delete()
            total += len(people)
    return total


def training_reminders_send(*, today: date | None = None) -> int:
    """Remind people who are due or overdue: once when due and once when overdue, per due
    date (so once per recurrence period), however often the task runs."""
    today = today or timezone.localdate()
    sent = 0
    statuses = TrainingStatus.objects.filter(
        training__is_active=True, state__in=[TrainingStatus.State.DUE, TrainingStatus.State.OVERDUE],
        person__is_active=True,
    ).select_related("training", "person")
    for status in statuses:
        late = status.state == TrainingStatus.State.OVERDUE
        sent += _remind_once(
            kind=Reminder.Kind.TRAINING, object_id=status.training_id, person=status.person,
            period=f"{status.due_on.isoformat()}{'-late' if late else ''}",
            subject=f"{'Overdue' if late else 'Due'}: {status.training.title}",
            body=f"Your training \"{status.training.title}\" {'was' if late else 'is'} due on {status.due_on}.",
        )
    return sent
