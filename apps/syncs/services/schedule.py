"""Meetings from a series' cadence: the dates it meets on, planning the upcoming meetings, and
moving them when the schedule changes."""
from __future__ import annotations

import zoneinfo
from calendar import monthrange
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.syncs.models import ActionItem, AgendaItem, Decision, Meeting, SyncSeries

GENERATE_HORIZON_DAYS = 28


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
