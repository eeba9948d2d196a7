"""What every costs service module shares: the system actor, the admin check, constants."""
from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied

from apps.core.access import Actor
from apps.core.roles import Role
from apps.costs import selectors

logger = logging.getLogger(__name__)
BATCH_SIZE = 2000
CE_BACKFILL_DAYS = 365  # first run: up to 12 months back
CE_RESTATE_DAYS = 5  # later runs: re-read the days Cost Explorer still restates
ANOMALY_LOOKBACK_DAYS = 28
CENT = Decimal("0.01")

SYSTEM = Actor(role=Role.CTO)  # scheduled jobs and management commands act with full rights


def _require_admin(actor: Actor) -> None:
    if not selectors.can_admin_costs(actor):
        raise PermissionDenied("Only finance and the CTO may change costs.")


