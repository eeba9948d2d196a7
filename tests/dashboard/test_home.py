"""The home page shows each app's panel to the roles that may see it, read through that app's
selectors, with a number of queries that does not grow with the data."""
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.costs.models import AwsAccount, CostEntry

pytestmark = pytest.mark.django_db


def panels(response) -> set[str]:
    return {p.key for p in response.context["panels"]}


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        ("cto", {"costs", "syncs", "security", "infra", "org"}, set()),
        ("finance", {"costs", "infra"}, {"reviews"}),
        ("em", {"costs", "syncs", "security", "infra", "org"}, set()),
        ("engineer", {"syncs", "security", "infra"}, {"costs", "org"}),
        ("hr", {"syncs", "security"}, {"costs", "infra", "org"}),  # HR manages nobody in this world
    ],
)
def test_panels_follow_each_apps_access_rules(world, role, present, absent):
    response = world.client(role).get(reverse("dashboard:home"))
    assert response.status_code == 200
    shown = panels(response)
    assert present <= shown, shown
    assert not (absent & shown), shown


def test_cost_panel_shows_month_to_date_from_cost_entries(world):
    from django.utils import timezone

    today = timezone.localdate()
    account = AwsAccount.objects.create(account_id="123456789012", name="prod")
    CostEntry.objects.create(date=today, billing_period=today.replace(day=1), provider="AWS",
                             billing_account_id=account.account_id, sub_account_id=account.account_id,
                             account=account, service="Amazon EC2", region="us-east-1", currency="USD",
                             cost=Decimal("1234.50"), amortized_cost=Decimal("1234.50"), source="focus")
    summary = world.client("cto").get(reverse("dashboard:home")).context["panels"]
    costs = next(p for p in summary if p.key == "costs").data
    assert costs.month_to_date == Decimal("1234.50")
    assert costs.currency == "USD"
    assert world.client("engineer").get(reverse("dashboard:home")).content.count(b"1,234.50") == 0


def test_home_query_count_is_flat(world, django_assert_max_num_queries):
    from tests.factories import PersonFactory

    client = world.client("cto")
    with django_assert_max_num_queries(80) as small:
        client.get(reverse("dashboard:home"))
    for _ in range(60):
        PersonFactory(team=world.teams["alpha"], manager=world.tl)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("dashboard:home"))
