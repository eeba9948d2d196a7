"""Pay: salary bands, compensation records, raise proposals and their decisions, and the
re-encryption of stored amounts when the key rotates."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.org.models import Person
from apps.reviews import selectors
from apps.reviews.models import (
    CompensationRecord,
    PayBand,
    RaiseProposal,
    ReviewCycle,
)
from apps.reviews.policy import location_zone, sees_all
from apps.reviews.services._common import (
    Stage,
    _currency,
    _money,
    _require_admin,
    _require_can_view,
    _require_cto,
)


# -- compensation and bands ---------------------------------------------------------------------------
@transaction.atomic
def pay_band_save(*, actor: Actor, level: str, zone: str, currency: str, minimum, midpoint, maximum,
                  location_factor=Decimal("1.000")) -> PayBand:
    _require_admin(actor)
    cur = _currency(currency)
    lo, mid, hi = _money(minimum, "minimum"), _money(midpoint, "midpoint"), _money(maximum, "maximum")
    if not lo <= mid <= hi:
        raise ValidationError({"midpoint": "A band runs minimum ≤ midpoint ≤ maximum."})
    if not (level or "").strip() or not (zone or "").strip():
        raise ValidationError({"level": "Give the level and the zone."})
    band, _ = PayBand.objects.update_or_create(level=level.strip(), zone=zone.strip(), defaults={
        "currency": cur, "minimum": lo, "midpoint": mid, "maximum": hi, "location_factor": Decimal(str(location_factor)),
    })
    return band


@transaction.atomic
def compensation_record_create(
    *, actor: Actor, person: Person, effective_date: date, base_salary, currency: str, level: str = "",
    location: str | None = None, country: str | None = None, location_factor=None, reason: str = "", note: str = "",
) -> CompensationRecord:
    """HR and the CTO record pay. Location and country default to the person's; the zone
    (what the person is compared within) follows from them."""
    _require_admin(actor)
    amount = _money(base_salary, "base_salary")
    cur = _currency(currency)
    location = location or person.location
    country = (country or person.country or "").upper()
    level = (level or person.level or "").strip()
    errors = {}
    if location not in CompensationRecord.Location.values:
        errors["location"] = "Choose local or remote."
    if len(country) != 2 or not country.isalpha():
        errors["country"] = "Use a two-letter ISO 3166 code, e.g. PT."
    if not level:
        errors["level"] = "Give the level."
    if effective_date is None:
        errors["effective_date"] = "Give the date the pay takes effect."
    elif CompensationRecord.objects.filter(person=person, effective_date=effective_date).exists():
        errors["effective_date"] = "This person already has a pay record at that date."
    if errors:
        raise ValidationError(errors)
    zone = location_zone(location, country)
    band = PayBand.objects.filter(level=level, zone=zone).first()
    if location_factor is None:
        location_factor = band.location_factor if band else Decimal("1.000")
    return CompensationRecord.objects.create(
        person=person, effective_date=effective_date, base_salary=amount, currency=cur, level=level,
        location=location, country=country, zone=zone, location_factor=Decimal(str(location_factor)),
        reason=reason, note=note, created_by=actor.user,
    )


# -- raise proposals ------------------------------------------------------------------------------------
RAISE_STAGES = (Stage.MANAGER_REVIEW, Stage.CALIBRATION)


@transaction.atomic
def raise_propose(*, actor: Actor, cycle: ReviewCycle, person: Person, proposed_salary, reason: str,
                  proposed_level: str = "", justification: str = "") -> RaiseProposal:
    """A manager above the person (or the CTO/HR) proposes a raise. Market adjustments and
    equity corrections need no promotion; a salary outside the band needs a justification."""
    _require_can_view(actor, person.pk)
    if actor.person_id == person.pk or not (sees_all(actor) or actor.manages(person.pk)):
        raise PermissionDenied("Only the person's managers, HR and the CTO propose raises.")
    if cycle.stage not in RAISE_STAGES:
        raise ValidationError({"stage": "Raises are proposed during manager review and calibration."})
    if not cycle.reviews.filter(subject=person).exists():
        raise ValidationError({"person": "This person is not in the cycle."})
    if RaiseProposal.objects.filter(cycle=cycle, person=person).exists():
        raise ValidationError({"person": "This person already has a raise proposal in this cycle."})
    if reason not in RaiseProposal.Reason.values:
        raise ValidationError({"reason": "Choose merit, promotion, market adjustment or equity correction."})
    current = selectors.current_compensation(person=person)
    if current is None:
        raise ValidationError({"person": "No current pay on record for this person: HR records it first."})
    amount = _money(proposed_salary, "proposed_salary")
    if amount <= current.base_salary:
        raise ValidationError({"proposed_salary": "The proposed salary must be above the current one."})
    level = (proposed_level or current.level).strip()
    if reason == RaiseProposal.Reason.PROMOTION and level == current.level:
        raise ValidationError({"proposed_level": "A promotion changes the level."})
    band = PayBand.objects.filter(level=level, zone=current.zone).first()
    out_of_band = band is None or band.currency != current.currency or not (band.minimum <= amount <= band.maximum)
    if out_of_band and not (justification or "").strip():
        where = ("no band exists for this level and zone" if band is None else
                 "the band is in another currency" if band.currency != current.currency else
                 f"the {level} band in {current.zone} is {band.currency} {band.minimum:,.2f}–{band.maximum:,.2f}")
        raise ValidationError({"justification": f"The proposed salary is outside the band ({where}): "
                                                "give a justification."})
    return RaiseProposal.objects.create(
        cycle=cycle, person=person, current_salary=current.base_salary, proposed_salary=amount,
        currency=current.currency, current_level=current.level, proposed_level=level, zone=current.zone,
        reason=reason, justification=(justification or "").strip(), out_of_band=out_of_band, proposed_by=actor.user,
    )


@transaction.atomic
def raise_decide(*, actor: Actor, proposal: RaiseProposal, approve: bool,
                 expected_status: str | None = None) -> RaiseProposal:
    """The CTO approves or rejects a proposal, before the cycle is shared. ``expected_status``
    is the status the deciding page showed: if the proposal no longer has it (decided since,
    in another tab), nothing changes."""
    _require_cto(actor)
    proposal = RaiseProposal.objects.select_for_update().select_related("cycle").get(pk=proposal.pk)
    if proposal.cycle.stage not in RAISE_STAGES:
        raise ValidationError({"stage": "Raises are decided before the results are shared."})
    if proposal.status == RaiseProposal.Status.APPLIED:
        raise ValidationError({"status": "This raise is already applied."})
    if expected_status is not None and proposal.status != expected_status:
        raise ValidationError({"status": f"This raise was {proposal.get_status_display().lower()} after you opened "
                                         "the page; nothing changed. Check it, then decide again."})
    proposal.status = RaiseProposal.Status.APPROVED if approve else RaiseProposal.Status.REJECTED
    proposal.decided_by = actor.user
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return proposal


# -- encryption key rotation ----------------------------------------------------------------------------
@transaction.atomic
def salary_key_rotate() -> int:
    """Re-encrypt every stored amount with the primary key (the first in FIELD_ENCRYPTION_KEY).
    Reading decrypts with any configured key; saving encrypts with the first. Idempotent."""
    n = 0
    for rec in CompensationRecord.objects.select_for_update().all():
        rec.save(update_fields=["base_salary"])
        n += 1
    for p in RaiseProposal.objects.select_for_update().all():
        p.save(update_fields=["current_salary", "proposed_salary"])
        n += 1
    return n
