"""Playwright (Python) driving Debian's Chromium against the live test server. The shared
`browser` fixture lives in tests/conftest.py."""
import pytest


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def login(page, base_url: str, username: str, password: str = "pw-for-tests-1") -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def open_menu(page, group: str, item: str) -> None:
    """Click a navigation dropdown, then one of its links."""
    page.get_by_test_id("main-nav").get_by_role("button", name=group).click()
    page.get_by_role("link", name=item).click()
    page.wait_for_load_state()
