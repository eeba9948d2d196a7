"""Cost facts and their aggregates: the cost explorer's entries, its grouped totals per period
(read from the monthly roll-up for long ranges), its filter options, and the daily totals the
anomaly job reads."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from apps.core.access import Actor
from apps.costs.models import CostEntry, CostMonthEntry
from apps.costs.selectors.currency import CENT, FxTable, round_to_total
from apps.costs.selectors.scope import _scope, can_view_costs, team_choices

GROUP_BY = ("service", "account", "team", "provider", "region")
GRANULARITIES = ("daily", "monthly")
UNALLOCATED = "Unallocated"


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
