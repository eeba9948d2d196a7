"""The demo data loads through the importer, is idempotent and finds its planted anomalies."""
from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum

from apps.costs import demo
from apps.costs.models import Budget, CostAnomaly, CostEntry, SavingsOpportunity, ToolSubscription
from tests.factories import PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_realistic():
    teams = {slug: TeamFactory(slug=slug, name=slug.replace("-", " ").title())
             for slug in ["web-frontend", "mobile", "payments-backend", "core-api", "platform", "data", "ai",
                          "security", "product"]}
    people = {"em4": PersonFactory(team=teams["platform"]), "pm1": PersonFactory(team=teams["product"])}
    today = date(2026, 6, 15)

    demo.seed_demo(people=people, teams=teams, today=today)
    first = (CostEntry.objects.count(), CostEntry.objects.aggregate(s=Sum("cost"))["s"])
    demo.seed_demo(people=people, teams=teams, today=today)

    assert (CostEntry.objects.count(), CostEntry.objects.aggregate(s=Sum("cost"))["s"]) == first
    assert first[0] == 365 * (4 + 4 + 4 + 3 + 2 + 2)
    assert CostEntry.objects.filter(team__isnull=True, service="AWS Support (Business)").exists()
    assert CostEntry.objects.filter(team=teams["web-frontend"], service="Amazon CloudFront").exists()
    keys = set(CostAnomaly.objects.values_list("dimension", "key", "date"))
    assert ("service", "Amazon DynamoDB", date(2026, 6, 10)) in keys
    assert ("service", "Amazon Redshift", date(2026, 6, 5)) in keys
    assert (Budget.objects.count(), ToolSubscription.objects.count(), SavingsOpportunity.objects.count()) == (5, 6, 4)
