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

One module per concern; this package re-exports their public names, so callers write
``from apps.costs import selectors`` and ``selectors.cost_aggregate(...)``:
- ``scope``: the roles that see and change costs, and the team scope every selector applies.
- ``currency``: the FX table, multi-currency totals, rounding that adds up to the total.
- ``aggregates``: cost entries, the explorer's grouped totals (and the monthly roll-up), daily totals.
- ``budgets``: budget periods, spend and forecast per budget, budget alerts.
- ``catalog``: anomalies, subscriptions, savings opportunities, tag rules, FX rates, accounts,
  top resources.
- ``summary``: what the CTO dashboard shows about costs.
- ``tags``: cost by tag.
"""
from apps.costs.selectors.aggregates import (  # noqa: F401
    GRANULARITIES,
    GROUP_BY,
    GROUP_FIELDS,
    ROLLUP_MIN_DAYS,
    UNALLOCATED,
    Aggregate,
    cost_aggregate,
    cost_entry_list,
    cost_filter_options,
    daily_totals,
    rollup_months,
)
from apps.costs.selectors.budgets import (  # noqa: F401
    FORECAST_FRESH_DAYS,
    BudgetStatus,
    budget_alert_list,
    budget_get,
    budget_list,
    budget_status,
    budget_statuses,
    budget_statuses_for,
    period_bounds,
)
from apps.costs.selectors.catalog import (  # noqa: F401
    OpportunityTotals,
    account_list,
    anomaly_get,
    anomaly_list,
    fx_rate_get,
    fx_rate_list,
    open_anomalies_for_agenda,
    opportunity_get,
    opportunity_list,
    opportunity_totals,
    resource_costs,
    subscription_get,
    subscription_list,
    subscription_monthly_spend,
    tag_rule_get,
    tag_rule_list,
    top_resource_list,
)
from apps.costs.selectors.currency import (  # noqa: F401
    CENT,
    FxTable,
    MoneyTotal,
    money_total,
    round_to_total,
)
from apps.costs.selectors.scope import (  # noqa: F401
    COST_ADMIN_ROLES,
    COST_VIEW_ROLES,
    can_admin_costs,
    can_view_costs,
    team_choices,
    visible_team_ids,
)
from apps.costs.selectors.summary import (  # noqa: F401
    CostSummary,
    cost_summary,
    default_range,
)
from apps.costs.selectors.tags import (  # noqa: F401
    cost_by_tag,
    parse_cost_tag,
)
