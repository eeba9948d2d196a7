"""Every write of the costs app: imports, Cost Explorer syncs, budgets and their alerts, anomaly
detection and triage, subscriptions, savings opportunities, tag rules and FX rates. Keyword-only,
one transaction each, permission first (``actor``), ``ValidationError`` with field names.

One module per concern; this package re-exports their public functions, so callers write
``from apps.costs import services`` and ``services.budget_create(...)``.
"""
from apps.costs.services._common import (  # noqa: F401
    ANOMALY_LOOKBACK_DAYS,
    BATCH_SIZE,
    CE_BACKFILL_DAYS,
    CE_RESTATE_DAYS,
    CENT,
    SYSTEM,
)
from apps.costs.services.anomalies import (  # noqa: F401
    Baseline,
    anomalies_detect,
    baseline,
    can_triage,
    cost_anomaly_triage,
    team_em,
)
from apps.costs.services.budgets import (  # noqa: F401
    BUDGET_FIELDS,
    budget_alerts_check,
    budget_create,
    budget_update,
)
from apps.costs.services.catalog import (  # noqa: F401
    DAILY_TASK_NAME,
    IDLE_FINDING_KINDS,
    OPPORTUNITY_FIELDS,
    REMINDER_DAYS,
    SUBSCRIPTION_FIELDS,
    costs_schedule_ensure,
    fx_rate_create,
    fx_rate_delete,
    fx_rate_update,
    savings_from_idle_findings,
    savings_opportunity_create,
    savings_opportunity_update,
    subscription_reminders_send,
    tag_rule_create,
    tag_rule_delete,
    tag_rule_update,
    tool_subscription_create,
    tool_subscription_update,
)
from apps.costs.services.cost_explorer import (  # noqa: F401
    AccountSyncResult,
    budget_forecasts_sync,
    ce_window,
    cost_explorer_sync,
    rightsizing_sync,
)
from apps.costs.services.imports import (  # noqa: F401
    NATURAL_KEY,
    STAGE_COLUMNS,
    STAGE_TABLE,
    ImportResult,
    cost_file_import,
    cost_rollup_refresh,
    cost_tag_keys,
    cost_upload_create,
    cost_upload_import,
    input_files_for,
)
