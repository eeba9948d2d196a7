"""Browser test (Playwright, system Chromium): the CTO sets up TOTP at the first sign-in, then
signs in again with a code; the pages run under the CSP without errors."""
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_cto_enrols_then_signs_in_with_a_code(page, live_server, world):
    problems = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "cto")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/mfa/setup/")
    qr = page.get_by_test_id("totp-qr").locator("img")
    assert qr.is_visible() and qr.evaluate("img => img.naturalWidth") > 0  # the SVG rendered under the CSP
    page.goto(f"{live_server.url}/costs/")  # not signed in yet: back to the login page
    assert "/accounts/login/" in page.url

    login(page, live_server.url, "cto")  # enrols from the page's key
    assert TOTPDevice.objects.get(user=world.users["cto"]).confirmed
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/accounts/login/")

    login(page, live_server.url, "cto", next_path="/costs/")  # now the code page
    assert page.url.endswith("/costs/")
    assert problems == []
