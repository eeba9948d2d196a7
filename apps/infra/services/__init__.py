"""Every write in infra: the inventory sync, findings, and the request workflow.
Check (permission, validation), then do, in one transaction.

One module per concern: ``inventory`` (the AWS inventory sync and its SyncRun, starting it from a
page, task or command), ``findings`` (findings on live resources and the savings they feed),
``infra_requests`` (the infrastructure request workflow), ``_common`` (the batch size and
``WorkflowConflict``). This package re-exports their names, so callers keep writing
``from apps.infra import services`` and ``services.infra_request_create(...)``.
"""
from apps.infra.services._common import (  # noqa: F401
    BATCH,
    WorkflowConflict,
)
from apps.infra.services.findings import (  # noqa: F401
    _feed_savings,
    findings_refresh,
)
from apps.infra.services.infra_requests import (  # noqa: F401
    add_working_days,
    infra_request_approve,
    infra_request_comment,
    infra_request_create,
    infra_request_link_resources,
    infra_request_provision,
    infra_request_reject,
)
from apps.infra.services.inventory import (  # noqa: F401
    DEFAULT_REGIONS,
    INVENTORY_KIND,
    SYNCED_FIELDS,
    SessionFactory,
    SyncStats,
    account_regions,
    default_regions,
    default_session_factory,
    inventory_sync,
    inventory_sync_command,
    inventory_sync_in_progress,
    inventory_sync_run,
    inventory_sync_start,
)
