"""Beat-scheduled jobs (schedules: migration 0002). Each is idempotent: statuses are upserts
and reminders are claimed in the Reminder ledger once per period."""
from celery import shared_task

from apps.security import services


@shared_task(name="security.training_status_refresh_task")
def training_status_refresh_task() -> dict:
    """Nightly: recompute due/overdue, then remind those due or overdue (once per period)."""
    rows = services.training_status_refresh()
    reminded = services.training_reminders_send()
    return {"statuses": rows, "reminders": reminded}


@shared_task(name="security.bulletin_reminders_task")
def bulletin_reminders_task() -> int:
    return services.bulletin_reminders_send()


@shared_task(name="security.evidence_expiry_reminders_task")
def evidence_expiry_reminders_task() -> int:
    return services.evidence_expiry_reminders_send()
