"""The checks services run before they write: who may change a series, and whether the status a
page showed is still the current one."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.access import Actor
from apps.syncs import selectors
from apps.syncs.models import ActionItem, AgendaItem, Meeting, SyncSeries

STATUS_LABELS = {"meeting": Meeting.Status.choices, "agenda item": AgendaItem.Status.choices,
                 "action item": ActionItem.Status.choices}


# -- Permissions ----------------------------------------------------------------------------------
def can_manage_series(actor: Actor, series: SyncSeries) -> bool:
    """Change the series itself (title, cadence, participants): its owner or the CTO; a service
    account for non-private series."""
    if actor.is_service:
        return not series.is_private
    if actor.is_cto and (not series.is_private or actor.person_id in selectors.participant_ids(series)):
        return True
    return actor.person_id is not None and actor.person_id == series.owner_id


def _check_visible(actor: Actor, series: SyncSeries) -> None:
    """Contributing (agenda, notes, decisions, action items) is open to whoever sees the series."""
    if not selectors.series_visible(actor=actor).filter(pk=series.pk).exists():
        raise PermissionDenied("You do not take part in this series.")


def _check_manage(actor: Actor, series: SyncSeries) -> None:
    if not can_manage_series(actor, series):
        raise PermissionDenied("Only the owner of the series or the CTO may change it.")


# -- Status seen by the page ------------------------------------------------------------------
def _check_seen_status(current: str, seen: str | None, wanted: str | None, what: str) -> bool:
    """A status change asked for from a page that showed the status ``seen``: True when it still
    applies, False when there is nothing to change (the page did not ask for a change, or someone
    else already made it); a ValidationError when someone else moved the status elsewhere."""
    if seen is None:
        return wanted is not None and wanted != current
    if wanted is None or wanted == seen or wanted == current:
        return False
    if current != seen:
        label = dict(STATUS_LABELS[what]).get(current, current).lower()
        raise ValidationError({"status": f"Someone else marked this {what} {label} after you opened the page; "
                                         "nothing was changed. Reload the page to see it."})
    return True
