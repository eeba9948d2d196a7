"""What the CTO dashboard shows about costs, in one read."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from apps.core.access import Actor
from apps.costs.selectors.aggregates import cost_aggregate
from apps.costs.selectors.budgets import budget_alert_list
from apps.costs.selectors.catalog import anomaly_list, subscription_monthly_spend
from apps.costs.selectors.currency import CENT, FxTable
from apps.costs.selectors.scope import can_view_costs


def default_range(today: date, days: int = 30) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


@dataclass
class CostSummary:
    """What the CTO dashboard shows about costs (read by the dashboard app through this selector)."""

    currency: str
    month_to_date: Decimal
    previous_month_same_days: Decimal
    month_forecast: Decimal
    tools_monthly: Decimal  # subscriptions in the reporting currency (converted)
    open_anomalies: int
    alerts_this_month: int
    tools_unconverted: dict[str, Decimal] = field(default_factory=dict)  # no FX rate: per currency, not in tools_monthly


def cost_summary(*, actor: Actor, today: date) -> CostSummary | None:
    """Month-to-date cloud spend (reporting currency), the same days of last month, the
    run-rate forecast, tool spend, open anomalies and this month's budget alerts. None for
    roles that do not see costs."""
    if not can_view_costs(actor):
        return None
    fx = FxTable()
    start = today.replace(day=1)
    prev_end = start - timedelta(days=1)
    prev_start = prev_end.replace(day=1)
    prev_same = prev_start + timedelta(days=min(today.day, prev_end.day) - 1)
    mtd = cost_aggregate(actor=actor, start=start, end=today, group_by="provider", granularity="monthly", fx=fx).total
    prev = cost_aggregate(actor=actor, start=prev_start, end=prev_same, group_by="provider", granularity="monthly",
                          fx=fx).total
    days_total = calendar.monthrange(today.year, today.month)[1]
    elapsed = max((today - start).days, 1)
    forecast = (mtd * days_total / elapsed).quantize(CENT) if today.day > 1 else mtd
    tools = subscription_monthly_spend(actor=actor, today=today, fx=fx)
    return CostSummary(
        currency=fx.reporting, month_to_date=mtd, previous_month_same_days=prev, month_forecast=forecast,
        tools_monthly=tools.amount, tools_unconverted=tools.unconverted,
        open_anomalies=anomaly_list(actor=actor, open_only=True).count(),
        alerts_this_month=budget_alert_list(actor=actor, since=start).count(),
    )
