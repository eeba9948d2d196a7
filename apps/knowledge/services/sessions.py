"""Series (with session generation) and sessions."""
from __future__ import annotations

import calendar as _calendar
import zoneinfo
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from apps.core.access import Actor
from apps.knowledge import policy
from apps.knowledge.models import (
    Session,
    SessionSeries,
)
from apps.knowledge.services._common import (
    _clean_url,
    _locked_session,
    booked_minutes,
)


# -- Series and generation ----------------------------------------------------------------------------
def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    days = [d for d in _calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if 1 <= nth <= len(days) else None


def series_occurrences(series: SessionSeries, *, start: date, count: int) -> list[date]:
    """The next ``count`` dates of the series on or after ``start`` (and its ``starts_on``),
    stopping at ``ends_on``. Weekly/biweekly dates are anchored on ``starts_on``."""
    start = max(start, series.starts_on)
    found: list[date] = []
    if series.cadence == SessionSeries.Cadence.MONTHLY:
        year, month = start.year, start.month
        for _ in range(count * 2 + 24):
            day = _nth_weekday(year, month, series.weekday, series.week_of_month)
            if day and day >= start:
                found.append(day)
            if len(found) >= count:
                break
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        step = 7 if series.cadence == SessionSeries.Cadence.WEEKLY else 14
        first = series.starts_on + timedelta(days=(series.weekday - series.starts_on.weekday()) % 7)
        if start > first:
            first += timedelta(days=-(-(start - first).days // step) * step)
        found = [first + timedelta(days=step * i) for i in range(count)]
    if series.ends_on:
        found = [d for d in found if d <= series.ends_on]
    return found[:count]


def _occurrence_start(series: SessionSeries, day: date) -> datetime:
    return datetime.combine(day, series.start_time, tzinfo=zoneinfo.ZoneInfo(series.time_zone))


def session_title(series: SessionSeries, day: date) -> str:
    return f"{series.name} — {date_format(day, 'F Y') if series.cadence == SessionSeries.Cadence.MONTHLY else date_format(day, 'j F Y')}"


@transaction.atomic
def series_generate_sessions(*, series: SessionSeries, today: date | None = None,
                             start: date | None = None, count: int | None = None) -> list[Session]:
    """Make sure the series' next ``generate_ahead`` sessions exist. Idempotent: keyed by
    (series, occurrence_date), so running it twice (or concurrently: the unique constraint
    settles the race) creates nothing twice, and a session moved or edited by hand is kept."""
    if not series.is_active:
        return []
    today = today or timezone.localdate()
    created: list[Session] = []
    for day in series_occurrences(series, start=start or today, count=count or series.generate_ahead):
        if Session.objects.filter(series=series, occurrence_date=day).exists():
            continue
        try:
            with transaction.atomic():
                created.append(Session.objects.create(
                    series=series, occurrence_date=day, title=session_title(series, day),
                    starts_at=_occurrence_start(series, day), duration_minutes=series.duration_minutes,
                    location=series.location, call_url=series.call_url, host=series.host,
                ))
        except IntegrityError:  # another worker created it meanwhile
            continue
    return created


def series_generate_all(*, today: date | None = None) -> int:
    """What the beat task runs: every active series, one transaction each."""
    return sum(len(series_generate_sessions(series=s, today=today)) for s in SessionSeries.objects.filter(is_active=True))


SERIES_FIELDS = ("name", "description", "cadence", "weekday", "week_of_month", "start_time", "time_zone",
                 "duration_minutes", "starts_on", "ends_on", "generate_ahead", "location", "call_url", "host",
                 "is_active")


def _validate_series(series: SessionSeries) -> None:
    errors: dict[str, str] = {}
    series.name = (series.name or "").strip()
    if not series.name:
        errors["name"] = "This field is required."
    elif SessionSeries.objects.filter(name__iexact=series.name).exclude(pk=series.pk).exists():
        errors["name"] = "Another series has this name."
    if series.cadence not in SessionSeries.Cadence.values:
        errors["cadence"] = "Unknown cadence."
    if series.weekday not in range(7):
        errors["weekday"] = "Use 0 (Monday) to 6 (Sunday)."
    if series.week_of_month not in SessionSeries.WeekOfMonth.values:
        errors["week_of_month"] = "Use 1–4, or -1 for the last week."
    if series.time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = f"Unknown time zone {series.time_zone!r}."
    if not series.starts_on:
        errors["starts_on"] = "This field is required."
    elif series.ends_on and series.ends_on < series.starts_on:
        errors["ends_on"] = "The series cannot end before it starts."
    if not 5 <= (series.duration_minutes or 0) <= 600:
        errors["duration_minutes"] = "Between 5 and 600 minutes."
    if not 1 <= (series.generate_ahead or 0) <= 24:
        errors["generate_ahead"] = "Between 1 and 24 sessions."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def series_create(*, actor: Actor, **fields) -> SessionSeries:
    policy.require(policy.can_manage_series(actor), "Only the CTO may create a series.")
    unknown = set(fields) - set(SERIES_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    series = SessionSeries(**fields)
    _validate_series(series)
    series.save()
    return series


@transaction.atomic
def series_update(*, actor: Actor, series: SessionSeries, **fields) -> SessionSeries:
    """Changes apply to sessions generated from now on; existing sessions stay as they are."""
    policy.require(policy.can_manage_series(actor), "Only the CTO may change a series.")
    for name, value in fields.items():
        if name not in SERIES_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(series, name, value)
    _validate_series(series)
    series.save()
    return series


# -- Sessions -------------------------------------------------------------------------------------------
SESSION_FIELDS = ("title", "description", "starts_at", "duration_minutes", "location", "call_url", "host",
                  "recording_url", "is_cancelled")


def _validate_session(session: Session) -> None:
    errors: dict[str, str] = {}
    session.title = (session.title or "").strip()
    if not session.title:
        errors["title"] = "This field is required."
    elif len(session.title) > 200:
        errors["title"] = "At most 200 characters."
    if session.starts_at is None:
        errors["starts_at"] = "This field is required."
    if not 5 <= (session.duration_minutes or 0) <= 600:
        errors["duration_minutes"] = "Between 5 and 600 minutes."
    elif session.pk:
        booked = booked_minutes(session)
        if booked > session.duration_minutes:
            errors["duration_minutes"] = (
                f"The agenda already holds {booked} minutes of talks; move a talk before shortening the session."
            )
    for name in ("call_url", "recording_url"):
        try:
            setattr(session, name, _clean_url(getattr(session, name), field_name=name))
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if session.host is not None and not session.host.is_active:
        errors["host"] = "The host has left the company."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def session_create(*, actor: Actor, **fields) -> Session:
    """A one-off session (series sessions are generated). The CTO and hosts create them; a
    host who is not the CTO hosts what they create."""
    policy.require(policy.can_curate(actor), "Only the CTO and session hosts may create sessions.")
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    session = Session(**fields)
    if session.host is None and actor.person is not None:
        session.host = actor.person
    if not actor.is_cto and session.host_id != actor.person_id:
        raise ValidationError({"host": "You may only create sessions you host yourself."})
    _validate_session(session)
    session.save()
    return session


@transaction.atomic
def session_update(*, actor: Actor, session: Session, **fields) -> Session:
    session = _locked_session(session)
    policy.require(policy.can_manage_session(actor, session), "Only the CTO and the session's host may edit it.")
    for name, value in fields.items():
        if name not in SESSION_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(session, name, value)
    _validate_session(session)
    session.save()
    return session
