"""Every read of costs, already scoped to the asking actor.

Who sees what (the costs part of the access policy; tests/costs/access.py mirrors it):
- CTO and finance: every cost, budget, anomaly, subscription and opportunity, including the
  "unallocated" costs no team owns. They alone change budgets, subscriptions, opportunities,
  FX rates and tag rules, and start imports and syncs.
- EMs: the costs of their teams only (the team they belong to and the teams of everyone in
  their reporting chain); never unallocated costs. They triage their teams' anomalies.
- Everyone else (TL, PM, engineer, HR, plain service tokens): no cost pages or endpoints (403).
  A service account created with the finance or CTO role reads like that role.
Objects outside the actor's scope answer 404.
"""
from __future__ import annotations

import calendar
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from apps.core.access import Actor, get_visible_or_404
from apps.core.roles import Role
from apps.costs.models import (
    AwsAccount,
    Budget,
    BudgetAlert,
    CostAnomaly,
    CostEntry,
    CostMonthEntry,
    CostTagEntry,
    FxRate,
    SavingsOpportunity,
    TagRule,
    ToolSubscription,
    TopResource,
)
from apps.org.models import Person, Team

COST_VIEW_ROLES = (Role.CTO, Role.FINANCE, Role.EM)
COST_ADMIN_ROLES = (Role.CTO, Role.FINANCE)
GROUP_BY = ("service", "account", "team", "provider", "region")
GRANULARITIES = ("daily", "monthly")
UNALLOCATED = "Unallocated"
CENT = Decimal("0.01")


def can_view_costs(actor: Actor) -> bool:
    return actor.is_authenticated and actor.role in COST_VIEW_ROLES


def can_admin_costs(actor: Actor) -> bool:
    return actor.is_authenticated and actor.role in COST_ADMIN_ROLES


def visible_team_ids(actor: Actor) -> frozenset[int] | None:
    """None: every team and unallocated costs. Otherwise the only teams whose costs the actor sees."""
    if can_admin_costs(actor):
        return None
    if not can_view_costs(actor) or actor.person is None:
        return frozenset()
    cached = getattr(actor, "_cost_team_ids", None)
    if cached is None:
        ids = set(Person.objects.filter(pk__in=actor.report_ids, team__isnull=False).values_list("team_id", flat=True))
        if actor.person.team_id:
            ids.add(actor.person.team_id)
        cached = frozenset(ids)
        actor._cost_team_ids = cached
    return cached


def _scope(qs: QuerySet, actor: Actor, team_field: str = "team") -> QuerySet:
    team_ids = visible_team_ids(actor)
    if team_ids is None:
        return qs
    return qs.filter(**{f"{team_field}__in": team_ids})


def team_choices(*, actor: Actor) -> QuerySet[Team]:
    return _scope(Team.objects.filter(is_active=True), actor, "pk").order_by("name")


# -- Currency -------------------------------------------------------------------------------------
class FxTable:
    """Rates to the reporting currency, loaded once (one query) per request or job."""

    def __init__(self) -> None:
        self.reporting = settings.REPORTING_CURRENCY
        self._loaded: dict[str, tuple[list[date], list[Decimal]]] | None = None

    @property
    def _rates(self) -> dict[str, tuple[list[date], list[Decimal]]]:
        """Read on first use, so building a table costs nothing until a rate is needed (and
        the API schema can be generated without a database)."""
        if self._loaded is None:
            rows: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
            for currency, valid_from, rate in FxRate.objects.order_by("currency", "valid_from").values_list(
                "currency", "valid_from", "rate"
            ):
                rows[currency].append((valid_from, rate))
            self._loaded = {c: ([d for d, _ in pairs], [r for _, r in pairs]) for c, pairs in rows.items()}
        return self._loaded

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == self.reporting:
            return Decimal(1)
        entry = self._rates.get(currency)
        if not entry:
            return None
        i = bisect_right(entry[0], day)
        # Before the first known rate: use the earliest one rather than dropping the cost.
        return entry[1][max(i - 1, 0)]

    def has_rate(self, currency: str) -> bool:
        return currency == self.reporting or currency in self._rates

    def to_reporting(self, amount: Decimal, currency: str, day: date) -> Decimal | None:
        rate = self.rate(currency, day)
        return None if rate is None else amount * rate

    def from_reporting(self, amount: Decimal, currency: str, day: date) -> Decimal | None:
        rate = self.rate(currency, day)
        return None if rate is None else amount / rate


@dataclass
class MoneyTotal:
    """A sum of amounts in several currencies: ``amount`` is everything the FX table converts to
    ``currency`` (the reporting currency); what it cannot convert stays per currency in
    ``unconverted`` — shown apart, never added in as if it were the reporting currency, never
    dropped."""

    currency: str
    amount: Decimal
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.unconverted


def money_total(items: Iterable[tuple[Decimal, str]], *, day: date, fx: FxTable | None = None) -> MoneyTotal:
    """Add (amount, currency) pairs through the FX table (rates of ``day``), to the cent."""
    fx = fx or FxTable()
    total = Decimal("0")
    unconverted: dict[str, Decimal] = {}
    for amount, currency in items:
        converted = fx.to_reporting(amount, currency, day)
        if converted is None:
            unconverted[currency] = unconverted.get(currency, Decimal("0")) + amount
        else:
            total += converted
    return MoneyTotal(currency=fx.reporting, amount=total.quantize(CENT),
                      unconverted={c: unconverted[c].quantize(CENT) for c in sorted(unconverted)})


def round_to_total(values: dict[Hashable, Decimal], total: Decimal | None = None) -> dict[Hashable, Decimal]:
    """Cents that add up: each value rounded down or up to the cent (so never a cent or more from
    its exact value) such that together they make ``total`` (default: their exact sum, rounded
    once). The values with the largest remainders get the spare cents — "largest remainder"
    rounding, the way a finance report makes its lines add up to its total."""
    if total is None:
        total = sum(values.values(), Decimal("0")).quantize(CENT)
    floors = {k: v.quantize(CENT, rounding=ROUND_FLOOR) for k, v in values.items()}
    spare = int((total - sum(floors.values(), Decimal("0"))) / CENT)
    spare = max(0, min(spare, len(floors)))
    # Stable sort: equal remainders keep the given order, so the result is deterministic.
    for key in sorted(values, key=lambda k: values[k] - floors[k], reverse=True)[:spare]:
        floors[key] += CENT
    return floors


# -- Cost entries and aggregates -----------------------------------------------------------------
def cost_entry_list(
    *, actor: Actor, start: date | None = None, end: date | None = None, team: str | None = None,
    service: str | None = None, account: str | None = None, provider: str | None = None,
) -> QuerySet[CostEntry]:
    if not can_view_costs(actor):
        return CostEntry.objects.none()
    qs = _scope(CostEntry.objects.select_related("team", "account"), actor)
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    return _filter_facts(qs, team=team, service=service, account=account, provider=provider).order_by(
        "-date", "provider", "service", "pk")


def _filter_facts(qs: QuerySet, *, team: str | None, service: str | None, account: str | None,
                  provider: str | None) -> QuerySet:
    """The explorer's filters, for daily facts and the monthly roll-up alike."""
    if team == "unallocated":
        qs = qs.filter(team__isnull=True)
    elif team:
        qs = qs.filter(team__slug=team)
    if service:
        qs = qs.filter(service=service)
    if account:
        qs = qs.filter(Q(sub_account_id=account) | Q(billing_account_id=account))
    if provider:
        qs = qs.filter(provider=provider)
    return qs


ROLLUP_MIN_DAYS = 62  # shorter ranges read the daily facts (at most two months of them)


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def rollup_months(start: date, end: date, *, has_later_facts=None) -> tuple[date, date] | None:
    """The whole months inside [start, end] that a monthly aggregate reads from the roll-up:
    (first day, last day), or None when the range is short or holds no whole month. The month
    of ``end`` counts as whole when no fact is dated after ``end`` in it (``has_later_facts(end,
    month_end)`` answers that; the usual "up to today")."""
    if (end - start).days + 1 < ROLLUP_MIN_DAYS:
        return None
    first = start if start.day == 1 else _month_after(start)
    last_end = _month_after(end) - timedelta(days=1)
    if last_end != end and (has_later_facts is None or has_later_facts(end + timedelta(days=1), last_end)):
        last_end = end.replace(day=1) - timedelta(days=1)
    if last_end < first:
        return None
    return first, last_end


GROUP_FIELDS = {
    "service": ("service",),
    "account": ("sub_account_id", "sub_account_name"),
    "team": ("team__slug", "team__name"),
    "provider": ("provider",),
    "region": ("region",),
}


@dataclass
class Aggregate:
    """Costs in the reporting currency per period and group (plus a total per group).

    Every figure is in cents. ``total`` and each group's total are their exact sums rounded once;
    the period x group values (chart, API, CSV export) are rounded so that together they make
    ``total`` exactly (see :func:`round_to_total`), so an export adds up to the page's total.
    ``groups_sum`` (the rows as shown) can differ from ``total`` by rounding. Costs in a currency
    with no FX rate are not in ``total``: they are kept in their own currency in
    ``unconverted_groups`` / ``unconverted_totals``."""

    currency: str
    group_by: str
    granularity: str
    start: date
    end: date
    periods: list[date] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)  # {"key", "label", "values": {period: Decimal}, "total"}
    total: Decimal = Decimal("0")
    amortized_total: Decimal = Decimal("0")
    unconverted: list[str] = field(default_factory=list)  # currencies without an FX rate (left out of total)
    unconverted_totals: dict[str, Decimal] = field(default_factory=dict)  # currency -> its own total
    unconverted_groups: list[dict] = field(default_factory=list)  # as groups, plus "currency"

    @property
    def groups_sum(self) -> Decimal:
        """The group totals as shown, added up (each was rounded on its own)."""
        return sum((g["total"] for g in self.groups), Decimal("0"))

    def as_rows(self) -> list[dict]:
        """Period x group rows: the converted costs in the reporting currency, then the costs
        with no FX rate in their own currency (never silently left out)."""
        rows = [
            {"period": p, "key": g["key"], "label": g["label"], "cost": g["values"][p], "currency": self.currency}
            for g in self.groups for p in self.periods if p in g["values"]
        ]
        rows.extend(
            {"period": p, "key": g["key"], "label": g["label"], "cost": v, "currency": g["currency"]}
            for g in self.unconverted_groups for p, v in sorted(g["values"].items())
        )
        return rows


def _label(group_by: str, row: dict) -> tuple[str, str]:
    if group_by == "team":
        slug = row.get("team__slug")
        return (slug or "unallocated", row.get("team__name") or UNALLOCATED)
    if group_by == "account":
        key = row.get("sub_account_id") or ""
        name = row.get("sub_account_name") or ""
        return key, f"{name} ({key})" if name else (key or "—")
    value = row.get(GROUP_FIELDS[group_by][0]) or ""
    return value, value or "—"


def cost_aggregate(
    *, actor: Actor, start: date, end: date, group_by: str = "service", granularity: str = "daily",
    team: str | None = None, service: str | None = None, account: str | None = None, provider: str | None = None,
    top: int | None = None, fx: FxTable | None = None,
) -> Aggregate:
    """One grouped query (period x group x currency), converted to the reporting currency in
    Python with the FX table; costs with no known rate are left out of the total, named in
    ``unconverted`` and kept in their own currency (``unconverted_totals``, ``unconverted_groups``)."""
    if group_by not in GROUP_FIELDS:
        raise ValueError(group_by)
    fx = fx or FxTable()
    filters = {"team": team, "service": service, "account": account, "provider": provider}
    months = None
    if granularity == "monthly":
        months = rollup_months(start, end, has_later_facts=lambda a, b: CostEntry.objects.filter(
            date__gte=a, date__lte=b).exists())
    if months is None:
        rows = _grouped(cost_entry_list(actor=actor, start=start, end=end, **filters).order_by(), group_by,
                        granularity)
    else:
        # Whole months from the monthly roll-up, the partial edges from the daily facts: either
        # the edge's own days, or (when fewer) its month from the roll-up minus the other days.
        first, last_end = months
        rows = []
        plus: list[tuple[date, date]] = []
        minus: list[tuple[date, date]] = []
        if start < first:
            month_start = start.replace(day=1)
            if (start - month_start).days < (first - start).days:
                first, minus = month_start, [*minus, (month_start, start - timedelta(days=1))]
            else:
                plus.append((start, first - timedelta(days=1)))
        if end > last_end:
            month_end = _month_after(end) - timedelta(days=1)
            if (month_end - end).days < (end - last_end).days:
                last_end, minus = month_end, [*minus, (end + timedelta(days=1), month_end)]
            else:
                plus.append((last_end + timedelta(days=1), end))
        if can_view_costs(actor):
            rollup = _filter_facts(_scope(CostMonthEntry.objects.filter(month__gte=first, month__lte=last_end),
                                          actor), **filters).order_by().annotate(period=F("month"))
            rows.extend(rollup.values("period", "currency", *GROUP_FIELDS[group_by]).annotate(
                cost=Sum("cost"), amortized=Sum("amortized_cost")))
        for edge_start, edge_end in plus:
            rows.extend(_grouped(cost_entry_list(actor=actor, start=edge_start, end=edge_end, **filters).order_by(),
                                 group_by, granularity))
        for edge_start, edge_end in minus:
            rows.extend({**row, "cost": -(row["cost"] or 0), "amortized": -(row["amortized"] or 0)}
                        for row in _grouped(cost_entry_list(actor=actor, start=edge_start, end=edge_end, **filters)
                                            .order_by(), group_by, granularity))
    result = Aggregate(currency=fx.reporting, group_by=group_by, granularity=granularity, start=start, end=end)
    groups: dict[str, dict] = {}
    periods: set[date] = set()
    unconverted: dict[tuple[str, str], dict] = {}
    for row in rows:
        period = row["period"]
        if hasattr(period, "date"):
            period = period.date()
        cost = fx.to_reporting(row["cost"] or Decimal("0"), row["currency"], period)
        amortized = fx.to_reporting(row["amortized"] or Decimal("0"), row["currency"], period)
        key, label = _label(group_by, row)
        if cost is None:  # kept in its own currency, apart from the total
            group = unconverted.setdefault((row["currency"], key), {
                "currency": row["currency"], "key": key, "label": label, "values": {}, "total": Decimal("0")})
            cost = row["cost"] or Decimal("0")
        else:
            group = groups.setdefault(key, {"key": key, "label": label, "values": {}, "total": Decimal("0")})
            result.total += cost
            result.amortized_total += amortized
        group["values"][period] = group["values"].get(period, Decimal("0")) + cost
        group["total"] += cost
    # A month (or day) that nets to exactly zero for a group is not shown (whichever way it was read).
    for table in (groups, unconverted):
        for key in list(table):
            table[key]["values"] = {p: v for p, v in table[key]["values"].items()
                                    if v != 0 or granularity != "monthly"}
            if not table[key]["values"]:
                del table[key]
    for group in groups.values():
        periods.update(group["values"])
    ordered = sorted(groups.values(), key=lambda g: (-g["total"], g["label"]))
    if top and len(ordered) > top:
        rest = ordered[top:]
        other = {"key": "other", "label": f"Other ({len(rest)})", "values": {}, "total": Decimal("0")}
        for g in rest:
            for p, v in g["values"].items():
                other["values"][p] = other["values"].get(p, Decimal("0")) + v
            other["total"] += g["total"]
        ordered = ordered[:top] + [other]
    result.total = result.total.quantize(CENT)
    result.amortized_total = result.amortized_total.quantize(CENT)
    _round_groups(ordered, result.total)
    result.groups = ordered
    result.periods = sorted(periods)
    by_currency: dict[str, list[dict]] = defaultdict(list)
    for (currency, _), group in sorted(unconverted.items(), key=lambda item: (item[0][0], -item[1]["total"],
                                                                                 item[1]["label"])):
        by_currency[currency].append(group)
    for currency, currency_groups in by_currency.items():
        exact = sum((g["total"] for g in currency_groups), Decimal("0"))
        result.unconverted_totals[currency] = exact.quantize(CENT)
        _round_groups(currency_groups, result.unconverted_totals[currency])
        result.unconverted_groups.extend(currency_groups)
    result.unconverted = sorted(by_currency)
    return result


def _round_groups(groups: list[dict], total: Decimal) -> None:
    """In place, to the cent: each group's total is its exact total rounded (what that group
    cost), and the period x group values — the cells the chart, the API and the CSV export
    give — are rounded together so that they add up to ``total``, the exact total rounded once
    (each stays within a cent of its exact value). The groups' rounded totals can differ from
    ``total`` by a few cents; the cells never do."""
    cells = {(i, p): v for i, g in enumerate(groups) for p, v in g["values"].items()}
    rounded = round_to_total(cells, total)
    for i, g in enumerate(groups):
        g["total"] = g["total"].quantize(CENT)
        g["values"] = {p: rounded[(i, p)] for p in g["values"]}


def _grouped(qs: QuerySet, group_by: str, granularity: str):
    qs = qs.annotate(period=TruncMonth("date") if granularity == "monthly" else F("date"))
    return qs.values("period", "currency", *GROUP_FIELDS[group_by]).annotate(
        cost=Sum("cost"), amortized=Sum("amortized_cost"))


def cost_filter_options(*, actor: Actor, start: date | None = None, end: date | None = None) -> dict:
    """Values for the explorer's filter drop-downs: the services and providers of the months the
    range touches (read from the monthly roll-up: a few thousand rows, not a range of daily facts)."""
    qs = CostMonthEntry.objects.none()
    if can_view_costs(actor):
        qs = _scope(CostMonthEntry.objects.all(), actor).order_by()
        if start:
            qs = qs.filter(month__gte=start.replace(day=1))
        if end:
            qs = qs.filter(month__lte=end)
    return {
        "services": list(qs.values_list("service", flat=True).distinct().order_by("service")[:500]),
        "providers": list(qs.values_list("provider", flat=True).distinct().order_by("provider")),
        "teams": list(team_choices(actor=actor)),
    }


def daily_totals(*, start: date, end: date, dimension: str, fx: FxTable | None = None) -> dict[str, dict[date, Decimal]]:
    """Unscoped (jobs only): reporting-currency totals per key ("service" name or team slug) per day."""
    fx = fx or FxTable()
    field_name = "service" if dimension == "service" else "team__slug"
    rows = (
        CostEntry.objects.filter(date__gte=start, date__lte=end).order_by()
        .values("date", "currency", field_name).annotate(cost=Sum("cost"))
    )
    out: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for row in rows:
        key = row[field_name]
        if key is None:
            continue
        value = fx.to_reporting(row["cost"] or Decimal("0"), row["currency"], row["date"])
        if value is None:
            continue
        out[key][row["date"]] = out[key].get(row["date"], Decimal("0")) + value
    return out


# -- Budgets -------------------------------------------------------------------------------------------
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


# -- Anomalies, subscriptions, opportunities ---------------------------------------------------------
def anomaly_list(*, actor: Actor, status: str | None = None, open_only: bool = False) -> QuerySet[CostAnomaly]:
    if not can_view_costs(actor):
        return CostAnomaly.objects.none()
    qs = _scope(CostAnomaly.objects.select_related("team", "owner", "triaged_by"), actor)
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.filter(status__in=CostAnomaly.OPEN_STATUSES)
    return qs.order_by("-date", "-impact", "pk")


def anomaly_get(*, actor: Actor, pk: int) -> CostAnomaly:
    return get_visible_or_404(anomaly_list(actor=actor), pk=pk)


def open_anomalies_for_agenda(*, actor: Actor, since: date) -> QuerySet[CostAnomaly]:
    """What the Tech Sync agenda may offer: open anomalies since a day, biggest first."""
    return anomaly_list(actor=actor, open_only=True).filter(date__gte=since).order_by("-impact")


def subscription_list(*, actor: Actor, include_inactive: bool = False) -> QuerySet[ToolSubscription]:
    if not can_view_costs(actor):
        return ToolSubscription.objects.none()
    qs = _scope(ToolSubscription.objects.select_related("owner_team", "owner"), actor, "owner_team")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("vendor", "product", "pk")


def subscription_get(*, actor: Actor, pk: int) -> ToolSubscription:
    return get_visible_or_404(subscription_list(actor=actor, include_inactive=True), pk=pk)


def subscription_monthly_spend(*, actor: Actor, today: date, fx: FxTable | None = None) -> MoneyTotal:
    """Tool spend per month: in the reporting currency at today's rates, plus (in their own
    currency, in ``unconverted``) the subscriptions in a currency with no FX rate."""
    return money_total(((sub.monthly_cost, sub.currency) for sub in subscription_list(actor=actor)), day=today,
                       fx=fx)


def opportunity_list(*, actor: Actor, status: str | None = None) -> QuerySet[SavingsOpportunity]:
    if not can_view_costs(actor):
        return SavingsOpportunity.objects.none()
    qs = _scope(SavingsOpportunity.objects.select_related("team", "account"), actor)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-estimated_monthly", "title", "pk")


@dataclass
class OpportunityTotals:
    estimated: MoneyTotal  # open, in progress and done (not dismissed)
    realised: MoneyTotal  # done


def opportunity_totals(opportunities: Iterable[SavingsOpportunity], *, today: date,
                       fx: FxTable | None = None) -> OpportunityTotals:
    """The savings page's per-month totals, through the FX table (never dollars plus euros)."""
    fx = fx or FxTable()
    opportunities = list(opportunities)
    return OpportunityTotals(
        estimated=money_total(((o.estimated_monthly, o.currency) for o in opportunities
                               if o.status != SavingsOpportunity.Status.DISMISSED), day=today, fx=fx),
        realised=money_total(((o.realised_monthly or Decimal("0"), o.currency) for o in opportunities
                              if o.status == SavingsOpportunity.Status.DONE), day=today, fx=fx),
    )


def opportunity_get(*, actor: Actor, pk: int) -> SavingsOpportunity:
    return get_visible_or_404(opportunity_list(actor=actor), pk=pk)


def tag_rule_list(*, actor: Actor) -> QuerySet[TagRule]:
    """Attribution rules: finance and the CTO only (they change them)."""
    if not can_admin_costs(actor):
        return TagRule.objects.none()
    return TagRule.objects.select_related("team").order_by("tag_key", "tag_value", "pk")


def tag_rule_get(*, actor: Actor, pk: int) -> TagRule:
    return get_visible_or_404(tag_rule_list(actor=actor), pk=pk)


def fx_rate_list(*, actor: Actor) -> QuerySet[FxRate]:
    if not can_admin_costs(actor):
        return FxRate.objects.none()
    return FxRate.objects.order_by("currency", "-valid_from", "pk")


def fx_rate_get(*, actor: Actor, pk: int) -> FxRate:
    return get_visible_or_404(fx_rate_list(actor=actor), pk=pk)


def account_list(*, actor: Actor) -> QuerySet[AwsAccount]:
    if not can_view_costs(actor):
        return AwsAccount.objects.none()
    qs = AwsAccount.objects.select_related("default_team")
    if visible_team_ids(actor) is not None:
        qs = qs.filter(default_team__in=visible_team_ids(actor))
    return qs.order_by("name")


def resource_costs(*, actor: Actor, resource_ids: list[str], months: int = 6) -> list[TopResource]:
    """A resource's monthly cost, newest first (from the top-resources table: the month's most
    expensive resources), for the infra resource page. Empty for roles that do not see costs."""
    if not can_view_costs(actor) or not resource_ids:
        return []
    qs = _scope(TopResource.objects.filter(resource_id__in=resource_ids), actor)
    return list(qs.order_by("-month")[:months])


def top_resource_list(*, actor: Actor, month: date | None = None, limit: int = 10) -> QuerySet[TopResource]:
    """The most expensive resources of ``month`` (default: the latest imported month)."""
    if not can_view_costs(actor):
        return TopResource.objects.none()
    qs = _scope(TopResource.objects.select_related("team"), actor)
    if month is None:
        month = qs.order_by("-month").values_list("month", flat=True).first()
        if month is None:
            return qs.none()
    return qs.filter(month=month.replace(day=1)).order_by("-cost", "resource_id")[:limit]


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


# -- Cost by tag ---------------------------------------------------------------------------------------
def parse_cost_tag(tag: str | None) -> tuple[str, str] | None:
    """``"initiative=invoice-ocr"`` -> ("initiative", "invoice-ocr"); a bare value is read under
    ``settings.COST_TAG_DEFAULT_KEY``. Keys and values compare lower-cased (as they are stored);
    AWS's ``user:`` key prefix is dropped. None for an empty tag."""
    tag = (tag or "").strip()
    if not tag:
        return None
    key, sep, value = tag.partition("=")
    if not sep:
        key, value = settings.COST_TAG_DEFAULT_KEY, tag
    key = key.strip().lower()
    key = key[5:] if key.startswith("user:") else key
    value = value.strip().lower()
    if not key or not value:
        return None
    return key[:128], value[:256]


def cost_by_tag(*, tag: str, start: date, end: date) -> list[tuple[str, Decimal]] | None:
    """What resources tagged ``tag`` (``key=value`` or a bare value) cost from ``start`` to ``end``
    (inclusive): billed cost per currency, from the cost tag dimension (file imports and the Cost
    Explorer pull). None when no cost fact carries the tag in that range — "no cost data", never
    an invented zero. Not scoped to a user: callers show it where the tag's owner is visible."""
    parsed = parse_cost_tag(tag)
    if parsed is None:
        return None
    key, value = parsed
    rows = (
        CostTagEntry.objects.filter(tag_key=key, tag_value=value, date__gte=start, date__lte=end).order_by()
        .values("currency").annotate(total=Sum("cost")).order_by("currency")
    )
    out = [(row["currency"], row["total"]) for row in rows]
    return out or None
