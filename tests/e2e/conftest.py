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


def login(page, base_url: str, username: str, password: str = "pw-for-tests-1", next_path: str = "/") -> None:
    """Sign in through the real form, and through the second factor when the role needs one
    (CTO, HR, finance): the first time it enrols from the key shown on the page, later it types
    the code computed from the stored secret, as an authenticator app would."""
    query = f"?next={next_path}" if next_path != "/" else ""
    page.goto(f"{base_url}/accounts/login/{query}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    complete_second_factor(page, username)
    page.wait_for_url(f"{base_url}{next_path}")


def complete_second_factor(page, username: str) -> None:
    """On the enrolment or code page after the password step: get past it (a no-op elsewhere)."""
    from django.contrib.auth import get_user_model

    from tests.accounts.mfa import code_for, fresh_code, key_from_base32

    if "/accounts/mfa/setup/" in page.url:
        secret = page.get_by_test_id("totp-secret").inner_text().strip()
        page.fill("input[name=code]", code_for(key_from_base32(secret)))
        page.click("[data-testid=mfa-enrol-form] button[type=submit]")
        page.get_by_test_id("recovery-codes-done").click()
        page.wait_for_url(lambda url: "/accounts/mfa/" not in url)
    elif "/accounts/mfa/verify/" in page.url:
        page.fill("input[name=code]", fresh_code(get_user_model().objects.get(username=username)))
        page.click("[data-testid=mfa-verify-form] button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/mfa/" not in url)


def open_menu(page, group: str, item: str) -> None:
    """Click a navigation dropdown, then one of its links."""
    page.get_by_test_id("main-nav").get_by_role("button", name=group).click()
    page.get_by_role("link", name=item).click()
    page.wait_for_load_state()
