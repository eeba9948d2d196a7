"""Security bulletins: publishing, corrections, acknowledgements and weekly reminders."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.org.models import Team
from apps.security.models import (
    Bulletin,
    BulletinAcknowledgement,
    Reminder,
    Severity,
)
from apps.security.services._common import (
    _awareness_evidence,
    _clean_roles,
    _remind_once,
    _require_manager,
    _require_participant,
    audience_people,
    is_in_audience,
)


# -- Bulletins -----------------------------------------------------------------------------------
def _bulletin_errors(*, title: str, body: str, severity: str, requires_ack: bool, due_date: date | None) -> dict:
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "A bulletin needs a title."
    if not (body or "").strip():
        errors["body"] = "A bulletin needs a body."
    if severity not in Severity.values:
        errors["severity"] = f"Unknown severity {severity!r}."
    if requires_ack and due_date is None:
        errors["due_date"] = "Set a due date for the acknowledgement."
    return errors


@transaction.atomic
def bulletin_publish(
    *, actor: Actor, title: str, body: str, severity: str = Severity.MEDIUM, requires_ack: bool = True,
    due_date: date | None = None, audience_teams: Iterable[Team] = (), audience_roles: Iterable[str] = (),
) -> Bulletin:
    _require_manager(actor)
    errors = _bulletin_errors(title=title, body=body, severity=severity, requires_ack=requires_ack,
                              due_date=due_date)
    if errors:
        raise ValidationError(errors)
    roles = _clean_roles(audience_roles)
    bulletin = Bulletin.objects.create(
        title=title.strip(), body=body, severity=severity, requires_ack=requires_ack, due_date=due_date,
        author=actor.person, published_at=timezone.now(), audience_roles=roles,
    )
    bulletin.audience_teams.set(list(audience_teams))
    _awareness_evidence(source="bulletin", obj=bulletin, title=f"Bulletin acknowledged: {bulletin.title}",
                        collected_on=timezone.localdate(bulletin.published_at), owner=actor.person)
    return bulletin


@transaction.atomic
def bulletin_update(
    *, actor: Actor, bulletin: Bulletin, title: str, body: str, severity: str, requires_ack: bool,
    due_date: date | None, audience_teams: Iterable[Team] = (), audience_roles: Iterable[str] = (),
) -> Bulletin:
    """Correct a published bulletin. Once someone has acknowledged it, its title and text are
    what they acknowledged: those stay, and so does the acknowledgement requirement (publish a
    new bulletin instead). Severity, due date and audience may still change."""
    _require_manager(actor)
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    errors = _bulletin_errors(title=title, body=body, severity=severity, requires_ack=requires_ack,
                              due_date=due_date)
    acknowledged = bulletin.acknowledgements.count()
    if acknowledged:
        reason = (f"{acknowledged} {'person has' if acknowledged == 1 else 'people have'} acknowledged this "
                  "bulletin as written; publish a new bulletin rather than change what they read.")
        if (title or "").strip() != bulletin.title:
            errors.setdefault("title", reason)
        if body != bulletin.body:
            errors.setdefault("body", reason)
        if not requires_ack:
            errors.setdefault("requires_ack", reason)
    if errors:
        raise ValidationError(errors)
    bulletin.title, bulletin.body, bulletin.severity = title.strip(), body, severity
    bulletin.requires_ack, bulletin.due_date = requires_ack, due_date
    bulletin.audience_roles = _clean_roles(audience_roles)
    bulletin.save()
    bulletin.audience_teams.set(list(audience_teams))
    return bulletin


@transaction.atomic
def bulletin_acknowledge(*, actor: Actor, bulletin: Bulletin) -> BulletinAcknowledgement:
    """Idempotent: acknowledging twice keeps the first time."""
    _require_participant(actor)
    if not bulletin.requires_ack:
        raise ValidationError({"bulletin": "This bulletin does not ask for an acknowledgement."})
    if not is_in_audience(bulletin, actor.person):
        raise ValidationError({"bulletin": "This bulletin is not addressed to you."})
    ack, _ = BulletinAcknowledgement.objects.get_or_create(
        bulletin=bulletin, person=actor.person, defaults={"acknowledged_at": timezone.now()}
    )
    return ack


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def bulletin_reminders_send(*, today: date | None = None) -> int:
    """Remind everyone in a bulletin's audience who has not acknowledged it, at most once per
    ISO week per bulletin (the Reminder ledger's unique constraint). Safe to run again."""
    today = today or timezone.localdate()
    period = _iso_week(today)
    sent = 0
    bulletins = Bulletin.objects.filter(requires_ack=True, published_at__date__lte=today).prefetch_related("audience_teams")
    for bulletin in bulletins:
        acked = BulletinAcknowledgement.objects.filter(bulletin=bulletin).values("person_id")
        for person in audience_people(bulletin).exclude(pk__in=acked):
            sent += _remind_once(
                kind=Reminder.Kind.BULLETIN, object_id=bulletin.pk, person=person, period=period,
                subject=f"Please acknowledge: {bulletin.title}",
                body=f"The security bulletin \"{bulletin.title}\" is due on {bulletin.due_date}. "
                     f"Please read and acknowledge it in the CTO Portal.",
            )
    return sent
