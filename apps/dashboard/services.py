"""The weekly digest: the CTO's dashboard as an email (HTML and plain text), once a week."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.dashboard.models import DigestSent
from apps.dashboard.panels import panels_for
from apps.org.models import Person

DIGEST_TASK_NAME = "dashboard: weekly CTO digest"


@dataclass
class Digest:
    subject: str
    text: str
    html: str
    recipient: str


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def digest_recipients() -> list[Person]:
    """Who gets the digest: every active CTO with an email address."""
    return list(Person.objects.filter(role=Role.CTO, is_active=True).exclude(email="")
                .select_related("user", "team").order_by("pk"))


def digest_render(*, person: Person, now: datetime | None = None) -> Digest:
    """The CTO's dashboard as read by ``person`` (through the same selectors as the page)."""
    now = now or timezone.now()
    actor = Actor(user=person.user, role=person.role, person=person)
    panels = panels_for(actor=actor, view="cto", now=now)
    week = week_start_of(timezone.localdate(now))
    context = {
        "panels": panels, "person": person, "week_start": week, "week_end": week + timedelta(days=6),
        "base": settings.PORTAL_BASE_URL.rstrip("/"), "email": True,
    }
    return Digest(
        subject=f"[CTO Portal] Your week {week:%G-W%V}: what needs you",
        text=render_to_string("dashboard/digest.txt", context),
        html=render_to_string("dashboard/digest.html", context),
        recipient=person.email,
    )


def weekly_digest_send(*, now: datetime | None = None) -> int:
    """Send this week's digest to each recipient who has not had it yet. Idempotent: the
    (week, recipient) row is inserted in the transaction that sends the mail, so a second run
    sends nothing, and a failed send rolls the claim back for the retry. Returns mails sent."""
    now = now or timezone.now()
    week = week_start_of(timezone.localdate(now))
    sent = 0
    for person in digest_recipients():
        if DigestSent.objects.filter(week_start=week, recipient=person.email).exists():
            continue
        digest = digest_render(person=person, now=now)
        try:
            with transaction.atomic():
                DigestSent.objects.create(week_start=week, recipient=person.email, person=person)
                message = EmailMultiAlternatives(subject=digest.subject, body=digest.text,
                                                 from_email=settings.DEFAULT_FROM_EMAIL, to=[digest.recipient])
                message.attach_alternative(digest.html, "text/html")
                message.send()
        except IntegrityError:
            continue  # another worker claimed this week's digest first
        sent += 1
    return sent


def digest_schedule_admin_url() -> str:
    """Where the CTO edits the digest's schedule (django-celery-beat's admin)."""
    return reverse("admin:django_celery_beat_periodictask_changelist") + "?q=digest"
