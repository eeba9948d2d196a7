"""Tag rules and FX rates edited in the portal by finance and the CTO."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.costs.models import CostEntry, FxRate, TagRule
from tests.costs.helpers import focus_csv, import_path

pytestmark = pytest.mark.django_db


def test_finance_adds_a_tag_rule_that_the_next_import_applies(world, tmp_path):
    alpha = world.teams["alpha"]
    response = world.client("finance").post(reverse("costs:tagrule-create"),
                                             {"tag_key": " business_unit ", "tag_value": "Phoenix", "team": alpha.pk})
    assert response.status_code == 302
    rule = TagRule.objects.get()
    assert (rule.tag_key, rule.tag_value, rule.team) == ("business_unit", "Phoenix", alpha)
    page = world.client("finance").get(reverse("costs:settings")).content.decode()
    assert "business_unit=Phoenix" in page

    path = tmp_path / "x.csv"
    path.write_text(focus_csv([{"BilledCost": "4.5", "Tags": '{"user:Business_Unit": "phoenix"}'}]))
    import_path(path)
    assert CostEntry.objects.get().team == alpha


def test_a_duplicate_tag_rule_is_refused_with_a_field_error(world):
    TagRule.objects.create(tag_key="business_unit", tag_value="Phoenix", team=world.teams["alpha"])
    response = world.client("cto").post(reverse("costs:tagrule-create"),
                                        {"tag_key": "Business_Unit", "tag_value": "phoenix", "team": world.teams["beta"].pk})
    assert response.status_code == 200
    assert "already has a rule" in response.content.decode()
    assert TagRule.objects.count() == 1


def test_fx_rates_are_edited_and_checked(world, settings):
    client = world.client("finance")
    assert client.post(reverse("costs:fxrate-create"),
                       {"currency": "eur", "valid_from": "2025-01-01", "rate": "1.0850"}).status_code == 302
    rate = FxRate.objects.get()
    assert (rate.currency, rate.valid_from, rate.rate) == ("EUR", date(2025, 1, 1), Decimal("1.085"))

    for data, says in [({"currency": settings.REPORTING_CURRENCY, "valid_from": "2025-01-01", "rate": "1"},
                        "is the reporting currency"),
                       ({"currency": "EUR", "valid_from": "2025-01-01", "rate": "2"}, "already has a rate"),
                       ({"currency": "GBP", "valid_from": "2025-01-01", "rate": "-1"}, "more than zero")]:
        response = client.post(reverse("costs:fxrate-create"), data)
        assert response.status_code == 200 and says in response.content.decode()
    assert FxRate.objects.count() == 1

    assert client.post(reverse("costs:fxrate-edit", args=[rate.pk]),
                       {"currency": "EUR", "valid_from": "2025-01-01", "rate": "1.10"}).status_code == 302
    rate.refresh_from_db()
    assert rate.rate == Decimal("1.1")
    assert client.post(reverse("costs:fxrate-delete", args=[rate.pk])).status_code == 302
    assert FxRate.objects.count() == 0


@pytest.mark.parametrize("role", ["em", "engineer", "hr"])
def test_other_roles_cannot_change_rules_or_rates_and_nothing_changes(world, role):
    rule = TagRule.objects.create(tag_key="business_unit", tag_value="Phoenix", team=world.teams["alpha"])
    rate = FxRate.objects.create(currency="EUR", valid_from=date(2025, 1, 1), rate=Decimal("1.08"))
    client = world.client(role)
    assert client.post(reverse("costs:tagrule-edit", args=[rule.pk]),
                       {"tag_key": "x", "tag_value": "y", "team": world.teams["beta"].pk}).status_code == 403
    assert client.post(reverse("costs:tagrule-delete", args=[rule.pk])).status_code == 403
    assert client.post(reverse("costs:fxrate-delete", args=[rate.pk])).status_code == 403
    rule.refresh_from_db()
    assert (rule.tag_key, rule.team) == ("business_unit", world.teams["alpha"])
    assert FxRate.objects.filter(pk=rate.pk, rate=Decimal("1.08")).exists()
