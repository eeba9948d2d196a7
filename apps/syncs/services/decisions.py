"""Decisions recorded in a series."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.org.models import Person
from apps.syncs import selectors
from apps.syncs.models import Decision, Meeting, SyncSeries
from apps.syncs.services.checks import _check_visible


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
