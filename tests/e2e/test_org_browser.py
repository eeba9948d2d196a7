import pytest

from tests.e2e.conftest import login, open_menu

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_cto_sees_direct_reports_and_org_chart(page, live_server, world):
    login(page, live_server.url, "cto")
    open_menu(page, "Org", "Direct reports")
    table = page.get_by_test_id("direct-reports")
    rows = table.locator("tbody tr")
    assert rows.count() == 5
    assert "Em Person" in rows.nth(0).inner_text()
    assert rows.nth(0).locator("td").last.inner_text().strip() == "2"  # TL + engineer below

    open_menu(page, "Org", "Org chart")
    chart = page.get_by_test_id("org-chart")
    assert chart.get_by_role("link", name="Cto Person").is_visible()
    em = chart.get_by_role("link", name="Em Person", exact=True)
    engineer = chart.get_by_role("link", name="Engineer Person", exact=True)
    assert em.is_visible()  # the first two levels are unfolded...
    assert not engineer.is_visible()  # ...deeper ones are folded
    tl_summary = chart.locator("summary", has=page.get_by_role("link", name="Tl Person", exact=True))
    tl_summary.click(position={"x": 2, "y": 8})  # a click on the arrow unfolds the TL's people
    assert engineer.is_visible()
    tl_summary.click(position={"x": 2, "y": 8})
    assert not engineer.is_visible()

def test_engineer_is_refused_the_people_crud(page, live_server, world):
    login(page, live_server.url, "engineer")
    open_menu(page, "Org", "People")
    assert page.get_by_test_id("person-create").count() == 0
    response = page.goto(f"{live_server.url}/org/people/new/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    response = page.goto(f"{live_server.url}/org/people/{world.engineer2.pk}/edit/")
    assert response.status == 403


def test_cto_adds_a_person_through_the_form(page, live_server, world):
    from apps.org.models import Person

    login(page, live_server.url, "cto")
    page.goto(f"{live_server.url}/org/people/new/")
    page.fill("input[name=full_name]", "Browser Hire")
    page.fill("input[name=email]", "browser.hire@example.com")
    page.select_option("select[name=role]", "engineer")
    page.select_option("select[name=manager]", label="Tl Person")
    page.click("input[type=submit][value=Save]")
    page.wait_for_url("**/org/people/*/")
    assert page.get_by_role("heading", name="Browser Hire").is_visible()
    assert Person.objects.get(email="browser.hire@example.com").manager == world.tl


def test_phone_width_has_a_collapsed_menu(browser, live_server, world):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, live_server.url, "cto")
    org = page.get_by_role("button", name="Org")
    assert not org.is_visible()
    page.get_by_role("button", name="Toggle navigation").click()
    org.wait_for(state="visible")
    org.click()
    page.get_by_role("link", name="People").click()
    page.wait_for_url("**/org/people/")
    context.close()
