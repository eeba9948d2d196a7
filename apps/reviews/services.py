"""Every write and workflow step of the reviews app. Check (actor, stage, input), then do,
in one transaction; errors are ``ValidationError`` with field names."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.org.models import Person, Team
from apps.reviews import selectors
from apps.reviews.models import (
    CalibrationChange,
    CompensationRecord,
    Criterion,
    CriterionScore,
    CycleBudget,
    PayBand,
    RaiseProposal,
    Review,
    ReviewCycle,
    ReviewTemplate,
)
from apps.reviews.policy import CURRENCIES, location_zone, sees_all

Stage = ReviewCycle.Stage
CALIBRATED = "Adjusted in calibration."
MAX_SALARY = Decimal("9999999999.99")


# -- checks ---------------------------------------------------------------------------------------
def _require_admin(actor: Actor) -> None:
    """Cycles, templates, bands and pay records: the CTO and HR."""
    if actor.is_service or not actor.has_role(Role.CTO, Role.HR):
        raise PermissionDenied("Only the CTO and HR may do this.")


def _require_cto(actor: Actor) -> None:
    if actor.is_service or not actor.is_cto:
        raise PermissionDenied("Only the CTO may do this.")


def _require_can_view(actor: Actor, person_id: int) -> None:
    if not actor.can_view_sensitive_person_data(person_id):
        raise Http404("Not found.")


def _money(value, field: str) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: "Enter an amount such as 55000.00."}) from None
    if not amount.is_finite():
        raise ValidationError({field: "Enter an amount such as 55000.00."})
    if amount <= 0:
        raise ValidationError({field: "The amount must be greater than zero."})
    if amount > MAX_SALARY:
        raise ValidationError({field: "The amount is too large."})
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _currency(value: str, field: str = "currency") -> str:
    code = (value or "").strip().upper()
    if code not in CURRENCIES:
        raise ValidationError({field: f"Unknown currency {value!r}: use an ISO 4217 code such as EUR or USD."})
    return code


def _score(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "A score is a whole number from 1 to 5."}) from None
    if not 1 <= score <= 5:
        raise ValidationError({field: "A score is a whole number from 1 to 5."})
    return score


# -- templates --------------------------------------------------------------------------------------
MAX_WEIGHT = Decimal("999.99")  # Criterion.weight is numeric(5, 2)
CRITERION_NAME_MAX = 120


@transaction.atomic
def review_template_create(*, actor: Actor, name: str, criteria: list[dict], description: str = "") -> ReviewTemplate:
    """``criteria``: [{"name": ..., "weight": Decimal, "description": ...}, ...]."""
    _require_admin(actor)
    if not (name or "").strip():
        raise ValidationError({"name": "Give the template a name."})
    if ReviewTemplate.objects.filter(name__iexact=name.strip()).exists():
        raise ValidationError({"name": "A template with this name exists already."})
    if not criteria:
        raise ValidationError({"criteria": "A template needs at least one criterion."})
    seen: set[str] = set()
    for c in criteria:
        try:
            weight = Decimal(str(c.get("weight")))
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationError({"criteria": f"The weight of {c.get('name')!r} is not a number."}) from None
        if not weight.is_finite() or weight <= 0:
            raise ValidationError({"criteria": f"The weight of {c.get('name')!r} must be greater than zero."})
        if weight > MAX_WEIGHT or weight != weight.quantize(Decimal("0.01")):
            raise ValidationError({"criteria": f"The weight of {c.get('name')!r} is at most {MAX_WEIGHT} "
                                               "with two decimals."})
        key = (c.get("name") or "").strip().lower()
        if not key or key in seen:
            raise ValidationError({"criteria": "Every criterion needs a distinct name."})
        if len(c["name"].strip()) > CRITERION_NAME_MAX:
            raise ValidationError({"criteria": f"A criterion name has at most {CRITERION_NAME_MAX} characters: "
                                               f"{c['name'].strip()[:40]!r}…"})
        seen.add(key)
    template = ReviewTemplate.objects.create(name=name.strip(), description=description)
    for i, c in enumerate(criteria):
        Criterion.objects.create(template=template, name=c["name"].strip(), weight=Decimal(str(c["weight"])),
                                 description=c.get("description", ""), position=i)
    return template


def weighted_rating(pairs: list[tuple[Decimal, int | None]]) -> Decimal | None:
    """Sum(weight x score) / sum(weight) over the scored criteria, to two decimals; None when
    nothing is scored."""
    scored = [(w, s) for w, s in pairs if s is not None]
    total = sum((w for w, _ in scored), Decimal(0))
    if not scored or not total:
        return None
    value = sum((w * s for w, s in scored), Decimal(0)) / total
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- cycles ---------------------------------------------------------------------------------------
def _validate_target(target: dict | None) -> dict:
    if not target:
        return dict(ReviewCycle.DEFAULT_TARGET)
    clean = {}
    try:
        for k, v in target.items():
            rating, pct = int(k), Decimal(str(v))
            if not 1 <= rating <= 5 or pct < 0:
                raise ValueError
            clean[str(rating)] = float(pct)
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationError({"target_distribution": "Use ratings 1–5 mapped to percentages."}) from None
    if abs(sum(clean.values()) - 100) > 0.01:
        raise ValidationError({"target_distribution": "The target percentages must add up to 100."})
    return clean


@transaction.atomic
def review_cycle_create(
    *, actor: Actor, name: str, template: ReviewTemplate, self_review_due: date, manager_review_due: date,
    calibration_due: date, share_date: date, effective_date: date, scope: str = ReviewCycle.Scope.EVERYONE,
    scope_teams: list[Team] | None = None, scope_roles: list[str] | None = None,
    budget_percent: Decimal | None = None, budgets: dict[str, Decimal] | None = None,
    target_distribution: dict | None = None,
) -> ReviewCycle:
    _require_admin(actor)
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = "Give the cycle a name."
    elif ReviewCycle.objects.filter(name__iexact=name.strip()).exists():
        errors["name"] = "A cycle with this name exists already."
    if not (self_review_due <= manager_review_due <= calibration_due <= share_date):
        errors["manager_review_due"] = "Due dates must follow the stages: self ≤ manager ≤ calibration ≤ share."
    if scope not in ReviewCycle.Scope.values:
        errors["scope"] = "Choose everyone, teams or roles."
    elif scope == ReviewCycle.Scope.TEAMS and not scope_teams:
        errors["scope_teams"] = "Choose at least one team."
    elif scope == ReviewCycle.Scope.ROLES:
        if not scope_roles:
            errors["scope_roles"] = "Choose at least one role."
        elif set(scope_roles) - set(Role.values) or Role.SERVICE in scope_roles:
            errors["scope_roles"] = "Unknown role."
    if budget_percent is not None and Decimal(budget_percent) < 0:
        errors["budget_percent"] = "The budget cannot be negative."
    if errors:
        raise ValidationError(errors)
    clean_budgets = {}
    for cur, amount in (budgets or {}).items():
        try:
            amt = Decimal(str(amount))
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationError({"budgets": f"The {cur} budget is not a number."}) from None
        if not amt.is_finite() or amt < 0:
            raise ValidationError({"budgets": f"The {cur} budget cannot be negative."})
        clean_budgets[_currency(cur, "budgets")] = amt
    cycle = ReviewCycle.objects.create(
        name=name.strip(), template=template, scope=scope, scope_roles=list(scope_roles or []),
        self_review_due=self_review_due, manager_review_due=manager_review_due, calibration_due=calibration_due,
        share_date=share_date, effective_date=effective_date, budget_percent=budget_percent,
        target_distribution=_validate_target(target_distribution), created_by=actor.user,
    )
    if scope == ReviewCycle.Scope.TEAMS:
        cycle.scope_teams.set(scope_teams)
    for cur, amt in clean_budgets.items():
        CycleBudget.objects.create(cycle=cycle, currency=cur, amount=amt)
    return cycle


DATE_FIELDS = ("self_review_due", "manager_review_due", "calibration_due", "share_date", "effective_date")


@transaction.atomic
def review_cycle_reschedule(*, actor: Actor, cycle: ReviewCycle, **dates: date) -> ReviewCycle:
    """Move a cycle's due dates (HR and the CTO), until it is closed. The stage order still
    holds: self ≤ manager ≤ calibration ≤ share. Reminders follow the new dates."""
    _require_admin(actor)
    unknown = set(dates) - set(DATE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "Only the cycle's dates can be moved here."})
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.stage == ReviewCycle.Stage.CLOSED:
        raise ValidationError({"__all__": "A closed cycle keeps its dates."})
    new = {name: dates.get(name, getattr(cycle, name)) for name in DATE_FIELDS}
    if not (new["self_review_due"] <= new["manager_review_due"] <= new["calibration_due"] <= new["share_date"]):
        raise ValidationError(
            {"manager_review_due": "Due dates must follow the stages: self ≤ manager ≤ calibration ≤ share."})
    if new["effective_date"] < new["share_date"]:
        raise ValidationError({"effective_date": "Raises cannot take effect before the reviews are shared."})
    for name, value in new.items():
        setattr(cycle, name, value)
    cycle.save(update_fields=[*DATE_FIELDS, "updated_at"])
    return cycle


def cycle_participants(*, cycle: ReviewCycle):
    """Active people in the cycle's scope who have a manager (the reviewer)."""
    qs = Person.objects.filter(is_active=True, manager__isnull=False).select_related("manager", "team")
    if cycle.scope == ReviewCycle.Scope.TEAMS:
        qs = qs.filter(team__in=cycle.scope_teams.all())
    elif cycle.scope == ReviewCycle.Scope.ROLES:
        qs = qs.filter(role__in=cycle.scope_roles)
    return qs.order_by("full_name", "pk")


def _open(cycle: ReviewCycle) -> None:
    """Snapshot participants: one review each, the reviewer being the manager right now."""
    criteria = list(cycle.template.criteria.all())
    if not criteria:
        raise ValidationError({"template": "The template has no criteria."})
    people = list(cycle_participants(cycle=cycle))
    if not people:
        raise ValidationError({"scope": "Nobody is in this cycle's scope."})
    reviews = Review.objects.bulk_create([
        Review(cycle=cycle, subject=p, reviewer=p.manager, team=p.team, level=p.level) for p in people
    ])
    CriterionScore.objects.bulk_create([CriterionScore(review=r, criterion=c) for r in reviews for c in criteria])
    cycle.opened_at = timezone.now()


def _check_can_share(cycle: ReviewCycle) -> None:
    missing = cycle.reviews.filter(manager_submitted_at__isnull=True).count()
    if missing:
        raise ValidationError({"stage": f"{missing} manager review(s) are not submitted yet."})
    over = [line for line in selectors.budget_status(cycle=cycle) if line.over]
    if over:
        parts = [f"{line.currency} {line.approved:,.2f} approved against a budget of {line.limit:,.2f} "
                 f"(over by {line.approved - line.limit:,.2f})" for line in over]
        raise ValidationError({"stage": "Approved raises exceed the cycle budget: " + "; ".join(parts)
                               + ". Reject or reduce raises, or raise the budget, before sharing."})
    pending = cycle.raise_proposals.filter(status=RaiseProposal.Status.PROPOSED).count()
    if pending:
        raise ValidationError({"stage": f"{pending} raise proposal(s) still wait for the CTO's decision."})


def _close(cycle: ReviewCycle, actor: Actor) -> None:
    """Approved raises become compensation records at the cycle's effective date (idempotent:
    a record already at that date is updated, and proposals are marked applied)."""
    for p in cycle.raise_proposals.filter(status=RaiseProposal.Status.APPROVED).select_related("person"):
        current = selectors.current_compensation(person=p.person, on=cycle.effective_date)
        CompensationRecord.objects.update_or_create(
            person=p.person, effective_date=cycle.effective_date,
            defaults={
                "base_salary": p.proposed_salary, "currency": p.currency, "level": p.proposed_level,
                "location": current.location if current else p.person.location,
                "country": current.country if current else p.person.country, "zone": p.zone,
                "location_factor": current.location_factor if current else Decimal("1.000"),
                "reason": p.reason, "note": f"{cycle.name}: {p.get_reason_display()}", "cycle": cycle,
                "created_by": actor.user,
            },
        )
        p.status = RaiseProposal.Status.APPLIED
        p.save(update_fields=["status", "updated_at"])
    cycle.closed_at = timezone.now()


@transaction.atomic
def review_cycle_advance(*, actor: Actor, cycle: ReviewCycle, to_stage: str | None = None) -> ReviewCycle:
    """Move a cycle one stage forward. Opening snapshots participants; sharing checks that
    every manager review is in, every raise is decided and approved raises fit the budget;
    closing applies approved raises to the pay history."""
    _require_admin(actor)
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    nxt = cycle.next_stage
    if nxt is None:
        raise ValidationError({"stage": "The cycle is closed."})
    if to_stage is not None and to_stage != nxt:
        raise ValidationError({"stage": f"A {cycle.get_stage_display()} cycle can only move to "
                                        f"{Stage(nxt).label}, not {to_stage!r}."})
    if nxt == Stage.SELF_REVIEW:
        _open(cycle)
    elif nxt == Stage.SHARED:
        _check_can_share(cycle)
        cycle.shared_at = timezone.now()
    elif nxt == Stage.CLOSED:
        _close(cycle, actor)
    cycle.stage = nxt
    cycle.save()
    return cycle


# -- reviews ----------------------------------------------------------------------------------------
def _save_scores(review: Review, scores: dict, attr: str) -> None:
    if not scores:
        return
    by_criterion = {s.criterion_id: s for s in review.scores.all()}
    for key, value in scores.items():
        try:
            cid = int(key)
        except (TypeError, ValueError):
            raise ValidationError({"scores": f"Unknown criterion {key!r}."}) from None
        if cid not in by_criterion:
            raise ValidationError({"scores": f"Criterion {key!r} is not in this cycle's template."})
        setattr(by_criterion[cid], attr, _score(value, "scores"))
    for s in by_criterion.values():
        s.save(update_fields=[attr])


def _recompute(review: Review) -> None:
    pairs = [(s.criterion.weight, s.manager_score) for s in review.scores.select_related("criterion")]
    review.derived_rating = weighted_rating(pairs)


@transaction.atomic
def review_self_save(*, actor: Actor, review: Review, self_assessment: str = "", scores: dict | None = None,
                     submit: bool = False) -> Review:
    """The subject writes their self assessment, during the self-review stage only."""
    if actor.person_id is None or review.subject_id != actor.person_id:
        raise PermissionDenied("Only the person reviewed writes the self assessment.")
    review = Review.objects.select_for_update().select_related("cycle").get(pk=review.pk)
    if review.cycle.stage != Stage.SELF_REVIEW:
        raise ValidationError({"stage": "Self assessments are written during the self-review stage."})
    if review.self_submitted_at:
        raise ValidationError({"self_assessment": "You already submitted your self assessment."})
    _save_scores(review, scores or {}, "self_score")
    review.self_assessment = self_assessment or ""
    if submit:
        if not review.self_assessment.strip():
            raise ValidationError({"self_assessment": "Write your self assessment before submitting."})
        review.self_submitted_at = timezone.now()
    review.save()
    return review


def _is_reviewer(actor: Actor, review: Review) -> bool:
    if actor.is_cto and not actor.is_service:
        return True
    return actor.person_id is not None and actor.person_id == review.reviewer_id and \
        actor.can_view_sensitive_person_data(review.subject_id) and actor.person_id != review.subject_id


@transaction.atomic
def review_manager_save(
    *, actor: Actor, review: Review, manager_assessment: str = "", scores: dict | None = None,
    override_rating: int | None = None, override_reason: str = "", potential: str = "",
    promotion_recommended: bool = False, promotion_note: str = "", submit: bool = False,
) -> Review:
    """The reviewer (the manager when the cycle opened, if still in the chain) or the CTO
    writes the manager assessment during the manager-review stage. The overall rating derives
    from the weighted scores unless overridden with a reason."""
    _require_can_view(actor, review.subject_id)
    if not _is_reviewer(actor, review):
        raise PermissionDenied("Only the reviewer writes the manager assessment.")
    review = Review.objects.select_for_update().select_related("cycle").get(pk=review.pk)
    if review.cycle.stage != Stage.MANAGER_REVIEW:
        raise ValidationError({"stage": "Manager assessments are written during the manager-review stage."})
    override = _score(override_rating, "override_rating")
    if override is not None and not (override_reason or "").strip():
        raise ValidationError({"override_reason": "Give a reason for overriding the derived rating."})
    if potential and potential not in Review.Potential.values:
        raise ValidationError({"potential": "Choose low, medium or high."})
    _save_scores(review, scores or {}, "manager_score")
    review.manager_assessment = manager_assessment or ""
    review.override_rating = override
    review.override_reason = (override_reason or "").strip() if override is not None else ""
    review.potential = potential or ""
    review.promotion_recommended = bool(promotion_recommended)
    review.promotion_note = promotion_note or ""
    _recompute(review)
    if submit:
        if not review.manager_assessment.strip():
            raise ValidationError({"manager_assessment": "Write the assessment before submitting."})
        if review.scores.filter(manager_score__isnull=True).exists():
            raise ValidationError({"scores": "Score every criterion before submitting."})
        review.manager_submitted_at = timezone.now()
    review.save()
    return review


@transaction.atomic
def review_calibrate(*, actor: Actor, review: Review, rating: int | None = None, potential: str | None = None,
                     reason: str) -> Review:
    """A change made in calibration (CTO, HR, or an EM for their chain), recorded with its reason."""
    _require_can_view(actor, review.subject_id)
    if actor.is_service or not actor.has_role(Role.CTO, Role.HR, Role.EM) or actor.person_id == review.subject_id:
        raise PermissionDenied("Only the CTO, HR and the EMs of the chain calibrate.")
    review = Review.objects.select_for_update().select_related("cycle").get(pk=review.pk)
    if review.cycle.stage != Stage.CALIBRATION:
        raise ValidationError({"stage": "Ratings change in the calibration stage only."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the rating changes in calibration."})
    new_rating = _score(rating, "rating")
    if potential not in (None, "") and potential not in Review.Potential.values:
        raise ValidationError({"potential": "Choose low, medium or high."})
    changes = []
    if new_rating is not None and new_rating != review.final_rating:
        changes.append(("rating", review.final_rating, new_rating))
        review.override_rating = new_rating
        # The reason itself stays in CalibrationChange (calibrators only): the subject sees
        # that the rating was calibrated, not what was said about them in the room.
        review.override_reason = CALIBRATED
    if potential and potential != review.potential:
        changes.append(("potential", review.potential, potential))
        review.potential = potential
    if not changes:
        raise ValidationError({"rating": "Nothing changes: pick a different rating or potential."})
    review.save()
    CalibrationChange.objects.bulk_create([
        CalibrationChange(review=review, changed_by=actor.user, field=f, old_value="" if o is None else str(o),
                          new_value=str(n), reason=reason) for f, o, n in changes
    ])
    return review


@transaction.atomic
def review_acknowledge(*, actor: Actor, review: Review, comment: str = "") -> Review:
    if actor.person_id is None or review.subject_id != actor.person_id:
        raise PermissionDenied("Only the person reviewed acknowledges their review.")
    review = Review.objects.select_for_update().select_related("cycle").get(pk=review.pk)
    if not review.cycle.is_shared:
        raise Http404("No review matches the given query.")  # unshared: it does not exist for them
    if review.acknowledged_at:
        raise ValidationError({"acknowledged_at": "You already acknowledged this review."})
    review.acknowledged_at = timezone.now()
    review.acknowledgement_comment = comment or ""
    review.save(update_fields=["acknowledged_at", "acknowledgement_comment", "updated_at"])
    return review


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


def reminders_due(*, today: date) -> list[tuple[Review, Person, str]]:
    """Who still owes work in running cycles whose stage is due within 3 days (or overdue)."""
    out = []
    cycles = ReviewCycle.objects.filter(stage__in=[Stage.SELF_REVIEW, Stage.MANAGER_REVIEW])
    for cycle in cycles:
        due = cycle.due_for_stage()
        if due is None or (due - today).days > 3:
            continue
        if cycle.stage == Stage.SELF_REVIEW:
            pending = cycle.reviews.filter(self_submitted_at__isnull=True, subject__is_active=True)
            out += [(r, r.subject, cycle.stage) for r in pending.select_related("subject", "cycle")]
        else:
            pending = cycle.reviews.filter(manager_submitted_at__isnull=True, reviewer__isnull=False,
                                           reviewer__is_active=True)
            out += [(r, r.reviewer, cycle.stage) for r in pending.select_related("reviewer", "cycle")]
    return out
