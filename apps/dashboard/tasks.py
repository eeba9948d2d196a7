from celery import shared_task

from apps.dashboard import services

WEEKLY_DIGEST_TASK = "dashboard.send_weekly_digest_task"


@shared_task(name=WEEKLY_DIGEST_TASK, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_weekly_digest_task() -> int:
    """Monday morning (beat, editable in the admin): the CTO's dashboard by email. Safe to run
    twice: each (week, recipient) is claimed before its mail goes out."""
    return services.weekly_digest_send()
