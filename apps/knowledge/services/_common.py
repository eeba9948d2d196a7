"""Validation and agenda helpers shared by the knowledge services."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Max, Sum

from apps.knowledge.models import (
    MAX_TALK_MINUTES,
    Session,
    Talk,
    Track,
)


# -- Validation helpers ----------------------------------------------------------------------------
def _clean_text(value, *, field_name: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field_name: "This field is required."})
    if len(text) > max_length:
        raise ValidationError({field_name: f"At most {max_length} characters."})
    return text


def _clean_minutes(value, *, field_name: str = "duration_minutes", low: int = 5, high: int = MAX_TALK_MINUTES) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field_name: "Give a whole number of minutes."})
    if not low <= minutes <= high:
        raise ValidationError({field_name: f"Between {low} and {high} minutes."})
    return minutes


def _clean_track(value) -> str:
    if value not in Track.values:
        raise ValidationError({"track": f"Unknown track {value!r}; use one of {', '.join(Track.values)}."})
    return value


def _clean_url(value, *, field_name: str) -> str:
    url = (value or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError({field_name: "Enter a valid http(s) URL."})
    return url


def _locked_session(session: Session) -> Session:
    """Lock the session row so two schedulers cannot both fill the last free minutes."""
    return Session.objects.select_for_update().get(pk=session.pk)


def booked_minutes(session: Session, *, exclude: Talk | None = None) -> int:
    qs = Talk.objects.filter(session=session)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.aggregate(total=Sum("duration_minutes"))["total"] or 0


def _check_fits(session: Session, minutes: int, *, exclude: Talk | None = None, field_name: str = "session") -> None:
    """The agenda respects the session's length: refuse a talk that would overrun it."""
    if session.is_cancelled:
        raise ValidationError({field_name: f"“{session}” is cancelled."})
    booked = booked_minutes(session, exclude=exclude)
    if booked + minutes > session.duration_minutes:
        left = max(0, session.duration_minutes - booked)
        raise ValidationError({field_name: (
            f"A {minutes}-minute talk would overrun “{session}”: {booked} of its {session.duration_minutes} "
            f"minutes are already booked, {left} left."
        )})


def _next_position(session: Session) -> int:
    return (Talk.objects.filter(session=session).aggregate(m=Max("position"))["m"] or 0) + 1
