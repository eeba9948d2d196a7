"""What the security service modules share: the permission checks, audiences, the automatic
Annex A 6.3 evidence and the once-only reminder ledger."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet

from apps.core.access import Actor
from apps.core.roles import Role
from apps.org.models import Person
from apps.security.access import is_participant, is_security_manager
from apps.security.models import (
    Bulletin,
    Control,
    EvidenceItem,
    Reminder,
    Training,
)

logger = logging.getLogger(__name__)

AWARENESS_CONTROL = "6.3"  # Information security awareness, education and training


def _require_manager(actor: Actor) -> None:
    if not is_security_manager(actor):
        raise PermissionDenied("Only the CTO and the security team's tech lead may do this.")


def _require_participant(actor: Actor) -> None:
    if not is_participant(actor):
        raise PermissionDenied("Only people in the portal may do this.")


def _clean_roles(roles: Iterable[str] | None) -> list[str]:
    roles = list(roles or [])
    unknown = [r for r in roles if r not in Role.values or r == Role.SERVICE]
    if unknown:
        raise ValidationError({"audience_roles": f"Unknown role(s): {', '.join(map(str, unknown))}."})
    return sorted(set(roles))


def audience_people(obj: Bulletin | Training) -> QuerySet[Person]:
    """Active people a bulletin or training is for: in one of its teams (if any are set) and
    holding one of its roles (if any are set)."""
    qs = Person.objects.filter(is_active=True)
    team_ids = [t.pk for t in obj.audience_teams.all()]
    if team_ids:
        qs = qs.filter(team_id__in=team_ids)
    if obj.audience_roles:
        qs = qs.filter(role__in=obj.audience_roles)
    return qs


def is_in_audience(obj: Bulletin | Training, person: Person | None) -> bool:
    if person is None or not person.is_active:
        return False
    team_ids = {t.pk for t in obj.audience_teams.all()}
    if team_ids and person.team_id not in team_ids:
        return False
    return not obj.audience_roles or person.role in obj.audience_roles


def _notify(person: Person, subject: str, body: str) -> None:
    if person.email:
        send_mail(subject, body, None, [person.email], fail_silently=False)


# -- Evidence recorded automatically -------------------------------------------------------------
def _awareness_evidence(*, source: str, obj, title: str, collected_on: date, owner: Person | None) -> EvidenceItem:
    """Upsert the evidence item that points at an awareness record (AMA session, bulletin,
    training session), linked to Annex A 6.3. Keyed by the source object: calling it again
    updates the same item."""
    item, _ = EvidenceItem.objects.update_or_create(
        **{source: obj},
        defaults={"title": title, "collected_on": collected_on, "source": source, "owner": owner,
                  "description": "Recorded automatically by the portal."},
    )
    control = Control.objects.filter(code=AWARENESS_CONTROL).first()
    if control is not None:
        item.controls.add(control)
    return item


# -- Reminder ledger (bulletins, trainings, evidence) --------------------------------------------
def _remind_once(*, kind: str, object_id: int, person: Person, period: str, subject: str, body: str) -> int:
    """Claim the (kind, object, person, period) slot; send only if this call created it."""
    with transaction.atomic():
        _, created = Reminder.objects.get_or_create(kind=kind, object_id=object_id, person=person, period=period)
        if created:
            _notify(person, subject, body)
    return int(created)
