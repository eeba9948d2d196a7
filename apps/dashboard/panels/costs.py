"""Money panels: spend against budget with forecast and the 90-day chart, open anomalies,
tool renewals. Read only through ``apps.costs.selectors``."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from apps.costs import selectors as costs
from apps.costs.models import Budget
from apps.dashboard.panels import Panel, PanelContext

CHART_DAYS = 90
RENEWAL_DAYS = 60
CACHE_SECONDS = 300


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


def _cost_figures(ctx: PanelContext, budget: Budget | None) -> tuple[dict, costs.CostSummary | None]:
    """The heavy cost aggregates (month to date, last month, forecast, the 90-day chart, the
    budget's spend), cached for CACHE_SECONDS (5 minutes). The key holds the day, the actor's
    cost scope, the budget, the newest cost entry and the latest cost import/sync run, so an
    import or a Cost Explorer pull shows at once; the TTL bounds anything else (an in-place
    correction without a run)."""
    from django.core.cache import cache
    from django.db.models import Max

    from apps.core.models import SyncRun
    from apps.costs.tasks import COST_IMPORT, COST_SYNC

    run = (SyncRun.objects.filter(kind__in=[COST_IMPORT, COST_SYNC]).order_by("-pk")
           .values_list("pk", "status", "finished_at").first())
    newest = costs.cost_entry_list(actor=ctx.actor).order_by().aggregate(m=Max("pk"))["m"]
    team_ids = costs.visible_team_ids(ctx.actor)
    scope = "all" if team_ids is None else ",".join(map(str, sorted(team_ids)))
    budget_key = f"{budget.pk}:{budget.amount}:{budget.currency}:{budget.scope}:{budget.team_id}" if budget else "-"
    raw = f"{ctx.today}|{scope}|{budget_key}|{newest}|{run}"
    key = "dashboard:spend:2:" + hashlib.sha256(raw.encode()).hexdigest()
    figures = cache.get(key)
    summary = None
    if figures is None:
        fx = costs.FxTable()
        summary = costs.cost_summary(actor=ctx.actor, today=ctx.today)
        figures = {"month_to_date": summary.month_to_date, "previous": summary.previous_month_same_days,
                   "forecast": summary.month_forecast, "chart": _chart(ctx, fx), "budget": None}
        if budget is not None:
            status = costs.budget_status(budget=budget, today=ctx.today, fx=fx)
            figures["budget"] = (status.spent, status.forecast, status.percent, status.forecast_percent,
                                 status.forecast_over, status.currency, status.fx_note)
        cache.set(key, figures, CACHE_SECONDS)
    return figures, summary


def spend(ctx: PanelContext) -> Panel | None:
    """Cloud month to date and forecast against the month's budget, plus tools per month. The
    tool spend, anomaly and alert counts are always live; the aggregates see ``_cost_figures``."""
    if not costs.can_view_costs(ctx.actor):
        return None
    cur = settings.REPORTING_CURRENCY
    budget = _month_budget(ctx)
    figures, fresh = _cost_figures(ctx, budget)
    if fresh is not None:  # just computed: its live counts are current
        tools, open_anomalies, alerts = fresh.tools_monthly, fresh.open_anomalies, fresh.alerts_this_month
        tools_unconverted = fresh.tools_unconverted
    else:
        tool_spend = costs.subscription_monthly_spend(actor=ctx.actor, today=ctx.today)
        tools, tools_unconverted = tool_spend.amount, tool_spend.unconverted
        open_anomalies = costs.anomaly_list(actor=ctx.actor, open_only=True).count()
        alerts = costs.budget_alert_list(actor=ctx.actor, since=ctx.today.replace(day=1)).count()
    budget_data = None
    if budget is not None:
        spent, forecast, percent, forecast_percent, forecast_over, status_currency, fx_note = figures["budget"]
        budget_data = {
            "name": budget.name, "amount": money(budget.amount, budget.currency),
            "spent": money(spent, status_currency), "forecast": money(forecast, status_currency),
            "percent": percent, "forecast_percent": forecast_percent,
            "forecast_over": forecast_over, "url": reverse("costs:budget-detail", args=[budget.pk]),
            "fx_note": fx_note,  # why spent is None: no FX rate for the budget's currency
        }
    return Panel("spend", "Cloud and tool spend", {
        "currency": cur,
        "month_to_date": money(figures["month_to_date"], cur),
        "month_forecast": money(figures["forecast"], cur),
        "previous_month_same_days": money(figures["previous"], cur),
        "tools_monthly": money(tools, cur),
        # Subscriptions in a currency with no FX rate: named beside the total, never added in.
        "tools_unconverted": [money(amount, currency) for currency, amount in sorted(tools_unconverted.items())],
        "total_forecast": money(figures["forecast"] + tools, cur),
        "budget": budget_data,
        "open_anomalies": open_anomalies,
        "alerts_this_month": alerts,
        "chart": figures["chart"],
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
