"""Attendance (self check-in, import), feedback and the personal calendar feed."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.knowledge import policy
from apps.knowledge.models import (
    Attendance,
    CalendarFeed,
    Feedback,
    Session,
    Talk,
)
from apps.knowledge.services._common import _clean_text
from apps.org.models import Person

CHECK_IN_OPENS_BEFORE = timedelta(hours=1)


# -- Attendance and feedback ---------------------------------------------------------------------------------
def attendance_check_in(*, actor: Actor, session: Session, now: datetime | None = None) -> tuple[Attendance, bool]:
    """Self check-in, from an hour before the start; idempotent (checking in twice keeps one row)."""
    policy.require_person(actor)
    now = now or timezone.now()
    if session.is_cancelled:
        raise ValidationError({"session": "This session is cancelled."})
    if session.starts_at - CHECK_IN_OPENS_BEFORE > now:
        raise ValidationError({"session": "Check-in opens an hour before the session starts."})
    try:
        with transaction.atomic():
            return Attendance.objects.get_or_create(
                session=session, person_id=actor.person_id, defaults={"source": Attendance.Source.SELF}
            )
    except IntegrityError:
        return Attendance.objects.get(session=session, person_id=actor.person_id), False


@dataclass
class AttendanceImport:
    added: int = 0
    already: int = 0
    unknown: list[str] = field(default_factory=list)


EMAIL_SPLIT = re.compile(r"[\s,;]+")


@transaction.atomic
def attendance_import(*, actor: Actor, session: Session, emails: str) -> AttendanceImport:
    """Import attendees by email (e.g. the call's participant list). All or nothing: an unknown
    email refuses the whole import, naming every unknown address."""
    policy.require(policy.can_manage_session(actor, session), "Only the CTO and the host may import attendance.")
    wanted = [e.lower() for e in EMAIL_SPLIT.split(emails or "") if e]
    if not wanted:
        raise ValidationError({"emails": "Paste at least one email address."})
    people = {p.email.lower(): p for p in Person.objects.filter(email__in=wanted, is_active=True)}
    unknown = sorted({e for e in wanted if e not in people})
    if unknown:
        raise ValidationError({"emails": f"Unknown or inactive people: {', '.join(unknown)}. Nothing was imported."})
    result = AttendanceImport()
    existing = set(Attendance.objects.filter(session=session).values_list("person_id", flat=True))
    for person in {p.pk: p for p in people.values()}.values():
        if person.pk in existing:
            result.already += 1
            continue
        Attendance.objects.create(session=session, person=person, source=Attendance.Source.IMPORT)
        result.added += 1
    return result


def feedback_give(*, actor: Actor, talk: Talk, rating, comment: str = "",
                  now: datetime | None = None) -> tuple[Feedback, bool]:
    """One rating per person and talk: giving it again updates it. Speakers cannot rate
    their own talk, and only talks that have started can be rated."""
    policy.require_person(actor)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise ValidationError({"rating": "Give a rating from 1 to 5."})
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": "Give a rating from 1 to 5."})
    comment = _clean_text(comment, field_name="comment", max_length=5000, required=False)
    if policy.is_speaker(actor, talk):
        raise ValidationError({"talk": "You cannot rate your own talk."})
    if talk.session.is_cancelled:
        raise ValidationError({"talk": "This session was cancelled."})
    if talk.session.starts_at > (now or timezone.now()):
        raise ValidationError({"talk": "Feedback opens once the session has started."})
    with transaction.atomic():
        try:
            with transaction.atomic():
                feedback, created = Feedback.objects.get_or_create(
                    talk=talk, person_id=actor.person_id, defaults={"rating": rating, "comment": comment}
                )
        except IntegrityError:
            feedback, created = Feedback.objects.get(talk=talk, person_id=actor.person_id), False
        if not created:
            feedback.rating, feedback.comment = rating, comment
            feedback.save(update_fields=["rating", "comment", "updated_at"])
    return feedback, created


# -- Calendar feed ---------------------------------------------------------------------------------------------
@transaction.atomic
def calendar_feed_get_or_create(*, actor: Actor) -> CalendarFeed:
    policy.require_person(actor)
    feed, _ = CalendarFeed.objects.get_or_create(person_id=actor.person_id,
                                                 defaults={"token": CalendarFeed.new_token()})
    return feed


@transaction.atomic
def calendar_feed_reset(*, actor: Actor) -> CalendarFeed:
    """A new secret URL; the old one stops working at once."""
    policy.require_person(actor)
    feed, created = CalendarFeed.objects.get_or_create(person_id=actor.person_id,
                                                       defaults={"token": CalendarFeed.new_token()})
    if not created:
        feed.token = CalendarFeed.new_token()
        feed.created_at = timezone.now()
        feed.save(update_fields=["token", "created_at"])
    return feed
