"""Money panels: spend against budget with forecast and the 90-day chart, open anomalies,
tool renewals. Read only through ``apps.costs.selectors``."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

from apps.costs import selectors as costs
from apps.costs.models import Budget
from apps.dashboard.panels import Panel, PanelContext

CHART_DAYS = 90
RENEWAL_DAYS = 60


def money(amount: Decimal | None, currency: str) -> dict | None:
    return None if amount is None else {"amount": amount, "currency": currency}


def _month_budget(ctx: PanelContext) -> Budget | None:
    """The budget the month is measured against: the organisation's monthly total, or (for an
    EM, who sees team budgets only) the first monthly budget of their teams."""
    candidates = list(costs.budget_list(actor=ctx.actor).filter(
        period=Budget.Period.MONTHLY, scope__in=[Budget.Scope.TOTAL, Budget.Scope.TEAM])[:20])
    candidates.sort(key=lambda b: (b.scope != Budget.Scope.TOTAL, b.name, b.pk))
    return candidates[0] if candidates else None


def _chart(ctx: PanelContext, fx: costs.FxTable) -> dict:
    """Daily cloud spend of the last 90 days, stacked per provider (Chart.js data)."""
    start = ctx.today - timedelta(days=CHART_DAYS - 1)
    agg = costs.cost_aggregate(actor=ctx.actor, start=start, end=ctx.today, group_by="provider",
                               granularity="daily", fx=fx)
    days = [start + timedelta(days=i) for i in range(CHART_DAYS)]
    return {
        "currency": agg.currency,
        "labels": [d.isoformat() for d in days],
        "datasets": [{"label": g["label"], "data": [g["values"].get(d, Decimal("0")) for d in days]}
                     for g in agg.groups],
        "total": agg.total,
    }


def spend(ctx: PanelContext) -> Panel | None:
    """Cloud month to date and forecast against the month's budget, plus tools per month."""
    summary = costs.cost_summary(actor=ctx.actor, today=ctx.today)
    if summary is None:
        return None
    fx = costs.FxTable()
    cur = summary.currency
    budget = _month_budget(ctx)
    budget_data = None
    if budget is not None:
        status = costs.budget_status(budget=budget, today=ctx.today, fx=fx)
        budget_data = {
            "name": budget.name, "amount": money(budget.amount, budget.currency),
            "spent": money(status.spent, status.currency), "forecast": money(status.forecast, status.currency),
            "percent": status.percent, "forecast_percent": status.forecast_percent,
            "forecast_over": status.forecast_over, "url": reverse("costs:budget-detail", args=[budget.pk]),
        }
    return Panel("spend", "Cloud and tool spend", {
        "currency": cur,
        "month_to_date": money(summary.month_to_date, cur),
        "month_forecast": money(summary.month_forecast, cur),
        "previous_month_same_days": money(summary.previous_month_same_days, cur),
        "tools_monthly": money(summary.tools_monthly, cur),
        "total_forecast": money(summary.month_forecast + summary.tools_monthly, cur),
        "budget": budget_data,
        "open_anomalies": summary.open_anomalies,
        "alerts_this_month": summary.alerts_this_month,
        "chart": _chart(ctx, fx),
    }, reverse("costs:overview"), "Cost explorer", width="col-12")


def anomalies(ctx: PanelContext) -> Panel | None:
    if not costs.can_view_costs(ctx.actor):
        return None
    qs = costs.anomaly_list(actor=ctx.actor, open_only=True)
    items = [
        {"date": a.date, "what": a.key, "dimension": a.get_dimension_display(),
         "team": a.team.name if a.team_id else None, "impact": money(a.impact, a.currency),
         "status": a.get_status_display(), "url": reverse("costs:anomaly-detail", args=[a.pk])}
        for a in qs.order_by("-impact", "-date", "pk")[:8]
    ]
    return Panel("anomalies", "Open cost anomalies", {"count": qs.count(), "items": items},
                 reverse("costs:anomaly-list"), "Triage")


def renewals(ctx: PanelContext) -> Panel | None:
    """Tool subscriptions renewing within 60 days, soonest first; flags a passed notice period."""
    if not costs.can_view_costs(ctx.actor):
        return None
    until = ctx.today + timedelta(days=RENEWAL_DAYS)
    subs = costs.subscription_list(actor=ctx.actor).filter(renewal_date__gte=ctx.today, renewal_date__lte=until)
    items = [
        {"tool": str(s), "renewal_date": s.renewal_date, "days": (s.renewal_date - ctx.today).days,
         "amount": money(s.amount, s.currency), "billing_period": s.get_billing_period_display(),
         "notice_passed": ctx.today > s.renewal_date - timedelta(days=s.notice_days),
         "owner": s.owner_team.name if s.owner_team_id else None,
         "url": reverse("costs:subscription-edit", args=[s.pk])}
        for s in subs.order_by("renewal_date", "vendor", "pk")[:10]
    ]
    return Panel("renewals", f"Tool renewals in the next {RENEWAL_DAYS} days", {"items": items},
                 reverse("costs:subscription-list"), "Subscriptions")
