"""Money stays in its currency: totals go through the FX table, an amount with no rate is shown in
its own currency (never added in as if converted, never dropped), a budget never labels an
unconverted amount with its own currency, and an export adds up to the page's total."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.core.access import get_actor
from apps.costs import selectors, services
from apps.costs.models import Budget, BudgetAlert, CostEntry, FxRate, SavingsOpportunity

pytestmark = pytest.mark.django_db
TODAY = date(2025, 4, 11)


def entry(day: date, cost: str, *, currency: str = "USD", service: str = "Amazon EC2") -> CostEntry:
    return CostEntry.objects.create(
        date=day, billing_period=day.replace(day=1), provider="AWS", billing_account_id="999",
        sub_account_id="111111111111", service=service, region="", cost=Decimal(cost), amortized_cost=Decimal(cost),
        currency=currency, source="focus")


def eur_rate(rate: str = "1.10") -> FxRate:
    return FxRate.objects.create(currency="EUR", valid_from=date(2020, 1, 1), rate=Decimal(rate))


# -- Adding money across currencies ------------------------------------------------------------------------
def test_a_money_total_converts_what_it_can_and_keeps_the_rest_in_its_own_currency():
    eur_rate()

    total = selectors.money_total([(Decimal("100.00"), "USD"), (Decimal("100.00"), "EUR"), (Decimal("30.00"), "GBP"),
                                   (Decimal("20.005"), "GBP")], day=TODAY)

    assert (total.currency, total.amount, total.unconverted) == ("USD", Decimal("210.00"), {"GBP": Decimal("50.00")})
    assert total.complete is False


def test_the_savings_page_converts_and_shows_amounts_without_a_rate_apart(world):
    eur_rate()
    finance = get_actor(world.users["finance"])
    for title, amount, currency, status in [("Warehouse", "100.00", "USD", "open"), ("EU replica", "100.00", "EUR", "open"),
                                            ("UK NAT", "30.00", "GBP", "in_progress"),
                                            ("Dropped", "999.00", "USD", "dismissed")]:
        services.savings_opportunity_create(actor=finance, title=title, estimated_monthly=Decimal(amount),
                                            currency=currency, status=status)
    services.savings_opportunity_create(actor=finance, title="Done", estimated_monthly=Decimal("10.00"),
                                        realised_monthly=Decimal("12.00"), currency="EUR", status="done")

    response = world.client("finance").get(reverse("costs:opportunity-list"))

    assert (response.context["estimated"].amount, response.context["estimated"].unconverted) == (
        Decimal("221.00"), {"GBP": Decimal("30.00")})  # 100 USD + 110 + 11 (EUR at 1.10); GBP apart
    assert (response.context["realised"].amount, response.context["realised"].unconverted) == (Decimal("13.20"), {})
    page = response.content.decode()
    assert "Estimated <strong>221.00 USD</strong> + <strong>30.00 GBP</strong>" in page
    assert "no FX rate for GBP" in page
    assert "realised <strong>13.20 USD</strong>" in page


def test_tool_spend_keeps_subscriptions_without_a_rate_apart(world):
    finance = get_actor(world.users["finance"])
    eur_rate()
    for vendor, amount, currency, period in [("GitHub", "1200.00", "USD", "annual"), ("Miro", "100.00", "EUR", "monthly"),
                                             ("Sage", "60.00", "GBP", "quarterly")]:
        services.tool_subscription_create(actor=finance, vendor=vendor, product="Team", amount=Decimal(amount),
                                          currency=currency, billing_period=period)

    spend = selectors.subscription_monthly_spend(actor=finance, today=TODAY)
    summary = selectors.cost_summary(actor=finance, today=TODAY)
    page = world.client("finance").get(reverse("costs:subscription-list")).content.decode()
    overview = world.client("finance").get(reverse("costs:overview")).content.decode()

    assert (spend.amount, spend.unconverted) == (Decimal("210.00"), {"GBP": Decimal("20.00")})
    assert (summary.tools_monthly, summary.tools_unconverted) == (Decimal("210.00"), {"GBP": Decimal("20.00")})
    assert "210.00 USD + 20.00 GBP/month" in page and "No FX rate for GBP" in page
    assert "+ 20.00 GBP (no FX rate)" in overview


# -- Budgets ----------------------------------------------------------------------------------------------
def test_a_budget_in_a_currency_without_a_rate_shows_no_spend_and_says_why(world):
    entry(TODAY, "100.00")
    budget = services.budget_create(actor=services.SYSTEM, name="EU cloud", scope="total", amount=Decimal("1000"),
                                    currency="EUR", thresholds=[1])

    status = selectors.budget_status(budget=budget, today=TODAY)

    assert (status.spent, status.forecast, status.percent, status.forecast_over) == (None, None, None, False)
    assert status.fx_note.startswith("No FX rate for EUR: the spend cannot be shown in EUR.")
    assert services.budget_alerts_check(today=TODAY) == []  # nothing honest to compare
    assert not BudgetAlert.objects.exists()


def test_the_budget_api_and_pages_give_no_spend_without_a_rate(world):
    entry(timezone.now().date(), "100.00")
    client = world.client("finance")
    created = client.post("/api/v1/cost-budgets/", {"name": "EU cloud", "scope": "total", "amount": "1000.00",
                                                    "currency": "EUR"}, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]

    body = client.get(f"/api/v1/cost-budgets/{pk}/").json()
    listed = client.get("/api/v1/cost-budgets/").json()["results"]
    detail = client.get(reverse("costs:budget-detail", args=[pk])).content.decode()
    table = client.get(reverse("costs:budget-list")).content.decode()

    assert (body["spent"], body["forecast"], body["currency"]) == (None, None, "EUR")
    assert body["fx_note"].startswith("No FX rate for EUR")
    assert [(b["spent"], b["fx_note"][:18]) for b in listed] == [(None, "No FX rate for EUR")]
    assert 'data-testid="spent">unknown<' in detail and "No FX rate for EUR" in detail
    assert "No FX rate for EUR" in table and "100.00" not in table

    eur_rate("1.25")  # a rate added later: the spend shows, converted
    body = client.get(f"/api/v1/cost-budgets/{pk}/").json()
    assert (body["spent"], body["fx_note"]) == ("80.00", "")


def test_the_budget_form_warns_when_its_currency_has_no_rate(world):
    client = world.client("finance")
    response = client.post(reverse("costs:budget-create"), {
        "name": "EU cloud", "scope": "total", "period": "monthly", "amount": "1000", "currency": "EUR",
        "thresholds": "80, 100", "is_active": "on"})

    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(t.startswith("There is no FX rate for EUR yet") for t in texts), texts
    assert Budget.objects.get().currency == "EUR"


def test_a_budget_adds_its_own_currency_without_needing_a_rate(world):
    entry(TODAY, "40.00", currency="EUR")
    entry(TODAY - timedelta(days=1), "60.00", currency="EUR")
    budget = services.budget_create(actor=services.SYSTEM, name="EU cloud", scope="total", amount=Decimal("1000"),
                                    currency="EUR")

    status = selectors.budget_status(budget=budget, today=TODAY)

    assert (status.spent, status.currency, status.unconverted, status.fx_note) == (Decimal("100.00"), "EUR", [], "")


def test_a_budget_names_the_spend_it_cannot_convert(world):
    entry(TODAY, "100.00")
    entry(TODAY, "50.00", currency="GBP", service="Amazon S3")
    budget = services.budget_create(actor=services.SYSTEM, name="Cloud", scope="total", amount=Decimal("1000"))

    status = selectors.budget_status(budget=budget, today=TODAY)

    assert (status.spent, status.unconverted) == (Decimal("100.00"), ["GBP"])
    assert status.fx_note == "No FX rate for GBP: those costs are left out of the spend and the forecast."


# -- The explorer, its API and its CSV export -----------------------------------------------------------------
def _export(client, query: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(reverse("costs:export") + query).content.decode())))


def test_the_csv_export_lists_costs_without_a_rate_in_their_own_currency(world):
    day = date(2025, 2, 10)
    entry(day, "100.00")
    entry(day, "50.25", currency="GBP", service="Amazon S3")
    entry(day + timedelta(days=1), "0.125", currency="GBP", service="Amazon S3")
    query = "?start=2025-02-01&end=2025-02-28&group_by=service"
    client = world.client("finance")

    rows = _export(client, query)
    api = client.get(reverse("api:cost-aggregate") + query).json()
    page = client.get(reverse("costs:overview") + query).content.decode()

    assert rows == [["period", "service", "cost", "currency"], ["2025-02-10", "Amazon EC2", "100.00", "USD"],
                    ["2025-02-10", "Amazon S3", "50.25", "GBP"], ["2025-02-11", "Amazon S3", "0.13", "GBP"]]
    assert (api["total"], api["unconverted"], api["unconverted_totals"]) == ("100.00", ["GBP"], {"GBP": "50.38"})
    assert "No exchange rate for GBP: 50.38 GBP not in the total" in page


def test_the_csv_export_adds_up_to_the_total_the_page_and_api_show(world):
    """Three costs of 1.005: each rounds to 1.00 on its own, their total to 3.02 (exact 3.015)."""
    day = date(2025, 2, 10)
    for service in ("Amazon EC2", "Amazon RDS", "Amazon S3"):
        entry(day, "1.005", service=service)
    entry(day + timedelta(days=1), "0.004", service="Amazon S3")
    query = "?start=2025-02-01&end=2025-02-28&group_by=service&granularity=daily"
    client = world.client("finance")

    rows = _export(client, query)[1:]
    api = client.get(reverse("api:cost-aggregate") + query).json()
    response = client.get(reverse("costs:overview") + query)
    agg = response.context["agg"]

    assert sum(Decimal(r[2]) for r in rows) == Decimal(api["total"]) == agg.total == Decimal("3.02")
    assert sorted((r[1], r[0], r[2]) for r in rows) == sorted(
        (g["label"], p, v) for g in api["groups"] for p, v in g["values"].items())  # CSV rows = API cells
    assert all(abs(Decimal(r[2]) - Decimal("1.005")) < Decimal("0.01") for r in rows if r[0] == "2025-02-10")
    assert [(g["label"], g["total"]) for g in api["groups"]] == [
        ("Amazon S3", "1.01"), ("Amazon EC2", "1.00"), ("Amazon RDS", "1.00")]  # each its own cost, rounded
    assert 'data-testid="rounding-note"' in response.content.decode()


@pytest.mark.parametrize("values", [
    ["1.005", "1.005", "1.005"],
    ["0.333333", "0.333333", "0.333334"],
    ["-2.675", "5.555", "0.004", "-0.001"],
    ["10", "20.50", "0"],
])
def test_round_to_total_gives_cents_that_add_up_each_within_a_cent(values):
    exact = {i: Decimal(v) for i, v in enumerate(values)}

    rounded = selectors.round_to_total(exact)

    assert sum(rounded.values()) == sum(exact.values()).quantize(Decimal("0.01"))
    assert all(v == v.quantize(Decimal("0.01")) and abs(v - exact[k]) < Decimal("0.01") for k, v in rounded.items())
    assert all(v == exact[k] for k, v in rounded.items() if exact[k] == exact[k].quantize(Decimal("0.01")))


# -- Savings opportunities ------------------------------------------------------------------------------------
def test_an_opportunity_api_read_names_where_its_estimate_comes_from(world):
    opp = SavingsOpportunity.objects.create(title="Idle", source="idle", external_id="x", estimated_monthly=0,
                                            currency="USD", estimate_source="pending")

    body = world.client("finance").get(f"/api/v1/savings-opportunities/{opp.pk}/").json()

    assert (body["estimated_monthly"], body["estimate_source"]) == ("0.00", "pending")
