"""Browser test (Playwright, system Chromium): an EM runs the next EM Sync end to end."""
from __future__ import annotations

from datetime import time

import pytest

from apps.syncs import services
from apps.syncs.models import ActionItem, Decision, Meeting
from tests.syncs.builders import actor

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser_page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_em_runs_the_next_em_sync(world, live_server, browser_page):
    series = services.series_create(actor=actor(world, "cto"), title="EM Sync", kind="em",
                                    participants=[world.em, world.em2], weekday=2, start_time=time(10, 0))
    assert series.meetings.count() >= 2
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "em")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/syncs/")
    page.click("[data-testid=series-table] a >> text=EM Sync")
    page.click("[data-testid=next-meeting]")
    page.wait_for_selector("[data-testid=meeting-title]")
    first_url = page.url

    page.fill("[data-testid=agenda-title]", "Hiring plan for Q3")
    page.click("[data-testid=agenda-add]")
    page.wait_for_selector("[data-testid=agenda-list] >> text=Hiring plan for Q3")

    page.fill("[data-testid=notes-body]", "## Hiring\n\nWe agreed on **two** SRE roles.")
    page.wait_for_selector("[data-testid=notes-preview] strong >> text=two")  # htmx live preview
    page.click("[data-testid=notes-save]")
    page.wait_for_selector("[data-testid=notes-version] >> text=version 1")

    page.fill("[data-testid=decision-text]", "Open two SRE roles")
    page.click("[data-testid=decision-add]")
    page.wait_for_selector("[data-testid=decisions] >> text=Open two SRE roles")

    page.fill("[data-testid=action-title]", "Write the SRE job description")
    page.click("[data-testid=action-add]")
    page.wait_for_selector("[data-testid=new-actions] >> text=Write the SRE job description")

    page.click("[data-testid=following-meeting]")
    page.wait_for_selector("[data-testid=carried-actions] >> text=Write the SRE job description")
    assert page.url != first_url

    meeting = Meeting.objects.get(pk=int(first_url.rstrip("/").rsplit("/", 1)[-1]))
    assert meeting.version == 1 and "two" in meeting.notes
    assert Decision.objects.get().text == "Open two SRE roles"
    assert ActionItem.objects.get().owner == world.em
