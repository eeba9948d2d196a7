"""Series: create one, and change it (a changed schedule moves its upcoming planned meetings)."""
from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import date, time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.org.models import Person
from apps.syncs.models import SyncSeries
from apps.syncs.services.checks import _check_manage
from apps.syncs.services.schedule import _meetings_follow_schedule, meeting_generate_upcoming

SERIES_CREATE_ROLES = (Role.CTO, Role.EM, Role.TL, Role.PM, Role.SERVICE)
SERIES_FIELDS = ("kind", "title", "owner", "participants", "cadence", "weekday", "start_time", "time_zone",
                 "duration_minutes", "starts_on", "agenda_template", "is_private", "is_active")
# What places a series' meetings in time: a change moves its upcoming planned meetings.
SCHEDULE_FIELDS = ("cadence", "weekday", "start_time", "time_zone", "duration_minutes", "starts_on")


def _validate_series(series: SyncSeries, participants: list[Person]) -> None:
    errors: dict[str, str] = {}
    series.title = (series.title or "").strip()
    if not series.title:
        errors["title"] = "A title is required."
    if series.kind not in SyncSeries.Kind.values:
        errors["kind"] = f"{series.kind!r} is not one of {', '.join(SyncSeries.Kind.values)}."
    if series.cadence not in SyncSeries.Cadence.values:
        errors["cadence"] = f"{series.cadence!r} is not a cadence; use one of {', '.join(SyncSeries.Cadence.values)}."
    if not isinstance(series.weekday, int) or not 0 <= series.weekday <= 6:
        errors["weekday"] = "The weekday is a number from 0 (Monday) to 6 (Sunday)."
    if not isinstance(series.start_time, time):
        errors["start_time"] = "The start time must be a time such as 09:30."
    if series.time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = f"Unknown time zone {series.time_zone!r}."
    if not isinstance(series.duration_minutes, int) or not 5 <= series.duration_minutes <= 480:
        errors["duration_minutes"] = "A meeting lasts between 5 and 480 minutes."
    if not isinstance(series.starts_on, date):
        errors["starts_on"] = "The first date must be a date (YYYY-MM-DD)."
    inactive = [p.full_name for p in participants if not p.is_active]
    if inactive:
        errors["participants"] = f"These people have left: {', '.join(inactive)}."
    if series.kind == SyncSeries.Kind.ONE_ON_ONE:
        series.is_private = True
        if len({p.pk for p in participants}) != 2:
            errors["participants"] = "A 1:1 has exactly two participants (the owner and one other person)."
    if errors:
        raise ValidationError(errors)


def _with_owner(owner: Person, participants: Iterable[Person]) -> list[Person]:
    people = {p.pk: p for p in participants}
    people[owner.pk] = owner
    return list(people.values())


@transaction.atomic
def series_create(*, actor: Actor, title: str, kind: str = SyncSeries.Kind.OTHER, owner: Person | None = None,
                  participants: Iterable[Person] = (), cadence: str = SyncSeries.Cadence.WEEKLY, weekday: int = 0,
                  start_time: time | None = None, time_zone: str = "UTC", duration_minutes: int = 60,
                  starts_on: date | None = None, agenda_template: str = "", is_private: bool = False,
                  is_active: bool = True, generate: bool = True) -> SyncSeries:
    if not actor.has_role(*SERIES_CREATE_ROLES):
        raise PermissionDenied("Your role may not create syncs.")
    owner = owner or actor.person
    if owner is None:
        raise ValidationError({"owner": "A series needs an owner."})
    people = _with_owner(owner, participants)
    if not (actor.is_cto or actor.is_service) and actor.person_id not in {p.pk for p in people}:
        raise ValidationError({"participants": "You must take part in a series you create."})
    series = SyncSeries(
        title=title, kind=kind, owner=owner, cadence=cadence, weekday=weekday,
        start_time=start_time if start_time is not None else time(10, 0), time_zone=time_zone,
        duration_minutes=duration_minutes, starts_on=starts_on or timezone.localdate(),
        agenda_template=agenda_template or "", is_private=is_private, is_active=is_active,
    )
    _validate_series(series, people)
    series.save()
    series.participants.set(people)
    if generate:
        meeting_generate_upcoming(series_ids=[series.pk])
    return series


@transaction.atomic
def series_update(*, actor: Actor, series: SyncSeries, **fields: Any) -> SyncSeries:
    _check_manage(actor, series)
    unknown = set(fields) - set(SERIES_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    participants = fields.pop("participants", None)
    before = {name: getattr(series, name) for name in (*SCHEDULE_FIELDS, "agenda_template", "is_active")}
    for name, value in fields.items():
        setattr(series, name, value)
    people = _with_owner(series.owner, participants if participants is not None else series.participants.all())
    _validate_series(series, people)
    series.save()
    series.participants.set(people)
    rescheduled = any(getattr(series, name) != before[name] for name in SCHEDULE_FIELDS)
    if rescheduled:
        _meetings_follow_schedule(series, old_time_zone=before["time_zone"],
                                  templates=(before["agenda_template"], series.agenda_template))
    if series.is_active and (rescheduled or not before["is_active"]):
        meeting_generate_upcoming(series_ids=[series.pk])  # the new dates at once, not at the nightly run
    return series
