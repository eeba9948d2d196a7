"""Meetings: an ad-hoc one, status and attendance, and carrying the unfinished agenda forward."""
from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.access import Actor
from apps.org.models import Person
from apps.syncs import selectors
from apps.syncs.models import AgendaItem, Meeting, SyncSeries
from apps.syncs.services.checks import _check_seen_status, _check_visible
from apps.syncs.services.schedule import _add_template_agenda, meeting_generate_upcoming


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
