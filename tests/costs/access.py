"""The costs app in the access matrix.

Decision (mirrors apps/costs/selectors.py):
- CTO and finance see every cost page and endpoint, including unallocated costs, and alone
  change budgets, subscriptions, savings opportunities, start imports and syncs, and read runs.
- EMs see the cost pages and read endpoints, scoped to their teams (their own team and the teams
  of everyone in their reporting chain); they may triage their teams' anomalies; every write
  page or write endpoint answers 403 to them. Another team's object answers 404 (tested in
  tests/costs/test_views_api.py, since the matrix has one EM).
- TL, PM, engineer and HR: 403 on every cost page and endpoint. A plain service token ("service"
  role): 403 too — an internal tool that needs costs gets a service account with the finance role.
- Anonymous: pages redirect to the login (302), the API answers 401.
"""
from datetime import date
from decimal import Decimal

from apps.core import services as core_services
from apps.costs.models import Budget, CostAnomaly, CostEntry, FxRate, SavingsOpportunity, TagRule, ToolSubscription
from tests.access import Case, api, override, page

VIEW = ("cto", "finance", "em")
ADMIN = ("cto", "finance")


def cases(world):
    alpha = world.teams["alpha"]
    entry = CostEntry.objects.create(
        date=date(2025, 1, 2), billing_period=date(2025, 1, 1), provider="AWS", billing_account_id="1",
        sub_account_id="2", service="Amazon EC2", region="eu-west-1", team=alpha, cost=Decimal("3.5"),
        amortized_cost=Decimal("3.5"), currency="USD", source="focus")
    budget = Budget.objects.create(name="Alpha", scope="team", team=alpha, amount=Decimal("100"), currency="USD",
                                   thresholds=[80, 100])
    anomaly = CostAnomaly.objects.create(date=date(2025, 1, 2), dimension="team", key="alpha", team=alpha,
                                         expected=1, actual=9, impact=8, currency="USD")
    sub = ToolSubscription.objects.create(vendor="Figma", product="Org", amount=Decimal("45"), currency="USD",
                                          owner_team=alpha)
    opp = SavingsOpportunity.objects.create(title="Rightsize db", team=alpha, estimated_monthly=Decimal("120"),
                                            currency="USD")
    run = core_services.syncrun_create(kind="cost_import", user=world.users["finance"])
    rule = TagRule.objects.create(tag_key="business_unit", tag_value="Growth", team=alpha)
    rate = FxRate.objects.create(currency="EUR", valid_from=date(2025, 1, 1), rate=Decimal("1.08"))
    post_page = override(page(allowed=ADMIN, ok=302), engineer=403)
    return [
        Case("costs:overview", page(allowed=VIEW)),
        Case("costs:overview", page(allowed=VIEW), query="start=2024-01-01&end=2025-01-31&group_by=team&granularity=monthly"),
        Case("costs:export", page(allowed=VIEW), query="group_by=account"),
        Case("costs:budget-list", page(allowed=VIEW)),
        Case("costs:budget-create", page(allowed=ADMIN)),
        Case("costs:budget-detail", page(allowed=VIEW), kwargs={"pk": budget.pk}),
        Case("costs:budget-edit", page(allowed=ADMIN), kwargs={"pk": budget.pk}),
        Case("costs:anomaly-list", page(allowed=VIEW)),
        Case("costs:anomaly-detail", page(allowed=VIEW), kwargs={"pk": anomaly.pk}),
        Case("costs:subscription-list", page(allowed=VIEW)),
        Case("costs:subscription-create", page(allowed=ADMIN)),
        Case("costs:subscription-edit", page(allowed=ADMIN), kwargs={"pk": sub.pk}),
        Case("costs:opportunity-list", page(allowed=VIEW)),
        Case("costs:opportunity-create", page(allowed=ADMIN)),
        Case("costs:opportunity-edit", page(allowed=ADMIN), kwargs={"pk": opp.pk}),
        Case("costs:import", page(allowed=ADMIN)),
        # POST-only: a GET is refused (405) once signed in; a POST starts a run (302 to its page).
        Case("costs:sync", page(ok=405, denied=405)),
        Case("costs:sync", post_page, method="post", data={}),
        # Tag rules and FX rates: finance and the CTO only (EMs included: 403).
        Case("costs:settings", page(allowed=ADMIN)),
        Case("costs:tagrule-create", page(allowed=ADMIN)),
        Case("costs:tagrule-create", override(page(allowed=ADMIN, ok=302), engineer=403), method="post",
             data={"tag_key": "project", "tag_value": "apollo", "team": alpha.pk}),
        Case("costs:tagrule-edit", page(allowed=ADMIN), kwargs={"pk": rule.pk}),
        Case("costs:tagrule-delete", page(ok=405, denied=405), kwargs={"pk": rule.pk}),
        Case("costs:tagrule-delete", post_page, kwargs={"pk": rule.pk}, method="post", data={}),
        Case("costs:fxrate-create", page(allowed=ADMIN)),
        Case("costs:fxrate-edit", page(allowed=ADMIN), kwargs={"pk": rate.pk}),
        Case("costs:fxrate-edit", page(allowed=ADMIN, ok=302), kwargs={"pk": rate.pk}, method="post",
             data={"currency": "EUR", "valid_from": "2025-01-01", "rate": "1.10"}),
        Case("costs:fxrate-delete", page(ok=405, denied=405), kwargs={"pk": rate.pk}),
        Case("costs:fxrate-delete", post_page, kwargs={"pk": rate.pk}, method="post", data={}),
        Case("api:cost-entry-list", api(allowed=VIEW)),
        Case("api:cost-entry-detail", api(allowed=VIEW), kwargs={"pk": entry.pk}),
        Case("api:cost-aggregate", api(allowed=VIEW), query="group_by=team&granularity=monthly"),
        Case("api:cost-budget-list", api(allowed=VIEW)),
        Case("api:cost-budget-detail", api(allowed=VIEW), kwargs={"pk": budget.pk}),
        Case("api:cost-budget-list", api(allowed=ADMIN, ok=400), method="post", data={}),
        Case("api:cost-anomaly-list", api(allowed=VIEW)),
        Case("api:cost-anomaly-detail", api(allowed=VIEW), kwargs={"pk": anomaly.pk}),
        Case("api:cost-anomaly-triage", api(allowed=VIEW, ok=400), kwargs={"pk": anomaly.pk}, method="post", data={}),
        Case("api:tool-subscription-list", api(allowed=VIEW)),
        Case("api:tool-subscription-detail", api(allowed=VIEW), kwargs={"pk": sub.pk}),
        Case("api:tool-subscription-list", api(allowed=ADMIN, ok=400), method="post", data={}),
        Case("api:savings-opportunity-list", api(allowed=VIEW)),
        Case("api:savings-opportunity-detail", api(allowed=VIEW), kwargs={"pk": opp.pk}),
        Case("api:savings-opportunity-list", api(allowed=ADMIN, ok=400), method="post", data={}),
        Case("api:cost-sync", api(allowed=ADMIN, ok=202), method="post", data={}),
        Case("api:cost-run", api(allowed=ADMIN), kwargs={"pk": run.pk}),
    ]
