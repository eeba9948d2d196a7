"""Thin Celery tasks: each calls one idempotent service."""
from celery import shared_task

from apps.syncs import services


@shared_task(name="syncs.generate_meetings_task")
def generate_meetings_task(horizon_days: int = services.GENERATE_HORIZON_DAYS) -> int:
    """Create the next weeks' planned meetings of every active series. Safe to run twice."""
    return services.meeting_generate_upcoming(horizon_days=horizon_days)


@shared_task(name="syncs.overdue_reminders_task")
def overdue_reminders_task() -> int:
    """Email each owner their overdue action items (daily)."""
    return services.action_items_send_overdue_reminders()
