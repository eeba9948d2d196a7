"""Benefits roll-up per team, the quarterly summary, the timeline and the cloud-cost read."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.access import get_actor
from apps.initiatives import selectors
from apps.initiatives.models import Initiative
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


def test_cloud_cost_is_none_without_cost_data(world):
    # This branch's costs app has no cost-fact model yet: nothing is invented.
    assert selectors.monthly_cloud_cost(tag="invoice-ocr") is None
    assert selectors.monthly_cloud_cost(tag="") is None
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, cost_tag="invoice-ocr")
    html = world.client("cto").get(reverse("initiatives:detail", args=[initiative.pk])).content.decode()
    assert "not available" in html


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
