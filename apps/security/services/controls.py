"""ISO 27001 controls and their evidence, with expiry reminders to the evidence owners."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.org.models import Person
from apps.security.models import (
    Control,
    EvidenceItem,
    Reminder,
)
from apps.security.services._common import _remind_once, _require_manager

EVIDENCE_EXPIRY_WARNING_DAYS = 30


# -- Controls and evidence ------------------------------------------------------------------------
@transaction.atomic
def control_update(*, actor: Actor, control: Control, **fields) -> Control:
    _require_manager(actor)
    allowed = {"owner", "notes", "is_applicable", "title"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be changed."})
    if "title" in fields and not (fields["title"] or "").strip():
        raise ValidationError({"title": "A control needs a title."})
    control.refresh_from_db(from_queryset=Control.objects.select_for_update())  # fields not set here stay as saved
    for name, value in fields.items():
        setattr(control, name, value)
    control.save()
    return control


@transaction.atomic
def evidence_create(
    *, actor: Actor, title: str, controls: Iterable[Control], collected_on: date, owner: Person | None = None,
    expires_on: date | None = None, url: str = "", description: str = "",
) -> EvidenceItem:
    _require_manager(actor)
    controls = list(controls)
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "Evidence needs a title."
    if not controls:
        errors["controls"] = "Link the evidence to at least one control."
    if collected_on is None:
        errors["collected_on"] = "Set the date the evidence was collected."
    elif expires_on is not None and expires_on < collected_on:
        errors["expires_on"] = "The expiry date cannot be before the collection date."
    if errors:
        raise ValidationError(errors)
    item = EvidenceItem.objects.create(
        title=title.strip(), owner=owner, collected_on=collected_on, expires_on=expires_on, url=url,
        description=description, source=EvidenceItem.Source.MANUAL,
    )
    item.controls.set(controls)
    return item


def evidence_expiry_reminders_send(*, today: date | None = None) -> int:
    """Tell each owner once per item and expiry date when the item expires within
    EVIDENCE_EXPIRY_WARNING_DAYS (or has expired)."""
    today = today or timezone.localdate()
    sent = 0
    items = EvidenceItem.objects.filter(
        expires_on__isnull=False, expires_on__lte=today + timedelta(days=EVIDENCE_EXPIRY_WARNING_DAYS),
        owner__isnull=False, owner__is_active=True,
    ).select_related("owner")
    for item in items:
        sent += _remind_once(
            kind=Reminder.Kind.EVIDENCE, object_id=item.pk, person=item.owner, period=item.expires_on.isoformat(),
            subject=f"Evidence expiring: {item.title}",
            body=f"The evidence \"{item.title}\" expires on {item.expires_on}. Please renew it.",
        )
    return sent
