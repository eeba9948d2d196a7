from celery import shared_task

from apps.initiatives import services

STALE_REMINDERS_TASK = "initiatives.stale_reminders_task"


@shared_task(name=STALE_REMINDERS_TASK, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def stale_reminders_task() -> int:
    """Daily (beat): remind owners of initiatives without an update for 14 days. Safe to run
    twice: the service claims each (initiative, day) before sending."""
    return services.stale_reminders_send()
