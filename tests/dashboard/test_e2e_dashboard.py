"""Browser test (Playwright + the system Chromium): the CTO signs in, sees every panel of the
dashboard (the 90-day chart drawn by the static script under the CSP), and a panel's link
leads to that panel's page."""
from __future__ import annotations

import pytest

from tests.dashboard.data import build
from tests.dashboard.test_home import CTO_PANELS
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory


def test_cto_sees_every_panel_and_follows_one(world, live_server, browser):
    build(world)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        login(page, live_server.url, "cto", PASSWORD)  # password, then the TOTP enrolment the CTO must do

        panels = page.locator("[data-panel]")
        assert [panels.nth(i).get_attribute("data-panel") for i in range(panels.count())] == CTO_PANELS
        for key in CTO_PANELS:
            assert page.locator(f"[data-panel={key}]").is_visible()
        assert page.locator("[data-panel=overdue_actions]").get_by_role("link", name="Em Person").is_visible()
        assert page.locator("[data-panel=ama]").get_by_text("Why do we rotate keys?").is_visible()
        page.wait_for_selector("#spend-chart[data-rendered='1']")  # Chart.js ran from the static file
        assert not [e for e in errors if "Content Security Policy" in e]

        page.locator("[data-panel=initiatives]").get_by_test_id("panel-link").click()
        page.wait_for_url("**/initiatives/**")
        assert page.get_by_text("Churn model").first.is_visible()

        page.goto(f"{live_server.url}/")
        page.locator("[data-panel=review_cycles]").get_by_role("link", name="H2 2026").click()
        page.wait_for_url("**/reviews/cycles/**")
        assert page.get_by_role("heading", name="H2 2026").first.is_visible()
    finally:
        context.close()
