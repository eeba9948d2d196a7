"""The home page per role: the CTO's full dashboard and a lighter page for every other role,
each panel read through its app's selectors and checked against known data."""
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.dashboard.data import build

pytestmark = pytest.mark.django_db

CTO_PANELS = ["spend", "anomalies", "overdue_actions", "week_syncs", "review_cycles", "security_completion",
              "evidence", "initiatives", "infra_requests", "renewals", "tech_monthly", "ama"]


def panels(response) -> dict:
    return {p.key: p for p in response.context["panels"]}


@pytest.fixture
def known(world):
    return build(world)


def cto_panels(world) -> dict:
    response = world.client("cto").get(reverse("dashboard:home"))
    assert response.status_code == 200
    return panels(response)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("cto", CTO_PANELS),
        ("em", ["my_syncs", "my_actions", "team_reviews", "spend", "anomalies"]),
        ("tl", ["my_syncs", "my_actions", "team_findings"]),
        ("pm", ["product_syncs", "initiatives", "my_actions"]),
        ("engineer", ["my_actions", "trainings_due", "bulletins", "talks"]),
        ("finance", ["spend", "anomalies", "renewals", "my_actions", "trainings_due", "bulletins"]),
        ("hr", ["review_cycles", "my_actions", "trainings_due", "bulletins"]),
    ],
)
def test_each_role_gets_its_own_home_page(world, known, role, expected):
    response = world.client(role).get(reverse("dashboard:home"))
    assert response.status_code == 200
    assert [p.key for p in response.context["panels"]] == expected
    for key in expected:  # every panel is on the page, with the link to its own page
        assert f'data-panel="{key}"'.encode() in response.content
        assert panels(response)[key].link


def test_panels_are_hidden_from_roles_whose_app_hides_the_data(world, known):
    """The CTO's panels come from the apps' own rules: an EM sees costs only of their teams,
    a TL or engineer sees no money at all, and nobody else sees the org-wide security figures."""
    for role in ("tl", "pm", "engineer", "hr"):
        content = world.client(role).get(reverse("dashboard:home")).content
        assert b'data-panel="spend"' not in content, role
        assert b"Cloud total" not in content, role
        assert b'data-panel="security_completion"' not in content, role
        assert b'data-panel="evidence"' not in content, role
    em = panels(world.client("em").get(reverse("dashboard:home")))
    # EM: alpha's costs only (beta's "Service n" entries and anomalies are not theirs)
    assert [a["what"] for a in em["anomalies"].data["items"]] == ["Amazon EC2"]
    assert em["spend"].data["budget"]["name"] == "Alpha"  # team budget: the total one is not theirs


def test_spend_panel(world, known):
    from django.utils import timezone

    data = cto_panels(world)["spend"].data
    today = timezone.localdate()
    assert data["month_to_date"] == {"amount": Decimal("100.00") * today.day, "currency": "USD"}
    assert data["tools_monthly"] == {"amount": Decimal("110.00"), "currency": "USD"}  # 1,200 a year + 10 a month
    assert data["budget"]["name"] == "Cloud total"
    assert data["budget"]["amount"]["amount"] == Decimal("5000.00")
    assert data["budget"]["spent"]["amount"] == Decimal("100.00") * today.day
    assert data["open_anomalies"] == 1
    chart = data["chart"]
    assert len(chart["labels"]) == 90 and chart["labels"][-1] == today.isoformat()
    assert [d["label"] for d in chart["datasets"]] == ["AWS"]
    assert chart["datasets"][0]["data"][-1] == Decimal("100.00")
    assert chart["datasets"][0]["data"][0] == Decimal("0")  # before the first cost


def test_spend_chart_data_is_a_json_script_and_a_static_file(world, known):
    content = world.client("cto").get(reverse("dashboard:home")).content.decode()
    assert '<script id="spend-chart-data" type="application/json">' in content
    assert "/static/js/dashboard.js" in content
    assert "<script>" not in content  # no inline script (CSP)


def test_anomalies_renewals_and_requests(world, known):
    p = cto_panels(world)
    assert p["anomalies"].data["count"] == 1
    assert p["anomalies"].data["items"][0]["what"] == "Amazon EC2"
    assert p["anomalies"].data["items"][0]["impact"] == {"amount": Decimal("800.00"), "currency": "USD"}
    renewals = p["renewals"].data["items"]
    assert [r["tool"] for r in renewals] == ["GitHub Enterprise"]  # "Far Later" is 200 days out
    assert renewals[0]["days"] == 20 and renewals[0]["notice_passed"] is True
    requests = p["infra_requests"].data
    assert requests["count"] == 1 and requests["items"][0]["title"] == "GPU box"
    assert requests["items"][0]["days_late"] == 3


def test_overdue_actions_by_owner(world, known):
    data = cto_panels(world)["overdue_actions"].data
    assert data["count"] == 3 and data["owner_count"] == 2
    assert [(o["owner"], o["count"], o["days_overdue"]) for o in data["owners"]] == [
        ("Em Person", 2, 5), ("Tl Person", 1, 1)]


def test_week_syncs_with_open_agenda(world, known):
    meetings = cto_panels(world)["week_syncs"].data["meetings"]
    first = next(m for m in meetings if m["scheduled_at"] == known.week_wednesday)
    assert first["title"] == "Tech Sync"
    assert first["open_agenda"] == [{"title": "Cost review", "presenter": "Em Person"}]  # "done" item left out


def test_review_cycles_progress_and_deadline(world, known):
    from datetime import timedelta

    cycles = cto_panels(world)["review_cycles"].data["cycles"]
    assert len(cycles) == 1
    c = cycles[0]
    assert (c["name"], c["stage"], c["due"], c["days_left"], c["late"]) == (
        "H2 2026", "Self review", known.today + timedelta(days=7), 7, False)
    assert (c["total"], c["self_done"], c["manager_done"], c["self_percent"]) == (3, 2, 1, 67)


def test_security_completion_and_evidence(world, known):
    p = cto_panels(world)
    training = p["security_completion"].data["trainings"][0]
    assert (training["title"], training["audience"], training["done"], training["percent"]) == (
        "Security awareness 2026", 4, 2, 50)
    bulletin = p["security_completion"].data["bulletins"][0]
    # audience: engineers and TLs (engineer, engineer2, tl, tl2); tl acknowledged
    assert (bulletin["title"], bulletin["acknowledged"], bulletin["audience"], bulletin["percent"]) == (
        "Rotate your tokens", 1, 4, 25)
    evidence = p["evidence"].data
    assert evidence["count"] == 2
    assert [(e["title"], e["expired"]) for e in evidence["items"]] == [("Old scan 0", True), ("Pen test report", False)]
    assert evidence["items"][1]["controls"] == ["5.1"]


def test_initiatives_red_and_amber_first_and_stale(world, known):
    data = cto_panels(world)["initiatives"].data
    assert data["by_health"] == {"green": 1, "amber": 1, "red": 1}
    assert [i["title"] for i in data["attention"]] == ["Churn model", "Invoice OCR"]
    assert data["stale_count"] == 1 and data["stale"][0]["title"] == "Quiet one"


def test_next_tech_monthly_and_ama_with_top_voted_questions(world, known):
    p = cto_panels(world)
    tm = p["tech_monthly"].data
    assert tm["session"]["title"] == "Tech Monthly December"
    assert [(t["title"], t["speakers"]) for t in tm["talks"]] == [
        ("Postgres at scale", ["Tl Person"]), ("CSS without tears", ["Engineer Person"])]
    ama = p["ama"].data
    assert ama["session"]["title"] == "Security AMA December"
    assert ama["questions"][0] == {"text": "Why do we rotate keys?", "votes": 3, "answered": False}
    assert "Pending one" not in [q["text"] for q in ama["questions"]]


def test_em_home_page(world, known):
    p = panels(world.client("em").get(reverse("dashboard:home")))
    assert {m["title"] for m in p["my_syncs"].data["meetings"]} == {"Tech Sync"}  # not the PM's Product Sync
    assert (p["my_actions"].data["open"], p["my_actions"].data["overdue"]) == (2, 2)
    reviews = {r["person"]: r for r in p["team_reviews"].data["items"]}
    assert set(reviews) == {"Tl Person", "Engineer Person"}  # never engineer2 (not in the EM's chain)
    assert reviews["Tl Person"]["self_submitted"] is True and reviews["Tl Person"]["you_write"] is True
    assert p["team_reviews"].data["to_write"] == 1


def test_em_review_status_read_is_access_logged(world, known):
    from apps.core.models import AccessLog

    world.client("em").get(reverse("dashboard:home"))
    logged = set(AccessLog.objects.filter(object_type="reviews.review-status").values_list("subject_label", flat=True))
    assert logged == {"Tl Person", "Engineer Person"}


def test_tl_home_page_shows_their_teams_findings(world, known):
    p = panels(world.client("tl").get(reverse("dashboard:home")))
    findings = p["team_findings"].data
    assert findings["count"] == 1 and findings["items"][0]["resource"] == "idle-0"  # not beta's box
    assert (p["my_actions"].data["open"], p["my_actions"].data["overdue"]) == (2, 1)


def test_pm_home_page(world, known):
    p = panels(world.client("pm").get(reverse("dashboard:home")))
    assert [m["title"] for m in p["product_syncs"].data["meetings"]] == ["Product Sync"]
    assert p["initiatives"].data["by_health"]["red"] == 1


def test_engineer_home_page(world, known):
    p = panels(world.client("engineer").get(reverse("dashboard:home")))
    assert p["trainings_due"].data["items"] == []  # the engineer's training is complete
    assert [b["title"] for b in p["bulletins"].data["items"]] == ["Rotate your tokens"]
    assert p["talks"].data["sessions"][0]["title"] == "Tech Monthly December"
    tl = panels(world.client("tl").get(reverse("dashboard:home")))
    assert "bulletins" not in tl  # the TL acknowledged it, and the TL page has no such panel anyway


def test_engineer_trainings_due(world, known):
    p = panels(world.client("hr").get(reverse("dashboard:home")))
    assert p["trainings_due"].data["items"] == []
    from apps.security.models import TrainingStatus

    TrainingStatus.objects.filter(person=world.engineer).update(state="overdue", last_completed_on=None)
    p = panels(world.client("engineer").get(reverse("dashboard:home")))
    assert [(t["title"], t["overdue"]) for t in p["trainings_due"].data["items"]] == [("Security awareness 2026", True)]


def test_empty_portal_renders_every_panel(world):
    response = world.client("cto").get(reverse("dashboard:home"))
    assert response.status_code == 200
    assert [p.key for p in response.context["panels"]] == CTO_PANELS
    assert b"No Tech Monthly scheduled." in response.content


def test_cached_cost_figures_follow_a_new_import(world, known):
    from django.utils import timezone

    from apps.core import services as core_services
    from apps.costs.models import AwsAccount, CostEntry
    from apps.costs.tasks import COST_IMPORT

    today = timezone.localdate()
    before = cto_panels(world)["spend"].data["month_to_date"]["amount"]
    assert cto_panels(world)["spend"].data["month_to_date"]["amount"] == before  # served from the cache
    CostEntry.objects.filter(date=today, service="Amazon EC2").update(cost=Decimal("150.00"))  # an in-place upsert
    core_services.syncrun_create(kind=COST_IMPORT, params={})  # ...by an import, which records its run
    assert cto_panels(world)["spend"].data["month_to_date"]["amount"] == before + Decimal("50.00")
    account = AwsAccount.objects.get(account_id="123456789012")
    CostEntry.objects.create(date=today, billing_period=today.replace(day=1), provider="AWS", account=account,
                             billing_account_id=account.account_id, sub_account_id=account.account_id,
                             service="New", region="us-east-1", currency="USD", cost=Decimal("1.00"),
                             amortized_cost=Decimal("1.00"), source="focus")
    assert cto_panels(world)["spend"].data["month_to_date"]["amount"] == before + Decimal("51.00")


def test_spend_panel_with_a_budget_and_tools_in_currencies_without_a_rate(world, known):
    """A monthly budget in a currency the FX table cannot convert to, and a tool paid in one it
    cannot convert from: the home page and the digest still render, the budget says its spend is
    unknown and why, and the tool is named beside the tools total (never added in, never dropped)."""
    from django.core import mail
    from django.core.cache import cache

    from apps.costs.models import Budget, ToolSubscription
    from apps.dashboard.services import weekly_digest_send

    Budget.objects.filter(name="Cloud total").update(currency="CHF")
    ToolSubscription.objects.create(vendor="Sage", product="Payroll", amount=Decimal("60.00"), currency="GBP",
                                    billing_period=ToolSubscription.BillingPeriod.MONTHLY)
    cache.clear()
    response = world.client("cto").get(reverse("dashboard:home"))
    assert response.status_code == 200
    data = panels(response)["spend"].data
    assert data["budget"]["spent"] is None and "CHF" in data["budget"]["fx_note"]
    assert data["tools_monthly"] == {"amount": Decimal("110.00"), "currency": "USD"}
    assert data["tools_unconverted"] == [{"amount": Decimal("60.00"), "currency": "GBP"}]
    html = response.content.decode()
    assert "spend unknown" in html and "GBP 60.00" in html
    weekly_digest_send()
    text = next(m.body for m in mail.outbox if "Cloud total" in m.body)
    assert "spend unknown" in text and "GBP 60.00: no FX rate" in text
