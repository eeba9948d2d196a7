from __future__ import annotations

from django.db.models import QuerySet

from apps.core.access import Actor
from apps.core.models import AccessLog, SyncRun


def syncrun_list(*, actor: Actor) -> QuerySet[SyncRun]:
    """The CTO sees every run; others the runs they started."""
    qs = SyncRun.objects.select_related("started_by")
    if actor.is_cto:
        return qs
    if not actor.is_authenticated:
        return qs.none()
    return qs.filter(started_by=actor.user)


def access_log_list(*, actor: Actor) -> QuerySet[AccessLog]:
    if not actor.can_view_audit():
        return AccessLog.objects.none()
    return AccessLog.objects.select_related("user")


def change_log_list(*, actor: Actor):
    from auditlog.models import LogEntry

    if not actor.can_view_audit():
        return LogEntry.objects.none()
    return LogEntry.objects.select_related("actor", "content_type")
