"""Benefits roll-up per team, the quarterly summary, the timeline and the cloud-cost read."""
from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.access import get_actor
from apps.costs import selectors as cost_selectors
from apps.initiatives import selectors
from apps.initiatives.models import Initiative
from tests.costs.helpers import focus_csv
from tests.initiatives.factories import InitiativeFactory, MilestoneFactory, StatusUpdateFactory

S, K = Initiative.Status, Initiative.Kind


def test_benefits_rollup_per_team(world):
    alpha, data = world.teams["alpha"], world.teams["data"]
    InitiativeFactory(team=alpha, owner=world.tl, kind=K.AUTOMATION, status=S.SHIPPED,
                      hours_saved_estimated=Decimal("100"), hours_saved_measured=Decimal("80.5"))
    InitiativeFactory(team=alpha, owner=world.tl, kind=K.AUTOMATION, status=S.IN_PROGRESS,
                      hours_saved_estimated=Decimal("20"), hours_saved_measured=None)
    # Not counted: an idea, a cancelled automation, a feature.
    InitiativeFactory(team=alpha, owner=world.tl, kind=K.AUTOMATION, status=S.IDEA, hours_saved_estimated=Decimal("999"))
    InitiativeFactory(team=alpha, owner=world.tl, kind=K.AUTOMATION, status=S.CANCELLED,
                      hours_saved_estimated=Decimal("999"))
    InitiativeFactory(team=alpha, owner=world.tl, kind=K.FEATURE, status=S.SHIPPED, hours_saved_estimated=Decimal("5"))
    InitiativeFactory(team=data, owner=world.pm, kind=K.AUTOMATION, status=S.SHIPPED,
                      hours_saved_estimated=Decimal("10"), hours_saved_measured=Decimal("12"))
    rollup = selectors.benefits_rollup(actor=get_actor(world.users["engineer"]))
    assert rollup == {
        alpha.pk: {"estimated": Decimal("120.0"), "measured": Decimal("80.5"), "count": 2},
        data.pk: {"estimated": Decimal("10.0"), "measured": Decimal("12.0"), "count": 1},
    }


def test_quarterly_summary(world):
    alpha = world.teams["alpha"]
    shipped = InitiativeFactory(team=alpha, owner=world.tl, status=S.SHIPPED, shipped_on=date(2026, 5, 10),
                                start_date=date(2026, 1, 5), hours_saved_estimated=Decimal("30"),
                                hours_saved_measured=Decimal("25"))
    running = InitiativeFactory(team=alpha, owner=world.tl, status=S.IN_PROGRESS, health="red",
                                start_date=date(2026, 3, 1))
    InitiativeFactory(team=alpha, owner=world.tl, status=S.SHIPPED, shipped_on=date(2026, 2, 1),
                      start_date=date(2025, 10, 1), title="Shipped last quarter")
    InitiativeFactory(team=alpha, owner=world.tl, status=S.PLANNED, start_date=date(2026, 8, 1),
                      target_date=date(2026, 9, 30), title="Starts next quarter")
    Initiative.objects.update(created_at=timezone.make_aware(timezone.datetime(2026, 1, 2)))
    MilestoneFactory(initiative=running, due_date=date(2026, 4, 15), done_date=date(2026, 4, 14))
    MilestoneFactory(initiative=running, due_date=date(2026, 6, 1))
    MilestoneFactory(initiative=running, due_date=date(2026, 8, 1))
    StatusUpdateFactory(initiative=running, date=date(2026, 4, 20), health="red")
    StatusUpdateFactory(initiative=running, date=date(2026, 3, 20))
    [summary] = selectors.quarterly_summary(actor=get_actor(world.users["cto"]), year=2026, quarter=2)
    assert summary.team == alpha
    assert summary.total == 2
    assert summary.by_status == {"idea": 0, "planned": 0, "in_progress": 1, "shipped": 1, "paused": 0, "cancelled": 0}
    assert summary.by_health == {"green": 1, "amber": 0, "red": 1}
    assert summary.shipped == [shipped]
    assert (summary.milestones_due, summary.milestones_done, summary.updates) == (2, 1, 1)
    assert (summary.hours_estimated, summary.hours_measured) == (Decimal("30.0"), Decimal("25.0"))


@pytest.mark.parametrize("value, expected", [("2026Q3", (2026, 3)), ("2025q1", (2025, 1)), ("nonsense", None),
                                             ("2026Q5", None), (None, None)])
def test_parse_quarter(value, expected):
    today = date(2026, 11, 30)
    assert selectors.parse_quarter(value, today=today) == (expected or (2026, 4))


def test_quarter_bounds():
    assert selectors.quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert selectors.quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))


def test_timeline_merges_updates_and_milestones(world):
    today = timezone.localdate()
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl)
    StatusUpdateFactory(initiative=initiative, date=today - timedelta(days=1), text="Yesterday")
    MilestoneFactory(initiative=initiative, title="Done one", due_date=today - timedelta(days=5),
                     done_date=today - timedelta(days=2))
    MilestoneFactory(initiative=initiative, title="Next one", due_date=today + timedelta(days=10))
    timeline = selectors.initiative_timeline(actor=get_actor(world.users["engineer"]), initiative=initiative)
    assert [(e.kind, e.date) for e in timeline] == [
        ("milestone-due", today + timedelta(days=10)),
        ("created", today),
        ("update", today - timedelta(days=1)),
        ("milestone-done", today - timedelta(days=2)),
    ]


def _import_tagged_month(tmp_path, month_start: date) -> Path:
    """A FOCUS file of last month with initiative tags (bare keys, ``user:`` keys, mixed case),
    imported through the real importer; returns its path."""
    from apps.costs import services

    day = month_start + timedelta(days=3)
    rows = [
        {"BilledCost": "12.40", "Tags": '{"initiative": "invoice-ocr", "team": "alpha"}'},
        {"BilledCost": "0.35", "Tags": '{"user:Initiative": " Invoice-OCR "}', "ServiceName": "Amazon S3"},
        {"BilledCost": "7", "Tags": '{"initiative": "ticket-triage"}'},
        {"BilledCost": "100", "Tags": "NULL"},
        {"BilledCost": "5.10", "Tags": '{"initiative": "invoice-ocr"}', "BillingCurrency": "EUR"},
        # Another month: not in "last month".
        {"BilledCost": "999", "Tags": '{"initiative": "invoice-ocr"}',
         "ChargePeriodStart": (month_start - timedelta(days=2)).isoformat()},
    ]
    for row in rows:
        charge = row.get("ChargePeriodStart", day.isoformat())
        row.setdefault("ChargePeriodStart", charge + " 00:00:00")
        row["BillingPeriodStart"] = date.fromisoformat(charge[:10]).replace(day=1).isoformat()
    path = tmp_path / "tagged.csv"
    path.write_text(focus_csv(rows))
    services.cost_file_import(actor=services.SYSTEM, files=services.input_files_for(str(path)))
    return path


def _independent_tag_sum(path: Path, value: str, start: date, end: date) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            tags = {} if row["Tags"] == "NULL" else json.loads(row["Tags"])
            tags = {k.lower().removeprefix("user:"): str(v).strip().lower() for k, v in tags.items()}
            day = date.fromisoformat(row["ChargePeriodStart"][:10])
            if tags.get("initiative") == value and start <= day <= end:
                totals[row["BillingCurrency"]] = totals.get(row["BillingCurrency"], Decimal("0")) + Decimal(row["BilledCost"])
    return totals


def test_tagged_import_gives_the_initiative_its_monthly_cloud_cost(world, tmp_path):
    start, end = selectors.last_full_month()
    path = _import_tagged_month(tmp_path, start)
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, cost_tag="initiative=invoice-ocr",
                                   hours_saved_measured=Decimal("42"))
    expected = _independent_tag_sum(path, "invoice-ocr", start, end)
    assert expected == {"USD": Decimal("12.75"), "EUR": Decimal("5.10")}

    assert cost_selectors.cost_by_tag(tag="initiative=invoice-ocr", start=start, end=end) == sorted(expected.items())
    figures = selectors.monthly_cloud_cost(tag=initiative.cost_tag)
    assert [(f.currency, f.amount, f.month) for f in figures] == [(c, a, start) for c, a in sorted(expected.items())]
    # A bare value is read under the default key (initiative).
    assert selectors.monthly_cloud_cost(tag="Invoice-OCR") == figures

    # The EM of the initiative's team, finance and the CTO see the cost next to the benefits.
    for role in ("em", "finance", "cto"):
        html = world.client(role).get(reverse("initiatives:detail", args=[initiative.pk])).content.decode()
        benefits = html[html.index('data-testid="benefits"'):html.index('data-testid="milestones"')]
        assert "measured <strong>42.0</strong>" in benefits
        assert "12.75" in benefits and "5.10" in benefits
        assert "no cost data" not in benefits
        api = world.client(role).get(f"/api/v1/initiatives/{initiative.pk}/").json()
        assert api["cost_month"] == start.isoformat()
        assert api["monthly_cloud_cost"] == [{"amount": "5.10", "currency": "EUR"},
                                             {"amount": "12.75", "currency": "USD"}]


def test_only_cost_viewers_of_the_team_see_an_initiatives_cloud_cost(world, tmp_path):
    start, _ = selectors.last_full_month()
    _import_tagged_month(tmp_path, start)
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, cost_tag="initiative=invoice-ocr",
                                   hours_saved_measured=Decimal("42"))
    for role in ("engineer", "tl", "em2", "pm"):
        response = world.client(role).get(reverse("initiatives:detail", args=[initiative.pk]))
        assert response.status_code == 200, role
        html = response.content.decode()
        assert "measured <strong>42.0</strong>" in html  # the benefits are for everyone who sees it
        assert 'data-testid="cloud-cost"' not in html and "12.75" not in html, role
        api = world.client(role).get(f"/api/v1/initiatives/{initiative.pk}/").json()
        assert api["monthly_cloud_cost"] is None, role


def test_an_initiative_whose_tag_has_no_cost_shows_no_cost_data_not_zero(world, tmp_path):
    start, _ = selectors.last_full_month()
    _import_tagged_month(tmp_path, start)
    quiet = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, cost_tag="initiative=call-notes")
    untagged = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, cost_tag="")

    assert selectors.monthly_cloud_cost(tag="initiative=call-notes") is None
    assert selectors.monthly_cloud_cost(tag="") is None
    for initiative, says in ((quiet, "no cost data"), (untagged, "no cost tag")):
        html = world.client("cto").get(reverse("initiatives:detail", args=[initiative.pk])).content.decode()
        cost = html[html.index('data-testid="cloud-cost"'):]
        cost = cost[:cost.index("</p>")]
        assert says in cost
        assert "0.00" not in cost and "$0" not in cost
        assert world.client("cto").get(f"/api/v1/initiatives/{initiative.pk}/").json()["monthly_cloud_cost"] is None


def test_last_full_month():
    assert selectors.last_full_month(date(2026, 3, 15)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert selectors.last_full_month(date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_portfolio_summary_for_the_dashboard(world):
    alpha = world.teams["alpha"]
    old = InitiativeFactory(team=alpha, owner=world.tl, health="red", hours_saved_estimated=Decimal("50"),
                            hours_saved_measured=Decimal("40"))
    Initiative.objects.filter(pk=old.pk).update(last_update_on=timezone.localdate() - timedelta(days=15))
    InitiativeFactory(team=alpha, owner=world.tl, status=S.PAUSED, health="amber")
    InitiativeFactory(team=alpha, owner=world.tl, status=S.SHIPPED, hours_saved_estimated=Decimal("5"))
    InitiativeFactory(team=alpha, owner=world.tl, status=S.IDEA)
    summary = selectors.portfolio_summary(actor=get_actor(world.users["cto"]))
    assert (summary.total_open, summary.by_health, summary.stale) == (2, {"green": 0, "amber": 1, "red": 1}, 1)
    assert (summary.hours_estimated, summary.hours_measured) == (Decimal("55.0"), Decimal("40.0"))
