"""AMA sessions, attendance, questions, votes and moderation."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.org.models import Person
from apps.security.models import (
    AmaAttendance,
    AmaQuestion,
    AmaSession,
    AmaVote,
)
from apps.security.services._common import _awareness_evidence, _require_manager, _require_participant

QUESTION_MAX_LENGTH = 2000


class AlreadyVoted(Exception):
    """The person has upvoted this question already (one vote per person)."""


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
