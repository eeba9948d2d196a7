"""A person's secret calendar (iCal) feed address."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.syncs.models import CalendarFeed, new_feed_token


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
