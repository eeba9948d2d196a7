"""The pages end to end through the test client: forms call the services and show their errors."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from apps.reviews.models import CompensationRecord, PayBand, RaiseProposal, Review, ReviewCycle
from tests.reviews.scenario import ENG2_TEXT, ENG_SELF, build, cto_actor, make_template


def test_hr_creates_a_cycle_on_the_page(world):
    template = make_template(cto_actor(world))
    today = date.today()
    data = {"name": "2026 H2", "template": template.pk, "scope": "teams", "scope_teams": [world.teams["beta"].pk],
            "self_review_due": today + timedelta(days=5), "manager_review_due": today + timedelta(days=10),
            "calibration_due": today + timedelta(days=15), "share_date": today + timedelta(days=20),
            "effective_date": today + timedelta(days=30), "budget_percent": "2.5", "budget_usd": "10000"}
    response = world.client("hr").post(reverse("reviews:cycle-create"), data)
    cycle = ReviewCycle.objects.get(name="2026 H2")
    assert response.status_code == 302 and response["Location"] == cycle.get_absolute_url()
    assert (cycle.stage, cycle.scope, list(cycle.scope_teams.all()), cycle.budget_percent) == (
        "draft", "teams", [world.teams["beta"]], Decimal("2.50"))
    assert list(cycle.budgets.values_list("currency", "amount")) == [("USD", Decimal("10000.00"))]
    # Drafts are invisible to everyone but CTO and HR.
    assert world.client("em").get(cycle.get_absolute_url()).status_code == 404
    assert world.client("hr").post(reverse("reviews:cycle-advance", args=[cycle.pk])).status_code == 302
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.reviews.count()) == ("self_review", 3)


def test_the_engineer_writes_a_self_assessment_on_the_page(world):
    sc = build(world, stage="self_review")
    review = Review.objects.get(cycle=sc.cycle, subject=world.em)
    crit = [s.criterion_id for s in review.scores.all()]
    client = world.client("em")
    url = reverse("reviews:review-self", args=[review.pk])
    response = client.post(url, {"self_assessment": "", **{f"score_{c}": "4" for c in crit}, "submit": "1"})
    assert "Write your self assessment before submitting." in response.content.decode()
    response = client.post(url, {"self_assessment": "I led the EM sync.", **{f"score_{c}": "4" for c in crit},
                                 "submit": "1"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.self_assessment, review.self_submitted_at is not None,
            sorted(review.scores.values_list("self_score", flat=True))) == ("I led the EM sync.", True, [4, 4, 4])


def test_the_reviewer_writes_the_manager_review_on_the_page(world):
    sc = build(world)
    review = Review.objects.get(cycle=sc.cycle, subject=world.tl)  # reviewer: em
    crit = [s.criterion_id for s in review.scores.all()]
    client = world.client("em")
    assert f"write-review-{review.pk}" in client.get(reverse("reviews:home")).content.decode()
    url = reverse("reviews:review-manager", args=[review.pk])
    page = client.get(url).content.decode()
    assert "Their self assessment" in page
    response = client.post(url, {"manager_assessment": "Great tech lead.", **{f"score_{c}": "5" for c in crit},
                                 "override_rating": "4", "override_reason": "", "potential": "high", "submit": "1"})
    assert "Give a reason for overriding the derived rating." in response.content.decode()
    response = client.post(url, {"manager_assessment": "Great tech lead.", **{f"score_{c}": "5" for c in crit},
                                 "potential": "high", "promotion_recommended": "on", "promotion_note": "Staff",
                                 "submit": "1"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.final_rating, review.potential, review.promotion_recommended, review.manager_submitted_at is not None
            ) == (5, "high", True, True)


def test_raises_on_the_page_proposed_by_a_manager_decided_by_the_cto(world):
    sc = build(world)
    client = world.client("em")
    page = client.get(reverse("reviews:raise-create", args=[sc.cycle.pk])).content.decode()
    assert "Tl Person" in page and "Engineer2 Person" not in page
    response = client.post(reverse("reviews:raise-create", args=[sc.cycle.pk]), {
        "person": world.tl.pk, "proposed_salary": "92000.00", "proposed_level": "", "reason": "market",
        "justification": "No TL band yet."})
    assert response.status_code == 302
    proposal = RaiseProposal.objects.get(cycle=sc.cycle, person=world.tl)
    assert (proposal.proposed_salary, proposal.reason, proposal.out_of_band) == (Decimal("92000.00"), "market", True)
    # EMs cannot decide; the CTO can.
    assert client.post(reverse("reviews:raise-decide", args=[proposal.pk]), {"decision": "approve"}).status_code == 403
    cto = world.client("cto")
    assert cto.post(reverse("reviews:raise-decide", args=[proposal.pk]), {"decision": "approve"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "approved"
    letter = cto.get(reverse("reviews:raise-detail", args=[proposal.pk])).content.decode()
    assert "EUR 92,000.00" in letter and "2.22%" in letter
    listing = cto.get(reverse("reviews:raise-list", args=[sc.cycle.pk])).content.decode()
    assert 'data-testid="budget"' in listing
    # The EM's list shows no budget (company-wide payroll figures are for CTO/HR).
    assert 'data-testid="budget"' not in client.get(reverse("reviews:raise-list", args=[sc.cycle.pk])).content.decode()


def test_pay_pages(world):
    build(world)
    hr = world.client("hr")
    page = hr.get(reverse("reviews:compensation-list")).content.decode()
    assert "EUR 61,234.56" in page and "EUR 73,456.78" in page
    page = hr.get(reverse("reviews:compensation-list") + "?zone=remote-EU").content.decode()
    assert "EUR 61,234.56" in page and "EUR 73,456.78" not in page
    hist = hr.get(reverse("reviews:compensation-person", args=[world.engineer.pk])).content.decode()
    assert "remote-EU" in hist and "0.55" not in hist
    response = hr.post(reverse("reviews:compensation-create", args=[world.engineer.pk]), {
        "effective_date": date.today().isoformat(), "base_salary": "64000.00", "currency": "EUR", "level": "L3",
        "location": "remote", "country": "ES", "note": "Market"})
    assert response.status_code == 302
    assert CompensationRecord.objects.filter(person=world.engineer).count() == 2
    # Bands page and form.
    assert hr.post(reverse("reviews:band-create"), {"level": "L4", "zone": "local-PT", "currency": "EUR",
                                                     "minimum": "60000", "midpoint": "70000", "maximum": "85000",
                                                     "location_factor": "1.000"}).status_code == 302
    assert PayBand.objects.filter(level="L4", zone="local-PT").count() == 1
    assert "EUR 70,000.00" in world.client("em").get(reverse("reviews:band-list")).content.decode()


def test_an_engineer_home_shows_their_own_review_and_nothing_else(world):
    sc = build(world)
    page = world.client("engineer").get(reverse("reviews:home")).content.decode()
    assert reverse("reviews:review-self", args=[sc.review.pk]) in page
    assert ENG2_TEXT not in page and "Engineer2 Person" not in page
    detail = world.client("engineer").get(sc.cycle.get_absolute_url()).content.decode()
    assert "No review you may see." in detail and ENG_SELF not in detail


def test_templates_on_the_page_and_the_api(world):
    hr = world.client("hr")
    response = hr.post(reverse("reviews:template-create"), {
        "name": "Data engineering", "description": "For data people",
        "criteria": "Delivery | 40 | Ships\nData quality | 35\nCollaboration | 25"})
    assert response.status_code == 302
    body = world.client("em").get(reverse("api:review-template-list")).json()["results"]
    assert [(c["name"], c["weight"]) for c in body[0]["criteria"]] == [
        ("Delivery", "40.00"), ("Data quality", "35.00"), ("Collaboration", "25.00")]
    page = world.client("em").get(reverse("reviews:template-list")).content.decode()
    assert "Data quality" in page
    bad = hr.post(reverse("reviews:template-create"), {"name": "Broken", "criteria": "Delivery | -5"})
    assert "must be greater than zero" in bad.content.decode()
    api = hr.post(reverse("api:review-template-list"), {"name": "Data engineering", "criteria": [
        {"name": "A", "weight": "1"}]}, content_type="application/json")
    assert (api.status_code, api.json()) == (400, {"name": ["A template with this name exists already."]})
    created = world.client("cto").post(reverse("api:review-template-list"), {"name": "Platform", "criteria": [
        {"name": "Reliability", "weight": "60"}, {"name": "Automation", "weight": "40"}]},
        content_type="application/json")
    assert created.status_code == 201
    assert [c["name"] for c in created.json()["criteria"]] == ["Reliability", "Automation"]
    from apps.reviews.models import ReviewTemplate

    assert sorted(ReviewTemplate.objects.values_list("name", flat=True)) == ["Data engineering", "Platform"]
