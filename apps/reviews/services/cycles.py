"""Review cycles: creation, rescheduling, the stage workflow (open, share, close) and who
still owes work."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.org.models import Person, Team
from apps.reviews import selectors
from apps.reviews.models import (
    CompensationRecord,
    CriterionScore,
    CycleBudget,
    RaiseProposal,
    Review,
    ReviewCycle,
    ReviewTemplate,
)
from apps.reviews.services._common import Stage, _currency, _require_admin


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
