"""Agenda items of a meeting or of the series backlog: add, change, reorder."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from apps.core.access import Actor
from apps.org.models import Person
from apps.syncs import selectors
from apps.syncs.models import AgendaItem, Meeting, SyncSeries
from apps.syncs.services.checks import _check_seen_status, _check_visible


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
