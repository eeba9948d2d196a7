"""Calibration: distribution per manager and team vs target, outlier managers, 9-box, and
changes recorded with a reason."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from apps.core.roles import Role
from apps.reviews import selectors, services
from apps.reviews.models import CalibrationChange, Review, ReviewCycle
from tests.factories import PersonFactory
from tests.reviews.scenario import actor_for, cto_actor, make_cycle, make_template, scores_for


@pytest.fixture
def calib(world):
    """tl reviews four engineers (all 5s: lenient); tl2 four (all 3s); the CTO rates the rest 3."""
    for i in range(3):
        PersonFactory(full_name=f"Alpha {i}", email=f"alpha{i}@example.com", role=Role.ENGINEER, manager=world.tl,
                      team=world.teams["alpha"])
        PersonFactory(full_name=f"Beta {i}", email=f"beta{i}@example.com", role=Role.ENGINEER, manager=world.tl2,
                      team=world.teams["beta"])
    cto = cto_actor(world)
    cycle = services.review_cycle_advance(actor=cto, cycle=make_cycle(cto, make_template(cto)))
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    tl, tl2 = actor_for(world, "tl"), actor_for(world, "tl2")
    for r in cycle.reviews.select_related("reviewer"):
        who = {world.tl.pk: (tl, 5, "high"), world.tl2.pk: (tl2, 3, "low")}.get(r.reviewer_id, (cto, 3, "medium"))
        services.review_manager_save(actor=who[0], review=r, manager_assessment="ok", scores=scores_for(r, who[1]),
                                     potential=who[2], submit=True)
    return services.review_cycle_advance(actor=cto, cycle=cycle)


def test_distribution_outliers_and_nine_box(world, calib):
    data = selectors.calibration_data(actor=cto_actor(world), cycle=calib)
    assert (data.overall.total, data.overall.counts, data.unrated) == (15, {1: 0, 2: 0, 3: 11, 4: 0, 5: 4}, 0)
    rows = {r.label: r for r in data.by_manager}
    assert {k: (r.total, str(r.average), r.flagged) for k, r in rows.items()} == {
        "Tl Person": (4, "5.00", True),
        "Tl2 Person": (4, "3.00", False),
        "Cto Person": (5, "3.00", False),
        "Em Person": (1, "3.00", False),
        "Em2 Person": (1, "3.00", False),
    }
    assert str(rows["Tl Person"].deviation) == "2.00"
    assert data.target == {1: 5, 2: 15, 3: 50, 4: 22, 5: 8}
    teams = {r.label: r.counts for r in data.by_team}
    assert teams["Alpha"] == {1: 0, 2: 0, 3: 2, 4: 0, 5: 4}
    assert sorted(r.subject.full_name for r in data.nine_box["high"]["high"]) == [
        "Alpha 0", "Alpha 1", "Alpha 2", "Engineer Person"]
    assert len(data.nine_box["low"]["medium"]) == 4


def test_an_em_calibrates_only_their_chain(world, calib):
    data = selectors.calibration_data(actor=actor_for(world, "em"), cycle=calib)
    assert sorted(r.subject.full_name for r in data.reviews) == [
        "Alpha 0", "Alpha 1", "Alpha 2", "Engineer Person", "Tl Person"]
    other = Review.objects.get(cycle=calib, subject=world.engineer2)
    with pytest.raises(Http404):
        services.review_calibrate(actor=actor_for(world, "em"), review=other, rating=4, reason="x")


def test_a_calibration_change_is_recorded_with_its_reason(world, calib):
    review = Review.objects.get(cycle=calib, subject=world.engineer)
    with pytest.raises(ValidationError) as err:
        services.review_calibrate(actor=cto_actor(world), review=review, rating=4, reason="  ")
    assert err.value.message_dict == {"reason": ["Say why the rating changes in calibration."]}
    assert CalibrationChange.objects.count() == 0
    response = world.client("cto").post(reverse("reviews:review-calibrate", args=[review.pk]),
                                        {"rating": "4", "potential": "medium", "reason": "Lenient reviewer"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.final_rating, review.potential, review.override_reason) == (4, "medium", "Adjusted in calibration.")
    assert sorted(CalibrationChange.objects.values_list("field", "old_value", "new_value", "reason",
                                                        "changed_by__username")) == [
        ("potential", "high", "medium", "Lenient reviewer", "cto"),
        ("rating", "5", "4", "Lenient reviewer", "cto")]
    page = world.client("cto").get(reverse("reviews:calibration", args=[calib.pk])).content.decode()
    assert "Lenient reviewer" in page and 'data-testid="outlier"' in page


def test_calibration_api(world, calib):
    body = world.client("em").get(reverse("api:review-cycle-calibration", args=[calib.pk])).json()
    assert body["overall"]["counts"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 4}
    assert body["target"]["3"] == "50.00"
    assert calib.stage == ReviewCycle.Stage.CALIBRATION
