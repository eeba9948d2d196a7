"""Bad input: clear field errors, nothing saved, never a 500."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.reviews.models import CompensationRecord, PayBand, RaiseProposal, ReviewCycle

PAY_URL = "api:compensation-record-list"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"base_salary": "-5000.00"}, "base_salary", "The amount must be greater than zero."),
        ({"base_salary": "0"}, "base_salary", "The amount must be greater than zero."),
        ({"base_salary": "abc"}, "base_salary", "A valid number is required."),
        ({"currency": "XYZ"}, "currency", "Unknown currency 'XYZ': use an ISO 4217 code such as EUR or USD."),
        ({"currency": "E1"}, "currency", "Unknown currency 'E1': use an ISO 4217 code such as EUR or USD."),
        ({"country": "P"}, "country", "Use a two-letter ISO 3166 code, e.g. PT."),
    ],
)
def test_bad_pay_record_is_refused_and_nothing_saved(world, sc, changes, field, message):
    before = CompensationRecord.objects.count()
    data = {"person": world.engineer.pk, "effective_date": "2026-03-01", "base_salary": "65000.00",
            "currency": "EUR", "level": "L3", **changes}
    response = world.client("hr").post(reverse(PAY_URL), data, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert CompensationRecord.objects.count() == before


def test_a_good_pay_record_is_saved_with_its_zone(world, sc):
    response = world.client("hr").post(reverse(PAY_URL), {
        "person": world.engineer.pk, "effective_date": "2026-03-01", "base_salary": "65000.00", "currency": "eur",
        "level": "L3", "location": "remote", "country": "de"}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["base_salary"], body["currency"], body["zone"], body["country"]) == ("65000.00", "EUR", "remote-EU", "DE")


def test_the_pay_page_shows_the_error_and_saves_nothing(world, sc):
    before = CompensationRecord.objects.count()
    response = world.client("hr").post(reverse("reviews:compensation-create", args=[world.engineer.pk]), {
        "effective_date": "2026-03-01", "base_salary": "-1", "currency": "EUR", "level": "L3", "location": "local",
        "country": "PT"})
    assert response.status_code == 200
    assert "The amount must be greater than zero." in response.content.decode()
    assert CompensationRecord.objects.count() == before


def test_two_records_on_the_same_date_are_refused(world, sc):
    response = world.client("cto").post(reverse(PAY_URL), {
        "person": world.engineer.pk, "effective_date": sc.record.effective_date.isoformat(),
        "base_salary": "65000.00", "currency": "EUR", "level": "L3"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"effective_date": ["This person already has a pay record at that date."]}


def test_a_raise_outside_the_band_needs_a_reason(world, sc):
    before = RaiseProposal.objects.count()
    data = {"cycle": sc.cycle.pk, "person": world.tl.pk, "proposed_salary": "99000.00", "reason": "merit"}
    response = world.client("em").post(reverse("api:raise-proposal-list"), data, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"justification": [
        "The proposed salary is outside the band (the L3 band in local-PT is EUR 50,000.00–80,000.00): "
        "give a justification."]}
    assert RaiseProposal.objects.count() == before
    data["justification"] = "Retention: competing offer."
    response = world.client("em").post(reverse("api:raise-proposal-list"), data, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["out_of_band"], body["current_salary"], body["proposed_salary"], body["percent"]) == (
        True, "90000.00", "99000.00", "10.00")


@pytest.mark.parametrize(
    ("salary", "field", "message"),
    [
        ("85000.00", "proposed_salary", "The proposed salary must be above the current one."),
        ("-1", "proposed_salary", "The amount must be greater than zero."),
    ],
)
def test_a_raise_must_raise(world, sc, salary, field, message):
    response = world.client("em").post(reverse("api:raise-proposal-list"), {
        "cycle": sc.cycle.pk, "person": world.tl.pk, "proposed_salary": salary, "reason": "merit",
        "justification": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_a_raise_for_someone_outside_the_chain_is_not_found(world, sc):
    before = RaiseProposal.objects.count()
    response = world.client("em").post(reverse("api:raise-proposal-list"), {
        "cycle": sc.cycle.pk, "person": world.tl2.pk, "proposed_salary": "95000", "reason": "merit",
        "justification": "x"}, content_type="application/json")
    assert response.status_code == 404
    assert RaiseProposal.objects.count() == before


def test_a_bad_band_is_refused(world):
    response = world.client("cto").post(reverse("api:pay-band-list"), {
        "level": "L9", "zone": "local-PT", "currency": "EUR", "minimum": "90000", "midpoint": "80000",
        "maximum": "100000", "location_factor": "1.000"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"midpoint": ["A band runs minimum ≤ midpoint ≤ maximum."]}
    assert not PayBand.objects.filter(level="L9").exists()


def test_a_cycle_with_dates_out_of_order_is_a_400_not_a_500(world, sc):
    response = world.client("hr").post(reverse("api:review-cycle-list"), {
        "name": "Broken", "template": sc.template.pk, "scope": "everyone", "self_review_due": "2026-05-10",
        "manager_review_due": "2026-05-01", "calibration_due": "2026-05-20", "share_date": "2026-05-30",
        "effective_date": "2026-06-01"}, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["manager_review_due"]
    assert not ReviewCycle.objects.filter(name="Broken").exists()


def test_a_score_out_of_range_is_refused(world, sc):
    review = sc.review
    crit = review.scores.first().criterion_id
    response = world.client("tl").post(reverse("api:review-manager-assessment", args=[review.pk]), {
        "manager_assessment": "x", "scores": {str(crit): 7}}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"scores": ["A score is a whole number from 1 to 5."]}
    assert review.scores.get(criterion_id=crit).manager_score == 4


def test_decimal_amounts_stay_exact(world, sc):
    assert CompensationRecord.objects.get(pk=sc.record.pk).base_salary == Decimal("61234.56")
