"""Budgets (status, forecast, alerts once), anomalies (spike vs weekly rhythm), subscriptions."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.access import get_actor
from apps.costs import selectors, services
from apps.costs.models import Budget, BudgetAlert, CostAnomaly, CostEntry, FxRate, ToolSubscription

pytestmark = pytest.mark.django_db


def entry(day: date, cost: str, *, team=None, service="Amazon EC2", currency="USD", account="111111111111"):
    return CostEntry.objects.create(
        date=day, billing_period=day.replace(day=1), provider="AWS", billing_account_id="999",
        sub_account_id=account, service=service, region="", team=team, cost=Decimal(cost),
        amortized_cost=Decimal(cost), currency=currency, source="focus")


def test_budget_status_forecast_from_run_rate_and_fx(world):
    team = world.teams["alpha"]
    for d in range(1, 11):
        entry(date(2025, 4, d), "10", team=team)
    entry(date(2025, 4, 5), "100", team=team, currency="EUR", service="S3")
    FxRate.objects.create(currency="EUR", valid_from=date(2025, 1, 1), rate=Decimal("1.10"))
    budget = services.budget_create(actor=services.SYSTEM, name="Alpha", scope="team", team=team,
                                    amount=Decimal("600"), currency="USD")

    status = selectors.budget_status(budget=budget, today=date(2025, 4, 11))

    assert status.spent == Decimal("210.00")  # 10 x 10 USD + 100 EUR at 1.10
    assert status.forecast == Decimal("630.00")  # 210 over 10 whole days x 30 days
    assert status.forecast_over is True
    assert (status.period_start, status.period_end) == (date(2025, 4, 1), date(2025, 4, 30))


def test_quarterly_bounds():
    assert selectors.period_bounds(date(2025, 5, 17), "quarterly") == (date(2025, 4, 1), date(2025, 6, 30))
    assert selectors.period_bounds(date(2024, 2, 10), "monthly") == (date(2024, 2, 1), date(2024, 2, 29))


def test_budget_thresholds_fire_once_per_period(world):
    for d in range(1, 16):
        entry(date(2025, 4, d), "10")
    budget = services.budget_create(actor=services.SYSTEM, name="Total", scope="total", amount=Decimal("180"),
                                    thresholds=[100, 80, 50])
    today = date(2025, 4, 16)  # spent 150 = 83%; forecast 300

    first = services.budget_alerts_check(today=today)
    again = services.budget_alerts_check(today=today)

    assert sorted(a.threshold for a in first) == [0, 50, 80]
    assert again == []
    assert BudgetAlert.objects.filter(budget=budget).count() == 3
    assert len(mail.outbox) == 3
    assert mail.outbox[0].to == sorted({world.cto.email, world.finance.email})
    entry(date(2025, 4, 16), "40")
    assert [a.threshold for a in services.budget_alerts_check(today=today)] == [100]


@pytest.mark.parametrize(("fields", "error_field"), [
    ({"scope": "team"}, "team"),
    ({"scope": "service"}, "service"),
    ({"amount": Decimal("0")}, "amount"),
    ({"thresholds": [80, "x"]}, "thresholds"),
])
def test_budget_validation(fields, error_field):
    base = {"name": "B", "scope": "total", "amount": Decimal("10")}
    with pytest.raises(ValidationError) as exc:
        services.budget_create(actor=services.SYSTEM, **{**base, **fields})
    assert error_field in exc.value.message_dict
    assert Budget.objects.count() == 0


def test_em_may_not_create_budgets(world):
    with pytest.raises(PermissionDenied):
        services.budget_create(actor=get_actor(world.users["em"]), name="x", scope="total", amount=Decimal("1"))
    assert Budget.objects.count() == 0


def _weekly_history(team, end: date, days: int = 35):
    for i in range(days, 0, -1):
        d = end - timedelta(days=i)
        entry(d, "20" if d.weekday() >= 5 else "100", team=team)


def test_anomaly_detection_ignores_weekly_rhythm(world):
    team = world.teams["alpha"]
    day = date(2025, 3, 15)  # a Saturday: low, as every Saturday
    _weekly_history(team, day)
    entry(day, "21", team=team)
    entry(day + timedelta(days=2), "104", team=team)

    assert services.anomalies_detect(day=day) == []
    assert services.anomalies_detect(day=day + timedelta(days=2)) == []
    assert CostAnomaly.objects.count() == 0


def test_anomaly_detection_finds_a_planted_spike_with_owner(world):
    team = world.teams["alpha"]
    day = date(2025, 3, 15)  # Saturday, expected 20
    _weekly_history(team, day)
    entry(day, "95", team=team)

    found = services.anomalies_detect(day=day)

    assert {(a.dimension, a.key, a.expected, a.actual, a.impact) for a in found} == {
        ("service", "Amazon EC2", Decimal("20.00"), Decimal("95.00"), Decimal("75.00")),
        ("team", "alpha", Decimal("20.00"), Decimal("95.00"), Decimal("75.00")),
    }
    assert {a.owner for a in found} == {world.em}
    assert {a.team for a in found} == {team}
    # Re-running keeps the triage.
    anomaly = CostAnomaly.objects.get(dimension="team")
    services.cost_anomaly_triage(actor=get_actor(world.users["em"]), anomaly=anomaly, status="acknowledged")
    services.anomalies_detect(day=day)
    assert CostAnomaly.objects.get(dimension="team").status == "acknowledged"
    assert CostAnomaly.objects.count() == 2


def test_triage_rules(world):
    anomaly = CostAnomaly.objects.create(date=date(2025, 1, 1), dimension="team", key="beta", team=world.teams["beta"],
                                         expected=1, actual=5, impact=4, currency="USD")
    with pytest.raises(PermissionDenied):
        services.cost_anomaly_triage(actor=get_actor(world.users["em"]), anomaly=anomaly, status="resolved", note="x")
    with pytest.raises(ValidationError) as exc:
        services.cost_anomaly_triage(actor=get_actor(world.users["em2"]), anomaly=anomaly, status="expected")
    assert "note" in exc.value.message_dict
    anomaly.refresh_from_db()
    assert anomaly.status == "new"
    services.cost_anomaly_triage(actor=get_actor(world.users["em2"]), anomaly=anomaly, status="expected",
                                 note="Black Friday load test")
    anomaly.refresh_from_db()
    assert (anomaly.status, anomaly.note, anomaly.triaged_by) == ("expected", "Black Friday load test", world.em2)


def test_subscription_costs_and_reminder_once(world):
    sub = services.tool_subscription_create(
        actor=services.SYSTEM, vendor="GitHub", product="Enterprise", amount=Decimal("25200"), currency="USD",
        billing_period="annual", seats_purchased=100, seats_used=80, renewal_date=date(2025, 6, 30), notice_days=30,
        owner=world.em, owner_team=world.teams["alpha"])
    assert (sub.monthly_cost, sub.cost_per_seat, sub.notice_deadline) == (Decimal("2100.00"), Decimal("21.00"),
                                                                          date(2025, 5, 31))
    assert services.subscription_reminders_send(today=date(2025, 5, 1)) == []
    assert services.subscription_reminders_send(today=date(2025, 5, 20)) == [sub]
    assert services.subscription_reminders_send(today=date(2025, 5, 21)) == []
    assert len(mail.outbox) == 1 and world.em.email in mail.outbox[0].to
    with pytest.raises(ValidationError) as exc:
        services.tool_subscription_create(actor=services.SYSTEM, vendor="github", product="enterprise", amount=1)
    assert "product" in exc.value.message_dict
    assert ToolSubscription.objects.count() == 1


def test_cost_summary_for_the_dashboard(world):
    for d in range(1, 11):
        entry(date(2025, 4, d), "10", team=world.teams["alpha"])
        entry(date(2025, 3, d), "5", team=world.teams["beta"])
    summary = selectors.cost_summary(actor=get_actor(world.users["cto"]), today=date(2025, 4, 11))
    assert (summary.month_to_date, summary.previous_month_same_days, summary.month_forecast) == (
        Decimal("100.00"), Decimal("50.00"), Decimal("300.00"))
    em = selectors.cost_summary(actor=get_actor(world.users["em"]), today=date(2025, 4, 11))
    assert (em.month_to_date, em.previous_month_same_days) == (Decimal("100.00"), Decimal("0.00"))
    assert selectors.cost_summary(actor=get_actor(world.users["engineer"]), today=date(2025, 4, 11)) is None
