"""Stage transitions and what each stage allows; the weighted rating; the budget guard."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.reviews import services
from apps.reviews.models import CompensationRecord, CycleBudget, RaiseProposal, Review, ReviewCycle
from tests.reviews.scenario import (
    actor_for,
    band,
    build,
    cto_actor,
    finish_manager_reviews,
    make_cycle,
    make_template,
    scores_for,
)

S = ReviewCycle.Stage


@pytest.mark.parametrize(
    ("pairs", "derived"),
    [
        ([(Decimal(50), 5), (Decimal(30), 3), (Decimal(20), 1)], Decimal("3.60")),
        ([(Decimal(1), 4), (Decimal(1), 5)], Decimal("4.50")),
        ([(Decimal(40), 2), (Decimal(60), None)], Decimal("2.00")),  # unscored criteria do not count
        ([(Decimal(40), None)], None),
    ],
)
def test_weighted_rating(pairs, derived):
    assert services.weighted_rating(pairs) == derived


def test_the_overall_rating_derives_from_weights_unless_overridden_with_a_reason(world, sc):
    tl = actor_for(world, "tl")
    review = sc.review
    delivery, depth, collab = [s.criterion_id for s in review.scores.all()]
    review = services.review_manager_save(actor=tl, review=review, manager_assessment="x",
                                          scores={delivery: 5, depth: 3, collab: 1})
    assert (review.derived_rating, review.final_rating, review.is_overridden) == (Decimal("3.60"), 4, False)
    with pytest.raises(ValidationError) as err:
        services.review_manager_save(actor=tl, review=review, manager_assessment="x", override_rating=3)
    assert err.value.message_dict == {"override_reason": ["Give a reason for overriding the derived rating."]}
    review.refresh_from_db()
    assert review.override_rating is None
    review = services.review_manager_save(actor=tl, review=review, manager_assessment="x", override_rating=3,
                                          override_reason="Delivery slipped on the key epic.")
    assert (review.derived_rating, review.final_rating, review.override_reason) == (
        Decimal("3.60"), 3, "Delivery slipped on the key epic.")


def test_opening_snapshots_participants_and_reviewers(world):
    cto = cto_actor(world)
    cycle = make_cycle(cto, make_template(cto))
    assert cycle.reviews.count() == 0
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    assert cycle.stage == S.SELF_REVIEW and cycle.opened_at is not None
    got = {r.subject.email.split("@")[0]: r.reviewer.email.split("@")[0] for r in cycle.reviews.all()}
    assert got == {"em": "cto", "tl": "em", "engineer": "tl", "em2": "cto", "tl2": "em2", "engineer2": "tl2",
                   "pm": "cto", "finance": "cto", "hr": "cto"}
    assert Review.objects.get(cycle=cycle, subject=world.engineer).scores.count() == 3
    # A reorg after the cycle opened does not change the reviewer.
    world.engineer.manager = world.em
    world.engineer.save()
    assert Review.objects.get(cycle=cycle, subject=world.engineer).reviewer == world.tl


@pytest.mark.parametrize(
    ("scope", "extra", "subjects"),
    [
        ("teams", "alpha", {"em", "tl", "engineer"}),
        ("roles", ["engineer"], {"engineer", "engineer2"}),
    ],
)
def test_participants_by_team_or_role(world, scope, extra, subjects):
    cto = cto_actor(world)
    kwargs = {"scope_teams": [world.teams[extra]]} if scope == "teams" else {"scope_roles": extra}
    cycle = make_cycle(cto, make_template(cto), scope=scope, **kwargs)
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    assert {r.subject.email.split("@")[0] for r in cycle.reviews.all()} == subjects


def test_stages_move_one_step_forward_only_by_cto_or_hr(world):
    cto = cto_actor(world)
    cycle = make_cycle(cto, make_template(cto))
    with pytest.raises(ValidationError) as err:
        services.review_cycle_advance(actor=cto, cycle=cycle, to_stage=S.MANAGER_REVIEW)
    assert "can only move to Self review" in err.value.message_dict["stage"][0]
    for role in ("em", "tl", "engineer", "pm", "finance"):
        with pytest.raises(PermissionDenied):
            services.review_cycle_advance(actor=actor_for(world, role), cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.stage == S.DRAFT and cycle.reviews.count() == 0
    hr = actor_for(world, "hr")
    assert services.review_cycle_advance(actor=hr, cycle=cycle).stage == S.SELF_REVIEW
    assert services.review_cycle_advance(actor=hr, cycle=cycle).stage == S.MANAGER_REVIEW


def test_a_page_refuses_advance_for_an_em_and_nothing_changes(world, sc):
    response = world.client("em").post(reverse("reviews:cycle-advance", args=[sc.cycle.pk]))
    assert response.status_code == 403
    sc.cycle.refresh_from_db()
    assert sc.cycle.stage == S.MANAGER_REVIEW


def test_what_each_stage_allows(world):
    cto = cto_actor(world)
    eng, tl = actor_for(world, "engineer"), actor_for(world, "tl")
    cycle = services.review_cycle_advance(actor=cto, cycle=make_cycle(cto, make_template(cto)))
    review = Review.objects.get(cycle=cycle, subject=world.engineer)
    # Self review: the subject writes; the manager may not yet; nobody calibrates.
    services.review_self_save(actor=eng, review=review, self_assessment="Mine", scores=scores_for(review, 4))
    with pytest.raises(PermissionDenied):
        services.review_self_save(actor=tl, review=review, self_assessment="Not mine")
    with pytest.raises(ValidationError, match="manager-review stage"):
        services.review_manager_save(actor=tl, review=review, manager_assessment="early")
    with pytest.raises(ValidationError, match="calibration stage"):
        services.review_calibrate(actor=cto, review=review, rating=2, reason="x")
    with pytest.raises(ValidationError, match="manager review and calibration"):
        services.raise_propose(actor=tl, cycle=cycle, person=world.engineer, proposed_salary=1, reason="merit")
    # Manager review: the subject can no longer write; the reviewer can; only the reviewer.
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    with pytest.raises(ValidationError, match="self-review stage"):
        services.review_self_save(actor=eng, review=review, self_assessment="late")
    with pytest.raises(PermissionDenied):
        services.review_manager_save(actor=actor_for(world, "em"), review=review, manager_assessment="not the reviewer")
    with pytest.raises(ValidationError, match="Score every criterion"):
        services.review_manager_save(actor=tl, review=review, manager_assessment="Good", submit=True)
    services.review_manager_save(actor=tl, review=review, manager_assessment="Good", scores=scores_for(review, 4),
                                 promotion_recommended=True, promotion_note="Ready for L4", submit=True)
    # Acknowledging before sharing: the review does not exist for the subject.
    from django.http import Http404

    with pytest.raises(Http404):
        services.review_acknowledge(actor=eng, review=review)
    review.refresh_from_db()
    assert (review.self_assessment, review.manager_assessment, review.promotion_recommended,
            review.acknowledged_at) == ("Mine", "Good", True, None)


def test_sharing_needs_every_manager_review(world, sc):
    cto = cto_actor(world)
    services.raise_decide(actor=cto, proposal=sc.proposal, approve=False)
    services.raise_decide(actor=cto, proposal=sc.proposal2, approve=False)
    cycle = services.review_cycle_advance(actor=cto, cycle=sc.cycle)
    with pytest.raises(ValidationError, match=r"7 manager review\(s\) are not submitted yet"):
        services.review_cycle_advance(actor=cto, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.stage == S.CALIBRATION


def test_sharing_waits_for_pending_raise_decisions(world, sc):
    cto = cto_actor(world)
    finish_manager_reviews(world, sc.cycle)
    cycle = services.review_cycle_advance(actor=cto, cycle=sc.cycle)
    with pytest.raises(ValidationError, match=r"2 raise proposal\(s\) still wait"):
        services.review_cycle_advance(actor=cto, cycle=cycle)


def test_the_budget_guard_refuses_to_share_over_budget(world, sc):
    """Budget 3 % of the EUR payroll of participants; approve raises beyond it."""
    cto = cto_actor(world)
    finish_manager_reviews(world, sc.cycle)
    services.raise_decide(actor=cto, proposal=sc.proposal, approve=True)   # +2,265.44 EUR
    services.raise_decide(actor=cto, proposal=sc.proposal2, approve=True)  # +2,043.22 EUR
    # EUR payroll: 7 x 90,000 + 61,234.56 + 73,456.78 = 764,691.34 -> 3 % = 22,940.74
    big = services.raise_propose(actor=cto, cycle=sc.cycle, person=world.em, proposed_salary=Decimal("110000.00"),
                                 reason="market", justification="Market data for EMs in Lisbon.")
    services.raise_decide(actor=cto, proposal=big, approve=True)  # +20,000 -> 24,308.66 approved
    cycle = services.review_cycle_advance(actor=cto, cycle=sc.cycle)
    lines = {b.currency: b for b in services.selectors.budget_status(cycle=cycle)}
    assert (lines["EUR"].limit, lines["EUR"].approved, lines["EUR"].over) == (
        Decimal("22940.74"), Decimal("24308.66"), True)
    with pytest.raises(ValidationError) as err:
        services.review_cycle_advance(actor=cto, cycle=cycle)
    assert err.value.message_dict["stage"] == [
        "Approved raises exceed the cycle budget: EUR 24,308.66 approved against a budget of 22,940.74 "
        "(over by 1,367.92). Reject or reduce raises, or raise the budget, before sharing."]
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.shared_at) == (S.CALIBRATION, None)
    # The page shows the same message and does not move.
    response = world.client("cto").post(reverse("reviews:cycle-advance", args=[cycle.pk]), follow=True)
    assert "Approved raises exceed the cycle budget" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.stage == S.CALIBRATION
    # An absolute EUR budget replaces the percentage.
    CycleBudget.objects.create(cycle=cycle, currency="EUR", amount=Decimal("25000.00"))
    assert services.review_cycle_advance(actor=cto, cycle=cycle).stage == S.SHARED


def test_closing_applies_approved_raises_to_the_pay_history(world, sc):
    cto = cto_actor(world)
    finish_manager_reviews(world, sc.cycle)
    services.raise_decide(actor=cto, proposal=sc.proposal, approve=True)
    services.raise_decide(actor=cto, proposal=sc.proposal2, approve=False)
    cycle = services.review_cycle_advance(actor=cto, cycle=sc.cycle)
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    assert cycle.stage == S.CLOSED and cycle.closed_at is not None
    new = CompensationRecord.objects.get(person=world.engineer, effective_date=cycle.effective_date)
    assert (new.base_salary, new.currency, new.level, new.zone, new.reason, new.cycle_id) == (
        Decimal("63500.00"), "EUR", "L3", "remote-EU", "merit", cycle.pk)
    assert not CompensationRecord.objects.filter(person=world.engineer2, effective_date=cycle.effective_date).exists()
    sc.proposal.refresh_from_db()
    assert sc.proposal.status == RaiseProposal.Status.APPLIED
    with pytest.raises(ValidationError, match="closed"):
        services.review_cycle_advance(actor=cto, cycle=cycle)


def test_a_market_adjustment_without_promotion_is_first_class(world, sc):
    cto = cto_actor(world)
    p = services.raise_propose(actor=cto, cycle=sc.cycle, person=world.tl, proposed_salary=Decimal("93000.00"),
                               reason="market", justification="No band for TLs yet.")
    assert (p.reason, p.is_promotion, p.percent, p.out_of_band) == ("market", False, Decimal("3.33"), True)


def test_a_promotion_must_change_the_level(world, sc):
    cto = cto_actor(world)
    band(cto, level="L4", zone="local-PT", lo="60000", mid="75000", hi="90000")
    with pytest.raises(ValidationError) as err:
        services.raise_propose(actor=cto, cycle=sc.cycle, person=world.pm, proposed_salary=Decimal("95000"),
                               reason="promotion")
    assert err.value.message_dict == {"proposed_level": ["A promotion changes the level."]}


def test_cycle_api_advance_and_budget(world, sc):
    client = world.client("hr")
    response = client.post(reverse("api:review-cycle-advance", args=[sc.cycle.pk]), {"to_stage": "calibration"},
                           content_type="application/json")
    assert response.status_code == 200
    assert response.json()["stage"] == "calibration"
    budget = client.get(reverse("api:review-cycle-budget", args=[sc.cycle.pk])).json()
    assert budget == [{"currency": "EUR", "payroll": "764691.34", "limit": "22940.74", "approved": "0.00",
                       "pending": "4308.66", "over": False}]


def test_cycle_create_validates_due_dates(world):
    cto = cto_actor(world)
    t = make_template(cto)
    today = date.today()
    with pytest.raises(ValidationError) as err:
        services.review_cycle_create(actor=cto, name="Bad", template=t, self_review_due=today + timedelta(days=9),
                                     manager_review_due=today, calibration_due=today, share_date=today,
                                     effective_date=today)
    assert "manager_review_due" in err.value.message_dict
    assert not ReviewCycle.objects.filter(name="Bad").exists()


def test_build_in_self_review_stage(world):
    sc = build(world, stage=S.SELF_REVIEW)
    assert sc.cycle.stage == S.SELF_REVIEW and sc.proposal is None


def test_hr_creates_a_cycle_through_the_api(world, sc):
    response = world.client("hr").post(reverse("api:review-cycle-list"), {
        "name": "2026 H2", "template": sc.template.pk, "scope": "roles", "scope_roles": ["engineer", "tl"],
        "self_review_due": "2026-12-01", "manager_review_due": "2026-12-10", "calibration_due": "2026-12-15",
        "share_date": "2026-12-20", "effective_date": "2027-01-01", "budget_percent": "2.50",
        "budgets": {"USD": "15000.00"}, "target_distribution": {"1": 5, "2": 15, "3": 50, "4": 20, "5": 10},
    }, content_type="application/json")
    assert response.status_code == 201
    cycle = ReviewCycle.objects.get(name="2026 H2")
    assert (response.json()["stage"], cycle.scope_roles, list(cycle.budgets.values_list("currency", "amount"))) == (
        "draft", ["engineer", "tl"], [("USD", Decimal("15000.00"))])
    bad = world.client("hr").post(reverse("api:review-cycle-list"), {
        "name": "Bad target", "template": sc.template.pk, "scope": "everyone", "self_review_due": "2026-12-01",
        "manager_review_due": "2026-12-10", "calibration_due": "2026-12-15", "share_date": "2026-12-20",
        "effective_date": "2027-01-01", "target_distribution": {"3": 90}}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json() == {"target_distribution": ["The target percentages must add up to 100."]}
