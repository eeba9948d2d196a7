"""Browser test (Playwright, the system Chromium): an EM writes a manager review, the CTO
calibrates and approves a raise and shares the cycle, the engineer reads the shared review
and acknowledges it."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.reviews import services
from apps.reviews.models import CalibrationChange, RaiseProposal, Review
from tests.e2e.conftest import login
from tests.reviews.scenario import actor_for, band, cto_actor, make_cycle, make_template, pay, scores_for

pytestmark = pytest.mark.e2e
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory
TEXT = "Shipped the payments retry queue and mentored two newcomers."


def _login(browser, live_server, username):
    page = browser.new_context().new_page()
    page.set_default_timeout(15000)
    login(page, live_server.url, username, PASSWORD, next_path="/reviews/")  # with the CTO's TOTP step
    return page


def test_em_reviews_cto_calibrates_and_approves_engineer_acknowledges(transactional_db, world, browser, live_server):
    cto = cto_actor(world)
    world.engineer.manager = world.em  # the EM is the engineer's direct manager for this cycle
    world.engineer.level = "L3"
    world.engineer.save()
    band(cto, zone="remote-EU", lo="52000", mid="68000", hi="84000")
    pay(cto, world.engineer, Decimal("60000.00"), location="remote", country="ES")
    cycle = make_cycle(cto, make_template(cto), scope="roles", scope_roles=["engineer"])
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    review = Review.objects.get(cycle=cycle, subject=world.engineer)
    services.review_self_save(actor=actor_for(world, "engineer"), review=review, self_assessment="My half.",
                              scores=scores_for(review, 4), submit=True)
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    other = Review.objects.get(cycle=cycle, subject=world.engineer2)
    services.review_manager_save(actor=actor_for(world, "tl2"), review=other, manager_assessment="Solid.",
                                 scores=scores_for(other, 3), submit=True)

    # 1. The EM writes and submits the manager review.
    em = _login(browser, live_server, "em")
    em.click(f"[data-testid=write-review-{review.pk}]")
    em.fill("#id_manager_assessment", TEXT)
    for s in review.scores.all():
        em.select_option(f"#id_score_{s.criterion_id}", "4")
    em.select_option("#id_potential", "high")
    em.click("input[name=submit]")
    em.wait_for_url(f"{live_server.url}/reviews/reviews/{review.pk}/")
    assert em.inner_text("[data-testid=final-rating]").strip() == "4"
    services.raise_propose(actor=actor_for(world, "em"), cycle=cycle, person=world.engineer,
                           proposed_salary=Decimal("61500.00"), reason="merit")  # 2.5 %: within the 3 % budget

    # 2. The CTO moves to calibration, calibrates, approves the raise and shares.
    ctop = _login(browser, live_server, "cto")
    ctop.goto(f"{live_server.url}{cycle.get_absolute_url()}")
    ctop.click("[data-testid=advance]")
    assert ctop.inner_text("[data-testid=stage]").strip() == "Calibration"
    ctop.click("[data-testid=calibration-link]")
    form = ctop.locator(f"[data-testid=calibrate-{review.pk}]")
    form.locator("select[name=rating]").select_option("5")
    form.locator("input[name=reason]").fill("Strongest delivery in the org this half.")
    form.locator("button").click()
    assert "Strongest delivery in the org this half." in ctop.inner_text("[data-testid=calibration-changes]")
    ctop.goto(f"{live_server.url}/reviews/cycles/{cycle.pk}/raises/")
    proposal = RaiseProposal.objects.get(cycle=cycle, person=world.engineer)
    ctop.click(f"[data-testid=approve-{proposal.pk}]")
    assert ctop.inner_text(f"[data-testid=raise-status-{proposal.pk}]").strip() == "Approved"
    ctop.goto(f"{live_server.url}{cycle.get_absolute_url()}")
    ctop.click("[data-testid=advance]")
    assert ctop.inner_text("[data-testid=stage]").strip() == "Shared"

    # 3. The engineer reads the shared review and acknowledges it.
    eng = _login(browser, live_server, "engineer")
    eng.click(f"[data-testid=own-review-{review.pk}]")
    assert TEXT in eng.inner_text("[data-testid=manager-assessment]")
    assert eng.inner_text("[data-testid=final-rating]").strip() == "5"
    assert "Strongest delivery in the org" not in eng.content()  # calibration notes stay with calibrators
    eng.click("[data-testid=acknowledge]")
    assert "Acknowledged on" in eng.inner_text("[data-testid=acknowledged]")

    review.refresh_from_db()
    proposal.refresh_from_db()
    assert (review.final_rating, review.acknowledged_at is not None, proposal.status) == (5, True, "approved")
    assert CalibrationChange.objects.filter(review=review, field="rating", new_value="5").count() == 1
