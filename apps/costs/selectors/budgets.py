"""Budgets: their periods, the spend and forecast of each against its amount, and their alerts."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from apps.core.access import Actor, get_visible_or_404
from apps.costs.models import Budget, BudgetAlert, CostEntry
from apps.costs.selectors.currency import CENT, FxTable
from apps.costs.selectors.scope import can_view_costs, visible_team_ids


def period_bounds(day: date, period: str) -> tuple[date, date]:
    """First and last day of the month or quarter containing ``day``."""
    if period == Budget.Period.QUARTERLY:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        last_month = first_month + 2
    else:
        start = day.replace(day=1)
        last_month = day.month
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return start, end


@dataclass
class BudgetStatus:
    """A budget's period so far, in the budget's own currency. ``spent`` and ``forecast`` are
    None when the spend cannot be expressed in that currency (no FX rate for it): an amount is
    never labelled with a currency it is not in. Spend in a currency with no FX rate is left out
    and named in ``unconverted``."""

    budget: Budget
    period_start: date
    period_end: date
    spent: Decimal | None
    forecast: Decimal | None
    currency: str
    forecast_source: str = "run-rate"  # or "Cost Explorer"; "" when there is no forecast
    unconverted: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        if self.spent is None:
            return None
        return int(self.spent * 100 / self.budget.amount) if self.budget.amount else 0

    @property
    def forecast_percent(self) -> int | None:
        if self.forecast is None:
            return None
        return int(self.forecast * 100 / self.budget.amount) if self.budget.amount else 0

    @property
    def forecast_over(self) -> bool:
        return self.forecast is not None and self.forecast > self.budget.amount

    @property
    def fx_note(self) -> str:
        """What the figures cannot show, in a sentence (empty when they show everything)."""
        if self.spent is None:
            return (f"No FX rate for {self.currency}: the spend cannot be shown in {self.currency}. "
                    f"Add a {self.currency} rate in the cost settings (Tag rules & FX).")
        if self.unconverted:
            return (f"No FX rate for {', '.join(self.unconverted)}: those costs are left out of the spend "
                    f"and the forecast.")
        return ""


def budget_list(*, actor: Actor, include_inactive: bool = False) -> QuerySet[Budget]:
    if not can_view_costs(actor):
        return Budget.objects.none()
    qs = Budget.objects.select_related("team", "account")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if visible_team_ids(actor) is not None:
        qs = qs.filter(scope=Budget.Scope.TEAM, team__in=visible_team_ids(actor))
    return qs.order_by("name", "pk")


def budget_get(*, actor: Actor, pk: int) -> Budget:
    return get_visible_or_404(budget_list(actor=actor, include_inactive=True), pk=pk)


def _budget_entries(budget: Budget) -> QuerySet[CostEntry]:
    qs = CostEntry.objects.all()
    if budget.scope == Budget.Scope.TEAM:
        qs = qs.filter(team_id=budget.team_id)
    elif budget.scope == Budget.Scope.ACCOUNT:
        qs = qs.filter(Q(account_id=budget.account_id) | Q(sub_account_id=budget.account.account_id))
    elif budget.scope == Budget.Scope.SERVICE:
        qs = qs.filter(service=budget.service)
    return qs


FORECAST_FRESH_DAYS = 2  # a Cost Explorer forecast older than this falls back to the run-rate


def _scope_spend(budgets: list[Budget], start: date, end: date, today: date) -> dict[int, list[tuple]]:
    """Per budget: (month, currency, cost, cost dated ``today``) rows of its scope in [start, end]
    — one grouped query per kind of scope present, whatever the number of budgets."""
    base = CostEntry.objects.filter(date__gte=start, date__lte=end).order_by().annotate(month=TruncMonth("date"))
    sums = {"spent_": Sum("cost"), "today_": Sum("cost", filter=Q(date=today))}
    out: dict[int, list[tuple]] = {b.pk: [] for b in budgets}
    kinds = {b.scope for b in budgets}
    if Budget.Scope.TOTAL in kinds:
        rows = list(base.values("month", "currency").annotate(**sums))
        for b in budgets:
            if b.scope == Budget.Scope.TOTAL:
                out[b.pk] = [(r["month"], r["currency"], r["spent_"], r["today_"]) for r in rows]
    if Budget.Scope.TEAM in kinds:
        team_ids = {b.team_id for b in budgets if b.scope == Budget.Scope.TEAM}
        rows = list(base.filter(team_id__in=team_ids).values("team_id", "month", "currency").annotate(**sums))
        for b in budgets:
            if b.scope == Budget.Scope.TEAM:
                out[b.pk] = [(r["month"], r["currency"], r["spent_"], r["today_"]) for r in rows
                             if r["team_id"] == b.team_id]
    if Budget.Scope.ACCOUNT in kinds:
        accounts = [b.account for b in budgets if b.scope == Budget.Scope.ACCOUNT]
        rows = list(base.filter(Q(account_id__in=[a.pk for a in accounts])
                                | Q(sub_account_id__in=[a.account_id for a in accounts]))
                    .values("account_id", "sub_account_id", "month", "currency").annotate(**sums))
        for b in budgets:
            if b.scope == Budget.Scope.ACCOUNT:
                out[b.pk] = [(r["month"], r["currency"], r["spent_"], r["today_"]) for r in rows
                             if r["account_id"] == b.account_id or r["sub_account_id"] == b.account.account_id]
    if Budget.Scope.SERVICE in kinds:
        names = {b.service for b in budgets if b.scope == Budget.Scope.SERVICE}
        rows = list(base.filter(service__in=names).values("service", "month", "currency").annotate(**sums))
        for b in budgets:
            if b.scope == Budget.Scope.SERVICE:
                out[b.pk] = [(r["month"], r["currency"], r["spent_"], r["today_"]) for r in rows
                             if r["service"] == b.service]
    return out


def budget_statuses_for(budgets: list[Budget], *, today: date, fx: FxTable | None = None) -> list[BudgetStatus]:
    """Spent so far in the period containing ``today`` and the period-end forecast, for many
    budgets with a fixed number of queries. The forecast is Cost Explorer's (spend before
    today + its forecast from today to the period end) when the daily job read a fresh one,
    else the run-rate of the days elapsed (today's costs are partial: they count as spent, but
    the rate is taken over whole days before today)."""
    from apps.costs.models import CostForecast

    budgets = list(budgets)
    if not budgets:
        return []
    fx = fx or FxTable()
    bounds = {b.pk: period_bounds(today, b.period) for b in budgets}
    spend = _scope_spend(budgets, min(s for s, _ in bounds.values()), max(e for _, e in bounds.values()), today)
    forecasts = {(f.budget_id, f.period_start): f for f in CostForecast.objects.filter(
        budget__in=budgets, as_of__gte=today - timedelta(days=FORECAST_FRESH_DAYS - 1), as_of__lte=today)}
    out = []
    for budget in budgets:
        start, end = bounds[budget.pk]
        # Costs in the budget's own currency add up as they are; the others go through the
        # reporting currency (and need a rate for the budget's currency to come back).
        own = own_today = foreign = foreign_today = Decimal("0")
        needs_rate = False
        unconverted: set[str] = set()
        for month, currency, cost, today_cost in spend[budget.pk]:
            month = month.date() if hasattr(month, "date") else month
            if not (start <= month <= end):
                continue
            if currency == budget.currency:
                own += cost or Decimal("0")
                own_today += today_cost or Decimal("0")
                continue
            converted = fx.to_reporting(cost or Decimal("0"), currency, start)
            if converted is None:
                unconverted.add(currency)
                continue
            needs_rate = True
            foreign += converted
            foreign_today += fx.to_reporting(today_cost or Decimal("0"), currency, start)
        ce = forecasts.get((budget.pk, start)) if today <= end else None
        rate = fx.rate(budget.currency, start)
        if rate is None and needs_rate:
            out.append(BudgetStatus(budget=budget, period_start=start, period_end=end, spent=None, forecast=None,
                                    currency=budget.currency, forecast_source="", unconverted=sorted(unconverted)))
            continue
        spent = own + (foreign / rate if needs_rate else Decimal("0"))
        spent_today = own_today + (foreign_today / rate if needs_rate else Decimal("0"))
        days_total = (end - start).days + 1
        elapsed = min(max((today - start).days, 1), days_total)
        forecast = spent if today > end else spent * days_total / elapsed
        source = "run-rate"
        remaining = None
        if ce is not None:
            if ce.currency == budget.currency:
                remaining = ce.amount
            elif rate is not None and (in_reporting := fx.to_reporting(ce.amount, ce.currency, start)) is not None:
                remaining = in_reporting / rate
        if remaining is not None:
            forecast, source = max(spent - spent_today + remaining, spent), "Cost Explorer"
        out.append(BudgetStatus(budget=budget, period_start=start, period_end=end, spent=spent.quantize(CENT),
                                forecast=forecast.quantize(CENT), currency=budget.currency, forecast_source=source,
                                unconverted=sorted(unconverted)))
    return out


def budget_status(*, budget: Budget, today: date, fx: FxTable | None = None) -> BudgetStatus:
    return budget_statuses_for([budget], today=today, fx=fx)[0]


def budget_statuses(*, actor: Actor, today: date) -> list[BudgetStatus]:
    return budget_statuses_for(budget_list(actor=actor), today=today)


def budget_alert_list(*, actor: Actor, since: date | None = None) -> QuerySet[BudgetAlert]:
    """Alerts for the dashboard (scoped like budgets)."""
    qs = BudgetAlert.objects.select_related("budget", "budget__team").filter(
        budget__in=budget_list(actor=actor, include_inactive=True)
    )
    if since:
        qs = qs.filter(period_start__gte=since)
    return qs
