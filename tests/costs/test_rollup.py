"""The monthly roll-up: kept in step by imports and Cost Explorer syncs, and read by monthly
aggregates over long ranges with the same answer as the daily facts."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from apps.core.access import get_actor
from apps.costs import selectors
from apps.costs.models import CostEntry, CostMonthEntry
from tests.costs.helpers import focus_csv, import_path

pytestmark = pytest.mark.django_db


def _by_month(model, field: str) -> dict:
    qs = model.objects.order_by()
    qs = qs.annotate(m=TruncMonth("date")) if field == "date" else qs.annotate(m=TruncMonth("month"))
    return {(r["m"], r["service"], r["team_id"]): r["s"]
            for r in qs.values("m", "service", "team_id").annotate(s=Sum("cost")) if r["s"]}


def _months_file(tmp_path, start: date, days: int, name: str = "m.csv", factor: str = "1"):
    rows = []
    for i in range(days):
        day = start + timedelta(days=i)
        for service, amount in (("Amazon EC2", "10.10"), ("Amazon S3", "0.35")):
            rows.append({"BilledCost": str(Decimal(amount) * Decimal(factor) + i), "ServiceName": service,
                         "ChargePeriodStart": f"{day.isoformat()} 00:00:00",
                         "BillingPeriodStart": day.replace(day=1).isoformat(),
                         "Tags": '{"team": "alpha"}' if i % 3 else "NULL"})
    path = tmp_path / name
    path.write_text(focus_csv(rows))
    return path


def test_imports_keep_the_rollup_equal_to_the_daily_facts(world, tmp_path):
    today = date.today()
    start = (today.replace(day=1) - timedelta(days=120)).replace(day=1)
    import_path(_months_file(tmp_path, start, 130))
    assert _by_month(CostMonthEntry, "month") == _by_month(CostEntry, "date")
    # A re-export of the same periods with other figures replaces them in both tables.
    import_path(_months_file(tmp_path, start, 130, name="again.csv", factor="3"))
    assert _by_month(CostMonthEntry, "month") == _by_month(CostEntry, "date")
    cent = Decimal("0.01")  # SQLite sums decimals as floats
    assert CostMonthEntry.objects.aggregate(s=Sum("cost"))["s"].quantize(cent) == CostEntry.objects.aggregate(
        s=Sum("cost"))["s"].quantize(cent)


@pytest.mark.parametrize(("group_by", "role"), [("service", "cto"), ("team", "finance"), ("account", "em"),
                                                ("provider", "cto")])
def test_long_monthly_ranges_read_the_rollup_with_the_same_answer(world, tmp_path, monkeypatch, group_by, role):
    first = date(2024, 1, 1)
    import_path(_months_file(tmp_path, first, 200))  # 2024-01-01 .. 2024-07-18
    actor = get_actor(world.users[role])
    ranges = [
        (date(2024, 1, 1), date(2024, 7, 18)),  # whole months + the last, partial one (no later facts)
        (date(2024, 1, 3), date(2024, 6, 28)),  # both edges: the month minus a few days
        (date(2024, 1, 25), date(2024, 6, 4)),  # both edges: the edge's own days
        (date(2023, 12, 1), date(2024, 9, 30)),  # beyond the data
    ]
    for start, end in ranges:
        monkeypatch.setattr(selectors.aggregates, "ROLLUP_MIN_DAYS", 62)
        assert selectors.rollup_months(start, end) is not None
        fast = selectors.cost_aggregate(actor=actor, start=start, end=end, group_by=group_by, granularity="monthly")
        monkeypatch.setattr(selectors.aggregates, "ROLLUP_MIN_DAYS", 10_000)  # the daily facts only
        assert selectors.rollup_months(start, end) is None
        slow = selectors.cost_aggregate(actor=actor, start=start, end=end, group_by=group_by, granularity="monthly")
        assert (fast.periods, fast.groups, fast.total, fast.amortized_total) == (
            slow.periods, slow.groups, slow.total, slow.amortized_total), (start, end)
        if role != "em":
            assert fast.total > 0 and fast.groups


def test_rollup_months():
    no_later = lambda a, b: False  # noqa: E731
    later = lambda a, b: True  # noqa: E731
    assert selectors.rollup_months(date(2026, 10, 1), date(2026, 11, 20)) is None  # short range
    assert selectors.rollup_months(date(2024, 1, 15), date(2026, 11, 20), has_later_facts=later) == (
        date(2024, 2, 1), date(2026, 10, 31))
    assert selectors.rollup_months(date(2024, 1, 15), date(2026, 11, 20), has_later_facts=no_later) == (
        date(2024, 2, 1), date(2026, 11, 30))
    assert selectors.rollup_months(date(2024, 1, 1), date(2024, 6, 30)) == (date(2024, 1, 1), date(2024, 6, 30))
    assert selectors.rollup_months(date(2024, 1, 1), date(2024, 6, 29), has_later_facts=later) == (
        date(2024, 1, 1), date(2024, 5, 31))
