from celery import shared_task

from apps.knowledge import services

GENERATE_TASK_NAME = "knowledge.generate_sessions_task"


@shared_task(name=GENERATE_TASK_NAME, autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True,
             max_retries=5)
def generate_sessions_task() -> int:
    """Keep every active series' next sessions generated (beat: daily). Idempotent: sessions
    are keyed by (series, occurrence_date), so a re-delivery creates nothing twice."""
    return services.series_generate_all()
