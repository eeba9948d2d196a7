"""Budgets: the list page and API read every budget's status in a fixed number of queries, and
Cost Explorer's forecast (GetCostForecast, Stubber) replaces the run-rate when available."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.costs import selectors, services
from apps.costs.models import AwsAccount, Budget, CostForecast
from tests.costs.test_budgets_anomalies import entry
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def _budgets(world, n: int) -> None:
    account = AwsAccount.objects.get_or_create(account_id="111111111111", defaults={"name": "prod"})[0]
    today = timezone.now().date()
    for i in range(n):
        team = TeamFactory(slug=f"team-{n}-{i}", name=f"Team {n} {i}")
        entry(today, str(10 + i), team=team, service=f"Service {i}")
        scope = ("total", "team", "account", "service")[i % 4]
        Budget.objects.create(
            name=f"B{n}-{i}", scope=scope, team=team if scope == "team" else None,
            account=account if scope == "account" else None, service=f"Service {i}" if scope == "service" else "",
            period="quarterly" if i % 3 == 0 else "monthly", amount=Decimal("1000"), currency="USD",
            thresholds=[80, 100])


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["costs:budget-list", "api:cost-budget-list"])
def test_budget_list_query_count_does_not_grow_with_the_budgets(world, url, django_assert_max_num_queries):
    client = world.client("finance")
    _budgets(world, 4)
    small = _count(client, reverse(url))
    Budget.objects.all().delete()
    _budgets(world, 16)
    assert Budget.objects.count() == 16
    with django_assert_max_num_queries(small):
        response = client.get(reverse(url))
    assert response.status_code == 200
    assert _count(client, reverse(url)) == small


def test_batched_statuses_equal_one_by_one(world):
    _budgets(world, 8)
    today = timezone.now().date()
    batched = selectors.budget_statuses_for(Budget.objects.select_related("team", "account"), today=today)
    for status in batched:
        one = selectors.budget_statuses_for([status.budget], today=today)[0]
        assert (status.spent, status.forecast, status.period_start) == (one.spent, one.forecast, one.period_start)
    assert any(s.spent > 0 for s in batched)


def _ce_client():
    return boto3.client("ce", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_cost_explorer_forecast_replaces_the_run_rate_when_available(world):
    today = date(2025, 4, 11)
    team = world.teams["alpha"]
    AwsAccount.objects.create(account_id="200000000000", name="payer", is_payer=True)
    for d in range(1, 12):  # 10 whole days at 10, and today's partial 4
        entry(date(2025, 4, d), "10" if d < 11 else "4", team=team)
    total = services.budget_create(actor=services.SYSTEM, name="Total", scope="total", amount=Decimal("600"),
                                   currency="USD")
    alpha = services.budget_create(actor=services.SYSTEM, name="Alpha", scope="team", team=team,
                                   amount=Decimal("600"), currency="USD")
    client = _ce_client()
    stub = Stubber(client)
    period = {"Start": "2025-04-11", "End": "2025-05-01"}
    stub.add_response("get_cost_forecast", {"Total": {"Amount": "150.5", "Unit": "USD"}, "ForecastResultsByTime": []},
                      {"TimePeriod": period, "Metric": "UNBLENDED_COST", "Granularity": "MONTHLY"})
    stub.add_client_error("get_cost_forecast", "DataUnavailableException", "Insufficient amount of historical data",
                          400, expected_params={"TimePeriod": period, "Metric": "UNBLENDED_COST",
                                                "Granularity": "MONTHLY",
                                                "Filter": {"Tags": {"Key": "team", "Values": ["alpha"]}}})
    with stub:
        saved = services.budget_forecasts_sync(actor=services.SYSTEM, today=today, client_factory=lambda a: client,
                                               sleep=lambda s: None)
    stub.assert_no_pending_responses()

    assert [(f.budget, f.amount, f.as_of) for f in saved] == [(total, Decimal("150.5"), today)]
    statuses = {s.budget.name: s for s in selectors.budget_statuses_for([total, alpha], today=today)}
    # Cost Explorer: 100 spent before today + 150.50 forecast from today to the end of April.
    assert (statuses["Total"].spent, statuses["Total"].forecast, statuses["Total"].forecast_source) == (
        Decimal("104.00"), Decimal("250.50"), "Cost Explorer")
    # No forecast for the team: the run-rate (104 over 10 whole days x 30).
    assert (statuses["Alpha"].forecast, statuses["Alpha"].forecast_source) == (Decimal("312.00"), "run-rate")
    # A stale forecast is not used.
    later = selectors.budget_statuses_for([total], today=date(2025, 4, 20))[0]
    assert later.forecast_source == "run-rate"
    assert CostForecast.objects.count() == 1
