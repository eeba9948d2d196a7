"""Every write of syncs. Check (permission, validation), then do, in one transaction.

Callers fetch objects through ``apps.syncs.selectors`` first, so an object a service receives
is already one the actor may see; the services check what the actor may *change*.
"""
from __future__ import annotations

import zoneinfo
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.org.models import Person
from apps.syncs import selectors
from apps.syncs.models import (
    MAX_NOTES_CHARS,
    ActionItem,
    AgendaItem,
    CalendarFeed,
    Decision,
    Meeting,
    SyncSeries,
    new_feed_token,
)

SERIES_CREATE_ROLES = (Role.CTO, Role.EM, Role.TL, Role.PM, Role.SERVICE)
SERIES_FIELDS = ("kind", "title", "owner", "participants", "cadence", "weekday", "start_time", "time_zone",
                 "duration_minutes", "starts_on", "agenda_template", "is_private", "is_active")
# What places a series' meetings in time: a change moves its upcoming planned meetings.
SCHEDULE_FIELDS = ("cadence", "weekday", "start_time", "time_zone", "duration_minutes", "starts_on")
GENERATE_HORIZON_DAYS = 28
STATUS_LABELS = {"meeting": Meeting.Status.choices, "agenda item": AgendaItem.Status.choices,
                 "action item": ActionItem.Status.choices}


# -- Permissions ----------------------------------------------------------------------------------
def can_manage_series(actor: Actor, series: SyncSeries) -> bool:
    """Change the series itself (title, cadence, participants): its owner or the CTO; a service
    account for non-private series."""
    if actor.is_service:
        return not series.is_private
    if actor.is_cto and (not series.is_private or actor.person_id in selectors.participant_ids(series)):
        return True
    return actor.person_id is not None and actor.person_id == series.owner_id


def _check_visible(actor: Actor, series: SyncSeries) -> None:
    """Contributing (agenda, notes, decisions, action items) is open to whoever sees the series."""
    if not selectors.series_visible(actor=actor).filter(pk=series.pk).exists():
        raise PermissionDenied("You do not take part in this series.")


def _check_manage(actor: Actor, series: SyncSeries) -> None:
    if not can_manage_series(actor, series):
        raise PermissionDenied("Only the owner of the series or the CTO may change it.")


# -- Series -----------------------------------------------------------------------------------------
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


# -- Meetings -------------------------------------------------------------------------------------
def occurrence_dates(series: SyncSeries, start: date, end: date) -> list[date]:
    """The dates in [start, end] on which the series meets, by its cadence."""
    start = max(start, series.starts_on)
    if end < start:
        return []
    weekday = series.weekday
    if series.cadence == SyncSeries.Cadence.MONTHLY:
        dates = []
        year, month = start.year, start.month
        while date(year, month, 1) <= end:
            first = date(year, month, 1)
            day = first + timedelta(days=(weekday - first.weekday()) % 7)
            if start <= day <= end and day.day <= monthrange(year, month)[1]:
                dates.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return dates
    step = 14 if series.cadence == SyncSeries.Cadence.BIWEEKLY else 7
    anchor = series.starts_on + timedelta(days=(weekday - series.starts_on.weekday()) % 7)
    if anchor < start:
        periods = -(-(start - anchor).days // step)  # ceil
        anchor += timedelta(days=periods * step)
    dates = []
    day = anchor
    while day <= end:
        dates.append(day)
        day += timedelta(days=step)
    return dates


def _local_start(series: SyncSeries, day: date) -> datetime:
    return datetime.combine(day, series.start_time, tzinfo=zoneinfo.ZoneInfo(series.time_zone))


def _add_template_agenda(meeting: Meeting) -> None:
    lines = [line.strip(" -*\t") for line in meeting.series.agenda_template.splitlines()]
    AgendaItem.objects.bulk_create([
        AgendaItem(series=meeting.series, meeting=meeting, title=line[:200], order=i)
        for i, line in enumerate((line for line in lines if line), start=1)
    ])


def _day_bounds(zone: zoneinfo.ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """[start of ``first``, start of the day after ``last``) in ``zone``, as aware datetimes."""
    return (datetime.combine(first, time.min, tzinfo=zone),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone))


def meeting_generate_upcoming(*, series_ids: Iterable[int] | None = None, today: date | None = None,
                              horizon_days: int = GENERATE_HORIZON_DAYS) -> int:
    """Create the planned meetings of the next ``horizon_days`` from each active series' cadence.

    Idempotent: the natural key is (series, local date) — a date on which the series already has
    a meeting of its cadence (not ad hoc), at whatever time and in whatever status, gets no other
    one, so a changed start time never doubles a date — backed by the (series, scheduled_at)
    unique constraint against two runs at once. Each series is handled under its row's lock, so
    a run never plans from a schedule that :func:`series_update` is changing. Past dates are never
    back-filled. Returns how many meetings were created."""
    today = today or timezone.localdate()
    end = today + timedelta(days=horizon_days)
    qs = SyncSeries.objects.filter(is_active=True)
    if series_ids is not None:
        qs = qs.filter(pk__in=list(series_ids))
    created = 0
    for pk in qs.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            series = SyncSeries.objects.select_for_update().filter(pk=pk, is_active=True).first()
            if series is None:
                continue
            created += _generate_for(series, today, end)
    return created


def _generate_for(series: SyncSeries, today: date, end: date) -> int:
    days = occurrence_dates(series, today, end)
    if not days:
        return 0
    zone = zoneinfo.ZoneInfo(series.time_zone)
    first, after_last = _day_bounds(zone, days[0], days[-1])
    existing = list(series.meetings.filter(scheduled_at__gte=first, scheduled_at__lt=after_last)
                    .values_list("scheduled_at", "is_adhoc"))
    taken_starts = {start for start, _ in existing}
    taken_days = {start.astimezone(zone).date() for start, adhoc in existing if not adhoc}
    created = 0
    for day in days:
        start = _local_start(series, day)
        if day in taken_days or start in taken_starts:
            continue
        try:
            with transaction.atomic():
                meeting = Meeting.objects.create(series=series, scheduled_at=start,
                                                 duration_minutes=series.duration_minutes)
                _add_template_agenda(meeting)
        except IntegrityError:  # created meanwhile by a concurrent run
            continue
        created += 1
    return created


def _template_lines(template: str) -> set[str]:
    return {line.strip(" -*\t")[:200] for line in template.splitlines() if line.strip(" -*\t")}


def _blank_meetings(meetings: list[Meeting], templates: Iterable[str]) -> set[int]:
    """The ids of the meetings nobody has written on: no notes (never saved), no attendance, no
    decision or action item, and an agenda that is only the series template, untouched."""
    if not meetings:
        return set()
    ids = [m.pk for m in meetings]
    lines = set().union(*(_template_lines(t) for t in templates))
    written = set(Meeting.objects.filter(pk__in=ids).exclude(notes="", version=0).values_list("pk", flat=True))
    written |= set(Meeting.attendees.through.objects.filter(meeting_id__in=ids).values_list("meeting_id", flat=True))
    written |= set(Decision.objects.filter(meeting_id__in=ids).values_list("meeting_id", flat=True))
    written |= set(ActionItem.objects.filter(meeting_id__in=ids).values_list("meeting_id", flat=True))
    for item in AgendaItem.objects.filter(meeting_id__in=ids).only(
            "meeting_id", "title", "description", "presenter_id", "minutes", "status", "carried_from_id", "added_by_id"):
        from_template = (item.title in lines and not item.description and item.presenter_id is None
                         and item.minutes is None and item.status == AgendaItem.Status.OPEN
                         and item.carried_from_id is None and item.added_by_id is None)
        if not from_template:
            written.add(item.meeting_id)
    return set(ids) - written


def _meetings_follow_schedule(series: SyncSeries, *, old_time_zone: str, templates: Iterable[str]) -> None:
    """After the schedule of a series changed, its upcoming planned meetings follow it, one per date.

    A meeting of the cadence (not ad hoc) still planned moves to the new start time (and length)
    on its own local date, with everything written on it. A date the new cadence no longer has
    loses its meeting only when nothing was written on it; one with notes, attendance, decisions,
    action items or a worked agenda stays where it is. Held and cancelled meetings never move."""
    now = timezone.now()
    old_zone = zoneinfo.ZoneInfo(old_time_zone)
    planned = list(series.meetings.select_for_update()
                   .filter(status=Meeting.Status.PLANNED, is_adhoc=False, scheduled_at__gt=now)
                   .order_by("scheduled_at", "pk"))
    if not planned:
        return
    by_day: dict[date, list[Meeting]] = {}
    for meeting in planned:
        by_day.setdefault(meeting.scheduled_at.astimezone(old_zone).date(), []).append(meeting)
    cadence = set(occurrence_dates(series, min(by_day), max(by_day)))
    blank = _blank_meetings(planned, templates)
    keep: dict[Meeting, datetime] = {}
    drop: list[int] = []
    for day, meetings in by_day.items():
        start = _local_start(series, day) if day in cadence else None
        if start is None:
            drop += [m.pk for m in meetings if m.pk in blank]
            continue
        # One meeting for the date (an earlier run may have planned two): preferably one written
        # on, preferably the one already at the new time.
        written = [m for m in meetings if m.pk not in blank]
        kept = next((m for m in written or meetings if m.scheduled_at == start), (written or meetings)[0])
        keep[kept] = start
        drop += [m.pk for m in meetings if m is not kept and m.pk in blank]
    if drop:
        AgendaItem.objects.filter(meeting_id__in=drop).delete()
        Meeting.objects.filter(pk__in=drop).delete()
    occupied = set(series.meetings.exclude(pk__in=[m.pk for m in keep]).filter(scheduled_at__in=list(keep.values()))
                   .values_list("scheduled_at", flat=True))
    for meeting, start in keep.items():
        if start in occupied:  # an ad-hoc or closed meeting already sits at that time: leave this one
            start = meeting.scheduled_at
        if (meeting.scheduled_at, meeting.duration_minutes) == (start, series.duration_minutes):
            continue
        try:
            with transaction.atomic():
                Meeting.objects.filter(pk=meeting.pk).update(scheduled_at=start, updated_at=now,
                                                             duration_minutes=series.duration_minutes)
        except IntegrityError:  # another kept meeting still sits there (a time-zone change): stays put
            continue
        occupied.add(start)


@transaction.atomic
def meeting_create_adhoc(*, actor: Actor, series: SyncSeries, scheduled_at: datetime, title: str = "",
                         duration_minutes: int | None = None) -> Meeting:
    _check_visible(actor, series)
    if not isinstance(scheduled_at, datetime):
        raise ValidationError({"scheduled_at": "A date and time is required (YYYY-MM-DDTHH:MM)."})
    if timezone.is_naive(scheduled_at):
        scheduled_at = scheduled_at.replace(tzinfo=zoneinfo.ZoneInfo(series.time_zone))
    duration = duration_minutes or series.duration_minutes
    if not 5 <= duration <= 480:
        raise ValidationError({"duration_minutes": "A meeting lasts between 5 and 480 minutes."})
    if series.meetings.filter(scheduled_at=scheduled_at).exists():
        raise ValidationError({"scheduled_at": "This series already has a meeting at that time."})
    meeting = Meeting.objects.create(series=series, scheduled_at=scheduled_at, title=(title or "").strip()[:150],
                                     duration_minutes=duration, is_adhoc=True)
    _add_template_agenda(meeting)
    return meeting


def _check_seen_status(current: str, seen: str | None, wanted: str | None, what: str) -> bool:
    """A status change asked for from a page that showed the status ``seen``: True when it still
    applies, False when there is nothing to change (the page did not ask for a change, or someone
    else already made it); a ValidationError when someone else moved the status elsewhere."""
    if seen is None:
        return wanted is not None and wanted != current
    if wanted is None or wanted == seen or wanted == current:
        return False
    if current != seen:
        label = dict(STATUS_LABELS[what]).get(current, current).lower()
        raise ValidationError({"status": f"Someone else marked this {what} {label} after you opened the page; "
                                         "nothing was changed. Reload the page to see it."})
    return True


@transaction.atomic
def meeting_update(*, actor: Actor, meeting: Meeting, status: str | None = None,
                   attendees: Iterable[Person] | None = None, title: str | None = None,
                   seen_status: str | None = None, seen_attendees: Iterable[Person] | None = None) -> Meeting:
    """Change status / attendance. Closing a meeting (held or cancelled) carries its
    unfinished agenda and the series backlog forward to the next meeting.

    A page passes what it showed: ``seen_status`` — the status changes only if the person changed
    it, and is refused (nothing saved) when someone else closed or reopened the meeting meanwhile —
    and ``seen_attendees`` — attendance is then applied as the ticks the person changed, on top of
    the attendance saved meanwhile by others. Both are checked under the meeting row's lock."""
    _check_visible(actor, meeting.series)
    if status is not None and status not in Meeting.Status.values:
        raise ValidationError({"status": f"{status!r} is not one of {', '.join(Meeting.Status.values)}."})
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    change_status = _check_seen_status(current.status, seen_status, status, "meeting")
    meeting.status = current.status
    if attendees is not None:
        attendees = list(attendees)
        allowed = selectors.participant_ids(meeting.series)
        strangers = [p.full_name for p in attendees if p.pk not in allowed]
        if strangers:
            raise ValidationError({"attendees": f"Not participants of this series: {', '.join(strangers)}."})
        if seen_attendees is not None:
            ticked, shown = {p.pk for p in attendees}, {p.pk for p in seen_attendees}
            saved = set(meeting.attendees.values_list("pk", flat=True))
            meeting.attendees.set((saved | (ticked - shown)) - (shown - ticked))
        else:
            meeting.attendees.set(attendees)
    changed = ["updated_at"]
    meeting.title = current.title
    if title is not None:
        meeting.title = title.strip()[:150]
        changed.append("title")
    if change_status:
        meeting.status = status
        changed.append("status")
    meeting.save(update_fields=changed)
    if meeting.status in (Meeting.Status.HELD, Meeting.Status.CANCELLED):
        agenda_carry_forward(meeting=meeting)
    return meeting


def agenda_carry_forward(*, meeting: Meeting) -> Meeting | None:
    """Copy the meeting's unfinished items to the next planned meeting (generating it from the
    cadence if needed) and move the series backlog there. Idempotent: each item is carried at
    most once (``carried_from`` is unique per meeting) and carried originals are no longer open."""
    series = meeting.series
    target = selectors.next_meeting_of(series, meeting.scheduled_at)
    if target is None:
        # Look far enough ahead for a monthly cadence (the next first-Monday can be 5 weeks out).
        meeting_generate_upcoming(series_ids=[series.pk],
                                  today=max(timezone.localdate(), timezone.localtime(meeting.scheduled_at).date()),
                                  horizon_days=62)
        target = selectors.next_meeting_of(series, meeting.scheduled_at)
    if target is None:
        return None
    with transaction.atomic():
        unfinished = list(meeting.agenda_items.select_for_update().filter(status=AgendaItem.Status.OPEN))
        order = (target.agenda_items.aggregate(m=Max("order"))["m"] or 0) + 1
        copies = []
        for item in unfinished:
            copies.append(AgendaItem(series=series, meeting=target, title=item.title, description=item.description,
                                     presenter_id=item.presenter_id, minutes=item.minutes, order=order,
                                     carried_from=item, added_by_id=item.added_by_id))
            order += 1
        AgendaItem.objects.bulk_create(copies, ignore_conflicts=True)
        AgendaItem.objects.filter(pk__in=[i.pk for i in unfinished]).update(status=AgendaItem.Status.CARRIED)
        for item in series.agenda_items.select_for_update().filter(meeting__isnull=True, status=AgendaItem.Status.OPEN):
            item.meeting = target
            item.order = order
            order += 1
            item.save(update_fields=["meeting", "order", "updated_at"])
        Meeting.objects.filter(pk=meeting.pk).update(carried_forward_at=timezone.now())
    return target


# -- Agenda -----------------------------------------------------------------------------------------
def _check_minutes(minutes: Any) -> None:
    if minutes is not None and (not isinstance(minutes, int) or not 1 <= minutes <= 480):
        raise ValidationError({"minutes": "Minutes must be a whole number from 1 to 480."})


@transaction.atomic
def agenda_item_add(*, actor: Actor, series: SyncSeries, meeting: Meeting | None = None, title: str,
                    description: str = "", presenter: Person | None = None, minutes: int | None = None,
                    order: int | None = None) -> AgendaItem:
    """Add to a meeting's agenda, or to the series backlog when ``meeting`` is None."""
    _check_visible(actor, series)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "A title is required."})
    if len(title) > 200:
        raise ValidationError({"title": "At most 200 characters."})
    if meeting is not None and meeting.series_id != series.pk:
        raise ValidationError({"meeting": "That meeting belongs to another series."})
    if meeting is not None and meeting.status != Meeting.Status.PLANNED:
        raise ValidationError({"meeting": "This meeting is closed; add the item to the backlog or the next meeting."})
    _check_minutes(minutes)
    if presenter is not None and presenter.pk not in selectors.participant_ids(series):
        raise ValidationError({"presenter": "The presenter must take part in the series."})
    if order is None:
        scope = AgendaItem.objects.filter(series=series, meeting=meeting)
        order = (scope.aggregate(m=Max("order"))["m"] or 0) + 1
    return AgendaItem.objects.create(series=series, meeting=meeting, title=title, description=description or "",
                                     presenter=presenter, minutes=minutes, order=order, added_by=actor.person)


@transaction.atomic
def agenda_item_update(*, actor: Actor, item: AgendaItem, seen_status: str | None = None,
                       **fields: Any) -> AgendaItem:
    """``seen_status``: the status the caller's page showed; a status change is refused when the
    item no longer has it (discussed, dropped or carried forward meanwhile)."""
    _check_visible(actor, item.series)
    allowed = {"title", "description", "presenter", "minutes", "order", "status"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    if "status" in fields and fields["status"] not in AgendaItem.Status.values:
        raise ValidationError({"status": f"{fields['status']!r} is not one of {', '.join(AgendaItem.Status.values)}."})
    if seen_status is not None:
        current = AgendaItem.objects.select_for_update().values_list("status", flat=True).get(pk=item.pk)
        if not _check_seen_status(current, seen_status, fields.get("status"), "agenda item"):
            fields.pop("status", None)
            item.status = current
    if "title" in fields and not (fields["title"] or "").strip():
        raise ValidationError({"title": "A title is required."})
    _check_minutes(fields.get("minutes"))
    presenter = fields.get("presenter")
    if presenter is not None and presenter.pk not in selectors.participant_ids(item.series):
        raise ValidationError({"presenter": "The presenter must take part in the series."})
    for name, value in fields.items():
        setattr(item, name, value)
    item.save()
    return item


@transaction.atomic
def agenda_item_move(*, actor: Actor, item: AgendaItem, direction: str) -> AgendaItem:
    """Swap the item with its neighbour above ("up") or below ("down") on the same agenda,
    renumbering the agenda 1..n so orders stay distinct."""
    _check_visible(actor, item.series)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move 'up' or 'down'."})
    siblings = list(AgendaItem.objects.select_for_update().filter(series=item.series_id, meeting=item.meeting_id)
                    .exclude(status=AgendaItem.Status.CARRIED).order_by("order", "id"))
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.order != position:
            sibling.order = position
            AgendaItem.objects.filter(pk=sibling.pk).update(order=position)
    item.refresh_from_db()
    return item


# -- Notes ------------------------------------------------------------------------------------------
@dataclass
class NotesConflict(Exception):
    """A save based on a stale version: someone else saved first. Carries both texts."""

    current_body: str
    current_version: int
    current_author: str
    your_body: str
    your_version: int

    def __str__(self) -> str:
        return (f"The notes were changed by {self.current_author or 'someone else'} "
                f"(version {self.current_version}) since you opened version {self.your_version}.")


def meeting_notes_save(*, actor: Actor, meeting: Meeting, body: str, version: Any) -> Meeting:
    """Save the notes if nobody saved since ``version``; otherwise raise :class:`NotesConflict`.

    The check and the write are one conditional UPDATE (``WHERE version = %s``), so of two
    concurrent writers exactly one wins, on any database, without holding a lock."""
    _check_visible(actor, meeting.series)
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise ValidationError({"body": "The notes must be text."})
    if len(body) > MAX_NOTES_CHARS:
        raise ValidationError({"body": f"The notes are {len(body):,} characters long; the limit is {MAX_NOTES_CHARS:,}."})
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": "The version you edited is required (a whole number)."})
    if version < 0:
        raise ValidationError({"version": "The version is a whole number from 0."})
    now = timezone.now()
    with transaction.atomic():
        updated = Meeting.objects.filter(pk=meeting.pk, version=version).update(
            notes=body, version=F("version") + 1, notes_updated_at=now, notes_updated_by=actor.person,
            updated_at=now,
        )
    meeting.refresh_from_db()
    if not updated:
        author = meeting.notes_updated_by.full_name if meeting.notes_updated_by else ""
        raise NotesConflict(current_body=meeting.notes, current_version=meeting.version, current_author=author,
                            your_body=body, your_version=version)
    return meeting


# -- Decisions ------------------------------------------------------------------------------------
@transaction.atomic
def decision_record(*, actor: Actor, series: SyncSeries, text: str, owner: Person | None = None,
                    rationale: str = "", meeting: Meeting | None = None, decided_on: date | None = None,
                    supersedes: Decision | None = None) -> Decision:
    _check_visible(actor, series)
    errors: dict[str, str] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = "Say what was decided."
    elif len(text) > 500:
        errors["text"] = "At most 500 characters; put the detail in the rationale."
    owner = owner or actor.person
    if owner is None:
        errors["owner"] = "A decision needs an owner."
    elif not owner.is_active:
        errors["owner"] = "The owner has left the company."
    if meeting is not None and meeting.series_id != series.pk:
        errors["meeting"] = "That meeting belongs to another series."
    if decided_on is not None and not isinstance(decided_on, date):
        errors["decided_on"] = "The date must be a date (YYYY-MM-DD)."
    if supersedes is not None:
        if not selectors.decision_list(actor=actor).filter(pk=supersedes.pk).exists():
            errors["supersedes"] = "No such decision."
        elif Decision.objects.filter(supersedes=supersedes).exists():
            errors["supersedes"] = "That decision has already been superseded."
    if errors:
        raise ValidationError(errors)
    if decided_on is None:
        decided_on = timezone.localtime(meeting.scheduled_at).date() if meeting else timezone.localdate()
    return Decision.objects.create(series=series, meeting=meeting, text=text, rationale=rationale or "", owner=owner,
                                   decided_on=decided_on, supersedes=supersedes, created_by=actor.person)


# -- Action items -----------------------------------------------------------------------------------
def _validate_action(item: ActionItem) -> None:
    errors: dict[str, str] = {}
    item.title = (item.title or "").strip()
    if not item.title:
        errors["title"] = "A title is required."
    elif len(item.title) > 300:
        errors["title"] = "At most 300 characters."
    if item.due_date is not None and not isinstance(item.due_date, date):
        errors["due_date"] = f"{item.due_date!r} is not a date (YYYY-MM-DD)."
    if item.status not in ActionItem.Status.values:
        errors["status"] = f"{item.status!r} is not one of {', '.join(ActionItem.Status.values)}."
    if item.owner_id is None:
        errors["owner"] = "An action item needs an owner."
    elif not item.owner.is_active:
        errors["owner"] = "The owner has left the company."
    elif item.series.is_private and item.owner_id not in selectors.participant_ids(item.series):
        errors["owner"] = "In a private series the owner must be one of its participants."
    if item.meeting_id is not None and item.meeting.series_id != item.series_id:
        errors["meeting"] = "That meeting belongs to another series."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def action_item_create(*, actor: Actor, series: SyncSeries, title: str, owner: Person | None = None,
                       due_date: date | None = None, meeting: Meeting | None = None,
                       status: str = ActionItem.Status.OPEN) -> ActionItem:
    _check_visible(actor, series)
    item = ActionItem(series=series, meeting=meeting, title=title, owner=owner or actor.person, due_date=due_date,
                      status=status, created_by=actor.person)
    _validate_action(item)
    if item.status == ActionItem.Status.DONE:
        item.completed_at = timezone.now()
    item.save()
    return item


@transaction.atomic
def action_item_update(*, actor: Actor, item: ActionItem, seen_status: str | None = None,
                       **fields: Any) -> ActionItem:
    """Anyone who sees the series may update an item; the owner may always update their own.

    ``seen_status``: the status the caller's page showed (a Done or Drop button). The change is
    refused, nothing changed, when someone else moved the item to another status meanwhile —
    a stale Drop must not undo a completion — and is a no-op when they made the same change."""
    if not (actor.person_id and item.owner_id == actor.person_id):
        _check_visible(actor, item.series)
    allowed = {"title", "owner", "due_date", "status"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    if seen_status is not None:
        current = ActionItem.objects.select_for_update().values_list("status", "completed_at").get(pk=item.pk)
        item.status, item.completed_at = current
        if not _check_seen_status(item.status, seen_status, fields.get("status"), "action item"):
            fields.pop("status", None)
    was = item.status
    for name, value in fields.items():
        setattr(item, name, value)
    _validate_action(item)
    if item.status == ActionItem.Status.DONE and was != ActionItem.Status.DONE:
        item.completed_at = timezone.now()
    elif item.status != ActionItem.Status.DONE:
        item.completed_at = None
    item.save()
    return item


def action_items_send_overdue_reminders(*, today: date | None = None) -> int:
    """One email per owner listing their overdue items. Returns the number of emails sent."""
    from django.conf import settings

    sent = 0
    for owner, items in selectors.overdue_action_items_by_owner(today=today).items():
        if not owner.email:
            continue
        lines = [f"- {i.title} (due {i.due_date:%Y-%m-%d}, {i.series.title})" for i in items]
        body = (f"Hello {owner.full_name},\n\nThese action items are overdue:\n\n" + "\n".join(lines)
                + f"\n\nSee them all at {settings.PORTAL_BASE_URL.rstrip('/')}/syncs/actions/mine/\n")
        sent += send_mail(subject=f"{len(items)} overdue action item{'s' if len(items) != 1 else ''}",
                          message=body, from_email=None, recipient_list=[owner.email], fail_silently=False)
    return sent


# -- Calendar feed ----------------------------------------------------------------------------------
def calendar_feed_get(*, actor: Actor) -> CalendarFeed:
    if actor.person is None:
        raise PermissionDenied("Only people have a calendar feed.")
    feed, _ = CalendarFeed.objects.get_or_create(person=actor.person)
    return feed


@transaction.atomic
def calendar_feed_rotate(*, actor: Actor) -> CalendarFeed:
    """A new secret URL; the old one stops working at once."""
    feed = calendar_feed_get(actor=actor)
    feed.token = new_feed_token()
    feed.rotated_at = timezone.now()
    feed.save(update_fields=["token", "rotated_at"])
    return feed
