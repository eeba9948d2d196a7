"""Every write of the security app: keyword-only ``<entity>_<action>`` functions, each one
transaction, permission checked through the Actor first."""
from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.org.models import Person, Team
from apps.security.access import is_participant, is_security_manager
from apps.security.models import (
    AmaAttendance,
    AmaQuestion,
    AmaSession,
    AmaVote,
    Bulletin,
    BulletinAcknowledgement,
    Control,
    EvidenceItem,
    Reminder,
    Severity,
    Training,
    TrainingAttendance,
    TrainingSession,
    TrainingStatus,
)

logger = logging.getLogger(__name__)

AWARENESS_CONTROL = "6.3"  # Information security awareness, education and training
QUESTION_MAX_LENGTH = 2000
DUE_SOON_DAYS = 30
EVIDENCE_EXPIRY_WARNING_DAYS = 30


class AlreadyVoted(Exception):
    """The person has upvoted this question already (one vote per person)."""


def _require_manager(actor: Actor) -> None:
    if not is_security_manager(actor):
        raise PermissionDenied("Only the CTO and the security team's tech lead may do this.")


def _require_participant(actor: Actor) -> None:
    if not is_participant(actor):
        raise PermissionDenied("Only people in the portal may do this.")


def _clean_roles(roles: Iterable[str] | None) -> list[str]:
    roles = list(roles or [])
    unknown = [r for r in roles if r not in Role.values or r == Role.SERVICE]
    if unknown:
        raise ValidationError({"audience_roles": f"Unknown role(s): {', '.join(map(str, unknown))}."})
    return sorted(set(roles))


def audience_people(obj: Bulletin | Training) -> QuerySet[Person]:
    """Active people a bulletin or training is for: in one of its teams (if any are set) and
    holding one of its roles (if any are set)."""
    qs = Person.objects.filter(is_active=True)
    team_ids = [t.pk for t in obj.audience_teams.all()]
    if team_ids:
        qs = qs.filter(team_id__in=team_ids)
    if obj.audience_roles:
        qs = qs.filter(role__in=obj.audience_roles)
    return qs


def is_in_audience(obj: Bulletin | Training, person: Person | None) -> bool:
    if person is None or not person.is_active:
        return False
    team_ids = {t.pk for t in obj.audience_teams.all()}
    if team_ids and person.team_id not in team_ids:
        return False
    return not obj.audience_roles or person.role in obj.audience_roles


def _notify(person: Person, subject: str, body: str) -> None:
    if person.email:
        send_mail(subject, body, None, [person.email], fail_silently=False)


# -- Evidence recorded automatically -------------------------------------------------------------
def _awareness_evidence(*, source: str, obj, title: str, collected_on: date, owner: Person | None) -> EvidenceItem:
    """Upsert the evidence item that points at an awareness record (AMA session, bulletin,
    training session), linked to Annex A 6.3. Keyed by the source object: calling it again
    updates the same item."""
    item, _ = EvidenceItem.objects.update_or_create(
        **{source: obj},
        defaults={"title": title, "collected_on": collected_on, "source": source, "owner": owner,
                  "description": "Recorded automatically by the portal."},
    )
    control = Control.objects.filter(code=AWARENESS_CONTROL).first()
    if control is not None:
        item.controls.add(control)
    return item


# -- AMA -------------------------------------------------------------------------------------------
@transaction.atomic
def ama_session_create(
    *, actor: Actor, title: str, starts_at: datetime, host: Person | None = None, description: str = "",
    recording_url: str = "", is_open: bool = True,
) -> AmaSession:
    _require_manager(actor)
    if not (title or "").strip():
        raise ValidationError({"title": "A session needs a title."})
    if starts_at is None:
        raise ValidationError({"starts_at": "A session needs a date and time."})
    return AmaSession.objects.create(
        title=title.strip(), starts_at=starts_at, host=host, description=description,
        recording_url=recording_url, is_open=is_open,
    )


@transaction.atomic
def ama_session_update(*, actor: Actor, session: AmaSession, **fields) -> AmaSession:
    _require_manager(actor)
    allowed = {"title", "starts_at", "host", "description", "recording_url", "is_open"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be changed."})
    if "title" in fields and not (fields["title"] or "").strip():
        raise ValidationError({"title": "A session needs a title."})
    # Lock the row and start from what it holds now, so fields this call does not set keep
    # the latest saved values (not what the caller read earlier).
    session.refresh_from_db(from_queryset=AmaSession.objects.select_for_update())
    for name, value in fields.items():
        setattr(session, name, value)
    session.save()
    if hasattr(session, "evidence"):
        _awareness_evidence(source="ama_session", obj=session, title=f"AMA held: {session.title}",
                            collected_on=timezone.localdate(session.starts_at), owner=session.host)
    return session


@transaction.atomic
def ama_attendance_record(*, actor: Actor, session: AmaSession, people: Iterable[Person]) -> int:
    """Record who attended (idempotent: people already recorded are skipped). Returns the
    number of new attendances; the session becomes 6.3 evidence."""
    _require_manager(actor)
    people = list(people)
    if not people:
        raise ValidationError({"people": "Choose at least one attendee."})
    inactive = [p for p in people if not p.is_active]
    if inactive:
        raise ValidationError({"people": f"{inactive[0]} has left and cannot be recorded as attending."})
    existing = set(AmaAttendance.objects.filter(session=session).values_list("person_id", flat=True))
    new = [AmaAttendance(session=session, person=p) for p in people if p.pk not in existing]
    AmaAttendance.objects.bulk_create(new)
    _awareness_evidence(source="ama_session", obj=session, title=f"AMA held: {session.title}",
                        collected_on=timezone.localdate(session.starts_at), owner=session.host)
    return len(new)


CHECK_IN_OPENS = timedelta(minutes=15)
CHECK_IN_CLOSES = timedelta(days=7)


@transaction.atomic
def ama_attendance_check_in(*, actor: Actor, session: AmaSession, now: datetime | None = None) -> AmaAttendance:
    """A participant records their own attendance, from 15 minutes before the start until a
    week after. Idempotent: checking in twice keeps one row."""
    _require_participant(actor)
    now = now or timezone.now()
    if now < session.starts_at - CHECK_IN_OPENS:
        raise ValidationError({"session": "Check-in opens 15 minutes before the session starts."})
    if now > session.starts_at + CHECK_IN_CLOSES:
        raise ValidationError({"session": "Check-in closed a week after the session."})
    attendance, _ = AmaAttendance.objects.get_or_create(session=session, person=actor.person)
    _awareness_evidence(source="ama_session", obj=session, title=f"AMA held: {session.title}",
                        collected_on=timezone.localdate(session.starts_at), owner=session.host)
    return attendance


@transaction.atomic
def ama_question_submit(*, actor: Actor, session: AmaSession, body: str, anonymous: bool) -> AmaQuestion:
    """Ask a question. Anonymous questions keep no link to the asker: ``asker`` stays NULL,
    nothing is logged about who asked, and the model is not audit-logged."""
    _require_participant(actor)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write your question."})
    if len(body) > QUESTION_MAX_LENGTH:
        raise ValidationError({"body": f"Keep the question under {QUESTION_MAX_LENGTH} characters."})
    if not session.is_open:
        raise ValidationError({"session": "This session no longer takes questions."})
    return AmaQuestion.objects.create(
        session=session, body=body, is_anonymous=bool(anonymous), asker=None if anonymous else actor.person,
    )


@transaction.atomic
def ama_question_vote(*, actor: Actor, question: AmaQuestion) -> AmaVote:
    _require_participant(actor)
    if question.status != AmaQuestion.Status.PUBLISHED:
        raise ValidationError({"question": "Only published questions can be voted on."})
    try:
        with transaction.atomic():
            return AmaVote.objects.create(question=question, person=actor.person)
    except IntegrityError:
        raise AlreadyVoted("You have already upvoted this question.") from None


@transaction.atomic
def ama_question_unvote(*, actor: Actor, question: AmaQuestion) -> bool:
    _require_participant(actor)
    deleted, _ = AmaVote.objects.filter(question=question, person=actor.person).delete()
    return bool(deleted)


def _lock_question(question: AmaQuestion) -> None:
    """Lock the question's row and reload what it holds now (in place: the caller's object,
    annotations and all, follows), so a moderation step checks and keeps the latest answer,
    status and FAQ entry rather than the copy read at the start of the request. Whether the
    caller's read was stale is the page's or the API's check (``_seen`` / ``If-Match``)."""
    question.refresh_from_db(from_queryset=AmaQuestion.objects.select_for_update())


@transaction.atomic
def ama_question_moderate(*, actor: Actor, question: AmaQuestion, status: str) -> AmaQuestion:
    _require_manager(actor)
    if status not in AmaQuestion.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}; use pending, published or hidden."})
    _lock_question(question)
    question.status = status
    if status != AmaQuestion.Status.PUBLISHED:
        question.in_faq = False
    question.save(update_fields=["status", "in_faq", "updated_at"])
    return question


@transaction.atomic
def ama_question_answer(*, actor: Actor, question: AmaQuestion, answer: str, publish: bool = True) -> AmaQuestion:
    """Save a Markdown answer (rendered through the sanitiser on display). Answering a
    question publishes it unless ``publish`` is false."""
    _require_manager(actor)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": "Write an answer."})
    if len(answer) > 20000:
        raise ValidationError({"answer": "Keep the answer under 20000 characters."})
    _lock_question(question)
    question.answer = answer
    question.answered_by = actor.person
    question.answered_at = timezone.now()
    if publish:
        question.status = AmaQuestion.Status.PUBLISHED
    question.save(update_fields=["answer", "answered_by", "answered_at", "status", "updated_at"])
    return question


@transaction.atomic
def ama_question_set_faq(*, actor: Actor, question: AmaQuestion, in_faq: bool, faq_title: str = "") -> AmaQuestion:
    _require_manager(actor)
    _lock_question(question)
    if in_faq:
        if not question.answer:
            raise ValidationError({"in_faq": "Answer the question before adding it to the FAQ."})
        if question.status != AmaQuestion.Status.PUBLISHED:
            raise ValidationError({"in_faq": "Only published questions can be in the FAQ."})
    question.in_faq = in_faq
    question.faq_title = (faq_title or "").strip()[:200]
    question.save(update_fields=["in_faq", "faq_title", "updated_at"])
    return question


# -- Bulletins -----------------------------------------------------------------------------------
def _bulletin_errors(*, title: str, body: str, severity: str, requires_ack: bool, due_date: date | None) -> dict:
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "A bulletin needs a title."
    if not (body or "").strip():
        errors["body"] = "A bulletin needs a body."
    if severity not in Severity.values:
        errors["severity"] = f"Unknown severity {severity!r}."
    if requires_ack and due_date is None:
        errors["due_date"] = "Set a due date for the acknowledgement."
    return errors


@transaction.atomic
def bulletin_publish(
    *, actor: Actor, title: str, body: str, severity: str = Severity.MEDIUM, requires_ack: bool = True,
    due_date: date | None = None, audience_teams: Iterable[Team] = (), audience_roles: Iterable[str] = (),
) -> Bulletin:
    _require_manager(actor)
    errors = _bulletin_errors(title=title, body=body, severity=severity, requires_ack=requires_ack,
                              due_date=due_date)
    if errors:
        raise ValidationError(errors)
    roles = _clean_roles(audience_roles)
    bulletin = Bulletin.objects.create(
        title=title.strip(), body=body, severity=severity, requires_ack=requires_ack, due_date=due_date,
        author=actor.person, published_at=timezone.now(), audience_roles=roles,
    )
    bulletin.audience_teams.set(list(audience_teams))
    _awareness_evidence(source="bulletin", obj=bulletin, title=f"Bulletin acknowledged: {bulletin.title}",
                        collected_on=timezone.localdate(bulletin.published_at), owner=actor.person)
    return bulletin


@transaction.atomic
def bulletin_update(
    *, actor: Actor, bulletin: Bulletin, title: str, body: str, severity: str, requires_ack: bool,
    due_date: date | None, audience_teams: Iterable[Team] = (), audience_roles: Iterable[str] = (),
) -> Bulletin:
    """Correct a published bulletin. Once someone has acknowledged it, its title and text are
    what they acknowledged: those stay, and so does the acknowledgement requirement (publish a
    new bulletin instead). Severity, due date and audience may still change."""
    _require_manager(actor)
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    errors = _bulletin_errors(title=title, body=body, severity=severity, requires_ack=requires_ack,
                              due_date=due_date)
    acknowledged = bulletin.acknowledgements.count()
    if acknowledged:
        reason = (f"{acknowledged} {'person has' if acknowledged == 1 else 'people have'} acknowledged this "
                  "bulletin as written; publish a new bulletin rather than change what they read.")
        if (title or "").strip() != bulletin.title:
            errors.setdefault("title", reason)
        if body != bulletin.body:
            errors.setdefault("body", reason)
        if not requires_ack:
            errors.setdefault("requires_ack", reason)
    if errors:
        raise ValidationError(errors)
    bulletin.title, bulletin.body, bulletin.severity = title.strip(), body, severity
    bulletin.requires_ack, bulletin.due_date = requires_ack, due_date
    bulletin.audience_roles = _clean_roles(audience_roles)
    bulletin.save()
    bulletin.audience_teams.set(list(audience_teams))
    return bulletin


@transaction.atomic
def bulletin_acknowledge(*, actor: Actor, bulletin: Bulletin) -> BulletinAcknowledgement:
    """Idempotent: acknowledging twice keeps the first time."""
    _require_participant(actor)
    if not bulletin.requires_ack:
        raise ValidationError({"bulletin": "This bulletin does not ask for an acknowledgement."})
    if not is_in_audience(bulletin, actor.person):
        raise ValidationError({"bulletin": "This bulletin is not addressed to you."})
    ack, _ = BulletinAcknowledgement.objects.get_or_create(
        bulletin=bulletin, person=actor.person, defaults={"acknowledged_at": timezone.now()}
    )
    return ack


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def bulletin_reminders_send(*, today: date | None = None) -> int:
    """Remind everyone in a bulletin's audience who has not acknowledged it, at most once per
    ISO week per bulletin (the Reminder ledger's unique constraint). Safe to run again."""
    today = today or timezone.localdate()
    period = _iso_week(today)
    sent = 0
    bulletins = Bulletin.objects.filter(requires_ack=True, published_at__date__lte=today).prefetch_related("audience_teams")
    for bulletin in bulletins:
        acked = BulletinAcknowledgement.objects.filter(bulletin=bulletin).values("person_id")
        for person in audience_people(bulletin).exclude(pk__in=acked):
            sent += _remind_once(
                kind=Reminder.Kind.BULLETIN, object_id=bulletin.pk, person=person, period=period,
                subject=f"Please acknowledge: {bulletin.title}",
                body=f"The security bulletin \"{bulletin.title}\" is due on {bulletin.due_date}. "
                     f"Please read and acknowledge it in the CTO Portal.",
            )
    return sent


def _remind_once(*, kind: str, object_id: int, person: Person, period: str, subject: str, body: str) -> int:
    """Claim the (kind, object, person, period) slot; send only if this call created it."""
    with transaction.atomic():
        _, created = Reminder.objects.get_or_create(kind=kind, object_id=object_id, person=person, period=period)
        if created:
            _notify(person, subject, body)
    return int(created)


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


# -- Controls and evidence ------------------------------------------------------------------------
@transaction.atomic
def control_update(*, actor: Actor, control: Control, **fields) -> Control:
    _require_manager(actor)
    allowed = {"owner", "notes", "is_applicable", "title"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be changed."})
    if "title" in fields and not (fields["title"] or "").strip():
        raise ValidationError({"title": "A control needs a title."})
    control.refresh_from_db(from_queryset=Control.objects.select_for_update())  # fields not set here stay as saved
    for name, value in fields.items():
        setattr(control, name, value)
    control.save()
    return control


@transaction.atomic
def evidence_create(
    *, actor: Actor, title: str, controls: Iterable[Control], collected_on: date, owner: Person | None = None,
    expires_on: date | None = None, url: str = "", description: str = "",
) -> EvidenceItem:
    _require_manager(actor)
    controls = list(controls)
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "Evidence needs a title."
    if not controls:
        errors["controls"] = "Link the evidence to at least one control."
    if collected_on is None:
        errors["collected_on"] = "Set the date the evidence was collected."
    elif expires_on is not None and expires_on < collected_on:
        errors["expires_on"] = "The expiry date cannot be before the collection date."
    if errors:
        raise ValidationError(errors)
    item = EvidenceItem.objects.create(
        title=title.strip(), owner=owner, collected_on=collected_on, expires_on=expires_on, url=url,
        description=description, source=EvidenceItem.Source.MANUAL,
    )
    item.controls.set(controls)
    return item


def evidence_expiry_reminders_send(*, today: date | None = None) -> int:
    """Tell each owner once per item and expiry date when the item expires within
    EVIDENCE_EXPIRY_WARNING_DAYS (or has expired)."""
    today = today or timezone.localdate()
    sent = 0
    items = EvidenceItem.objects.filter(
        expires_on__isnull=False, expires_on__lte=today + timedelta(days=EVIDENCE_EXPIRY_WARNING_DAYS),
        owner__isnull=False, owner__is_active=True,
    ).select_related("owner")
    for item in items:
        sent += _remind_once(
            kind=Reminder.Kind.EVIDENCE, object_id=item.pk, person=item.owner, period=item.expires_on.isoformat(),
            subject=f"Evidence expiring: {item.title}",
            body=f"The evidence \"{item.title}\" expires on {item.expires_on}. Please renew it.",
        )
    return sent
