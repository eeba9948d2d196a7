"""Browser test (Playwright + the system Chromium): an AI team lead posts a status update and
the CTO sees the health change on the portfolio board."""
from __future__ import annotations

import pytest
from django.urls import reverse

from apps.initiatives.models import Initiative
from tests.e2e.conftest import complete_second_factor
from tests.factories import TeamFactory
from tests.initiatives.factories import InitiativeFactory

pytestmark = pytest.mark.e2e
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory


def sign_in(browser, live_server, username: str):
    page = browser.new_context().new_page()
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    complete_second_factor(page, username)  # the CTO's TOTP step
    return page


def test_ai_lead_posts_update_and_cto_sees_health_on_board(world, live_server, browser):
    ai = TeamFactory(name="AI", slug="ai", kind="ai", lead=world.tl)
    initiative = InitiativeFactory(team=ai, owner=world.engineer2, title="Invoice OCR", health="green")

    lead = sign_in(browser, live_server, "tl")
    lead.goto(live_server.url + initiative.get_absolute_url())
    form = lead.locator("[data-testid=update-form]")
    form.locator("input[name=health][value=red]").check()
    form.locator("textarea[name=text]").fill("ERP sandbox access revoked; **blocked** until security signs off.")
    form.locator("button[type=submit]").click()
    lead.wait_for_selector("text=Update posted.")
    assert lead.locator("[data-testid=timeline] strong").first.inner_text() == "blocked"

    cto = sign_in(browser, live_server, "cto")
    cto.goto(live_server.url + reverse("initiatives:board") + "?team=ai")
    card = cto.locator(f"[data-testid=card-{initiative.pk}]")
    assert card.get_attribute("data-health") == "red"
    assert card.locator("[data-testid=health]").inner_text() == "Off track"
    assert cto.locator(f"[data-column=in_progress] [data-testid=card-{initiative.pk}]").count() == 1
    assert Initiative.objects.get(pk=initiative.pk).health == "red"
