"""HR and the CTO move a running cycle's dates from its page; the stage order holds; a closed
cycle keeps its dates; nobody else may."""
from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from apps.reviews.models import ReviewCycle
from tests.reviews.scenario import build


def _form(cycle, **changes):
    data = {name: getattr(cycle, name).isoformat() for name in
            ("self_review_due", "manager_review_due", "calibration_due", "share_date", "effective_date")}
    data.update({k: v.isoformat() for k, v in changes.items()})
    return data


def test_hr_moves_the_calibration_date_and_the_cycle_page_shows_it(world):
    cycle = build(world).cycle
    later = cycle.calibration_due + timedelta(days=3)
    response = world.client("hr").post(reverse("reviews:cycle-dates", args=[cycle.pk]),
                                       _form(cycle, calibration_due=later))
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.calibration_due == later
    page = world.client("cto").get(cycle.get_absolute_url()).content.decode()
    assert f"calibration {later.isoformat()}" in page


def test_dates_out_of_stage_order_are_refused_and_nothing_changes(world):
    cycle = build(world).cycle
    before = ReviewCycle.objects.values().get(pk=cycle.pk)
    response = world.client("cto").post(
        reverse("reviews:cycle-dates", args=[cycle.pk]),
        _form(cycle, manager_review_due=cycle.share_date + timedelta(days=1)))
    assert response.status_code == 200
    assert "Due dates must follow the stages" in response.content.decode()
    response = world.client("cto").post(
        reverse("reviews:cycle-dates", args=[cycle.pk]),
        _form(cycle, effective_date=cycle.share_date - timedelta(days=1)))
    assert "Raises cannot take effect before the reviews are shared" in response.content.decode()
    assert ReviewCycle.objects.values().get(pk=cycle.pk) == before


def test_a_closed_cycle_keeps_its_dates(world):
    cycle = build(world).cycle
    ReviewCycle.objects.filter(pk=cycle.pk).update(stage=ReviewCycle.Stage.CLOSED)
    response = world.client("hr").post(reverse("reviews:cycle-dates", args=[cycle.pk]),
                                       _form(cycle, share_date=cycle.share_date + timedelta(days=1)))
    assert response.status_code == 200
    assert "A closed cycle keeps its dates" in response.content.decode()
    assert ReviewCycle.objects.get(pk=cycle.pk).share_date == cycle.share_date


def test_managers_may_not_move_dates(world):
    cycle = build(world).cycle
    response = world.client("em").post(reverse("reviews:cycle-dates", args=[cycle.pk]),
                                       _form(cycle, share_date=cycle.share_date + timedelta(days=1)))
    assert response.status_code == 403
    assert ReviewCycle.objects.get(pk=cycle.pk).share_date == cycle.share_date
