"""Celery tasks of the reviews app: the daily reminder (scheduled by django-celery-beat,
see migration 0002 / ``services.reminder_schedule_ensure``)."""
from __future__ import annotations

from datetime import date

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from apps.reviews import services
from apps.reviews.models import ReminderLog

STAGE_WORK = {
    "self_review": "your self assessment",
    "manager_review": "the manager review of {subject}",
}


@shared_task(name="reviews.send_reminders_task")
def send_reminders_task(today: str | None = None) -> int:
    """Email everyone who still owes work in a stage due within 3 days. Idempotent: a
    ReminderLog row per (review, stage, recipient, day) is claimed before the mail goes out,
    so a re-delivered task sends nothing twice. The mail holds no rating, text or pay."""
    day = date.fromisoformat(today) if today else date.today()
    sent = 0
    for review, recipient, stage in services.reminders_due(today=day):
        if not recipient.email:
            continue
        try:
            with transaction.atomic():
                ReminderLog.objects.create(review=review, stage=stage, recipient=recipient, sent_on=day)
        except IntegrityError:
            continue  # already reminded today
        work = STAGE_WORK[stage].format(subject=review.subject.full_name)
        due = review.cycle.due_for_stage(stage)
        send_mail(
            subject=f"[CTO Portal] {review.cycle.name}: {work} is due {due:%d %b}",
            message=(f"Hello {recipient.full_name},\n\n{work[0].upper() + work[1:]} for {review.cycle.name} "
                     f"is due on {due:%A %d %B %Y}.\n\n{settings.PORTAL_BASE_URL}/reviews/\n"),
            from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[recipient.email], fail_silently=False,
        )
        sent += 1
    return sent
