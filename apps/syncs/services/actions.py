"""Action items: create, update, and the overdue reminders."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.org.models import Person
from apps.syncs import selectors
from apps.syncs.models import ActionItem, Meeting, SyncSeries
from apps.syncs.services.checks import _check_seen_status, _check_visible


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
