"""Every write to initiatives. Check (permission, validation), then do, in one transaction."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.initiatives import policy
from apps.initiatives.models import (
    ACTIVE_STATUSES,
    STALE_AFTER_DAYS,
    Health,
    Initiative,
    InitiativeLink,
    Milestone,
    StaleReminder,
    StatusUpdate,
)
from apps.org.models import Person, Team

S = Initiative.Status
# Allowed status moves. Shipped is final; a cancelled initiative can only go back to idea.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.IDEA: frozenset({S.PLANNED, S.IN_PROGRESS, S.CANCELLED}),
    S.PLANNED: frozenset({S.IDEA, S.IN_PROGRESS, S.PAUSED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.SHIPPED, S.PAUSED, S.CANCELLED}),
    S.PAUSED: frozenset({S.PLANNED, S.IN_PROGRESS, S.CANCELLED}),
    S.SHIPPED: frozenset(),
    S.CANCELLED: frozenset({S.IDEA}),
}

INITIATIVE_FIELDS = (
    "team", "kind", "title", "problem", "goal", "owner", "sponsor", "status", "start_date", "target_date",
    "cost_tag", "replaces_process", "hours_saved_estimated", "hours_saved_measured", "product_metric",
    "metric_baseline", "metric_target", "metric_current",
)
# A re-reminder while an initiative stays stale; never more than one a day (unique row).
REMIND_EVERY_DAYS = 7


def _resolve_team(value) -> Team | None:
    if value is None or isinstance(value, Team):
        return value
    team = Team.objects.filter(slug=str(value)).first()
    if team is None and str(value).isdigit():
        team = Team.objects.filter(pk=int(value)).first()
    if team is None:
        raise ValidationError({"team": f"Unknown team {value!r}."})
    return team


def _resolve_person(value, field: str) -> Person | None:
    if value is None or value == "" or isinstance(value, Person):
        return value or None
    person = Person.objects.filter(pk=value).first() if str(value).isdigit() else None
    if person is None:
        raise ValidationError({field: f"Unknown person {value!r}."})
    return person


def _validate_initiative(initiative: Initiative, *, previous_status: str | None) -> None:
    errors: dict[str, str] = {}
    if initiative.team_id is None:
        errors["team"] = "Choose the team that runs it."
    elif not initiative.team.is_active:
        errors["team"] = "That team is no longer active."
    if not (initiative.title or "").strip():
        errors["title"] = "Give it a title."
    if initiative.owner_id is None:
        errors["owner"] = "Every initiative has an owner."
    elif not initiative.owner.is_active:
        errors["owner"] = "The owner has left the company."
    if initiative.sponsor_id and not initiative.sponsor.is_active:
        errors["sponsor"] = "The sponsor has left the company."
    if initiative.start_date and initiative.target_date and initiative.target_date < initiative.start_date:
        errors["target_date"] = "The target date is before the start date."
    for name in ("hours_saved_estimated", "hours_saved_measured"):
        value = getattr(initiative, name)
        if value is not None and Decimal(value) < 0:
            errors[name] = "Hours saved cannot be negative."
    if previous_status is not None and initiative.status != previous_status:
        if initiative.status not in TRANSITIONS.get(previous_status, frozenset()):
            errors["status"] = (
                f"An initiative cannot go from {Initiative.Status(previous_status).label} to "
                f"{Initiative.Status(initiative.status).label}."
            )
    if initiative.status == S.SHIPPED and initiative.shipped_on is None:
        initiative.shipped_on = timezone.localdate()
    if errors:
        raise ValidationError(errors)
    initiative.title = initiative.title.strip()
    initiative.cost_tag = (initiative.cost_tag or "").strip()
    initiative.full_clean(exclude=["team", "owner", "sponsor"], validate_unique=False, validate_constraints=False)


def _apply(initiative: Initiative, fields: dict) -> None:
    unknown = set(fields) - set(INITIATIVE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    for name, value in fields.items():
        if name == "team":
            value = _resolve_team(value)
        elif name in ("owner", "sponsor"):
            value = _resolve_person(value, name)
        elif value is None and name in ("problem", "goal", "cost_tag", "replaces_process", "product_metric",
                                        "metric_baseline", "metric_target", "metric_current"):
            value = ""
        setattr(initiative, name, value)


@transaction.atomic
def initiative_create(*, actor: Actor, **fields) -> Initiative:
    if not policy.can_create(actor):
        raise PermissionDenied("Your role may not open initiatives.")
    initiative = Initiative()
    _apply(initiative, fields)
    if initiative.team_id and initiative.owner_id and not policy.can_create_for(
        actor, team=initiative.team, owner_id=initiative.owner_id
    ):
        raise PermissionDenied("You may open initiatives only for your own teams, or owned by yourself.")
    # A new initiative may start in any status except shipped/cancelled (there is nothing to ship yet).
    if initiative.status in (S.SHIPPED, S.CANCELLED):
        raise ValidationError({"status": "A new initiative starts as an idea, planned, in progress or paused."})
    _validate_initiative(initiative, previous_status=None)
    initiative.save()
    return initiative


@transaction.atomic
def initiative_update(*, actor: Actor, initiative: Initiative, **fields) -> Initiative:
    """Edit fields and move status (allowed moves in ``TRANSITIONS``). Health is not edited
    here: it follows the latest status update."""
    initiative = Initiative.objects.select_for_update().select_related("team", "owner").get(pk=initiative.pk)
    if not policy.can_edit(actor, initiative):
        raise PermissionDenied("Only the owner, the team's EM/TL and the CTO may change this initiative.")
    previous_status = initiative.status
    _apply(initiative, fields)
    if "team" in fields and not (actor.is_cto or policy.can_create_for(
        actor, team=initiative.team, owner_id=initiative.owner_id
    )):
        raise PermissionDenied("You may move initiatives only to your own teams.")
    _validate_initiative(initiative, previous_status=previous_status)
    if initiative.status != S.SHIPPED:
        initiative.shipped_on = None if previous_status == S.SHIPPED else initiative.shipped_on
    initiative.save()
    return initiative


def initiative_set_status(*, actor: Actor, initiative: Initiative, status: str) -> Initiative:
    return initiative_update(actor=actor, initiative=initiative, status=status)


# -- status updates ------------------------------------------------------------------------------
def _refresh_from_latest_update(initiative: Initiative) -> None:
    latest = initiative.updates.order_by("-date", "-created_at", "-pk").first()
    if latest is None:
        return
    Initiative.objects.filter(pk=initiative.pk).update(
        health=latest.health, last_update_on=latest.date, updated_at=timezone.now()
    )
    initiative.health, initiative.last_update_on = latest.health, latest.date


@transaction.atomic
def status_update_post(
    *, actor: Actor, initiative: Initiative, health: str, text: str, date: date | None = None,
    status: str | None = None,
) -> StatusUpdate:
    """Post an update. The initiative's health (and last-update date) then follow the latest
    update by date; an optional ``status`` moves the initiative in the same transaction."""
    initiative = Initiative.objects.select_for_update().select_related("team", "owner").get(pk=initiative.pk)
    if not policy.can_post_update(actor, initiative):
        raise PermissionDenied("Only the owner, the team's EM/TL, the CTO and tools with the service role post updates.")
    errors: dict[str, str] = {}
    if health not in Health.values:
        errors["health"] = f"Health is one of {', '.join(Health.values)}."
    if not (text or "").strip():
        errors["text"] = "Say what happened since the last update."
    today = timezone.localdate()
    date = date or today
    if date > today:
        errors["date"] = "An update cannot be dated in the future."
    if status and status != initiative.status and status not in TRANSITIONS.get(initiative.status, frozenset()):
        if status not in Initiative.Status.values:
            errors["status"] = f"Unknown status {status!r}."
        else:
            errors["status"] = (
                f"An initiative cannot go from {initiative.get_status_display()} to {Initiative.Status(status).label}."
            )
    if initiative.status in (S.SHIPPED, S.CANCELLED) and not status:
        pass  # a closing note on a finished initiative is fine
    if errors:
        raise ValidationError(errors)
    update = StatusUpdate.objects.create(
        initiative=initiative, author=actor.person, health=health, text=text.strip(), date=date,
        source=actor.service_account.name if actor.service_account else "",
    )
    if status and status != initiative.status:
        initiative.status = status
        if status == S.SHIPPED:
            initiative.shipped_on = date
        initiative.save(update_fields=["status", "shipped_on", "updated_at"])
    _refresh_from_latest_update(initiative)
    return update


# -- milestones ----------------------------------------------------------------------------------
def _check_edit(actor: Actor, initiative: Initiative) -> None:
    if not policy.can_edit(actor, initiative):
        raise PermissionDenied("Only the owner, the team's EM/TL and the CTO may change this initiative.")


def _validate_milestone(milestone: Milestone) -> None:
    errors: dict[str, str] = {}
    if not (milestone.title or "").strip():
        errors["title"] = "Give the milestone a title."
    if milestone.due_date is None:
        errors["due_date"] = "A milestone has a due date."
    if milestone.done_date and milestone.done_date > timezone.localdate():
        errors["done_date"] = "A milestone cannot be done in the future."
    if errors:
        raise ValidationError(errors)
    milestone.title = milestone.title.strip()


@transaction.atomic
def milestone_create(*, actor: Actor, initiative: Initiative, title: str, due_date: date,
                     done_date: date | None = None, description: str = "") -> Milestone:
    _check_edit(actor, initiative)
    milestone = Milestone(initiative=initiative, title=title or "", due_date=due_date, done_date=done_date,
                          description=description or "")
    _validate_milestone(milestone)
    milestone.save()
    return milestone


@transaction.atomic
def milestone_update(*, actor: Actor, milestone: Milestone, **fields) -> Milestone:
    _check_edit(actor, milestone.initiative)
    for name, value in fields.items():
        if name not in ("title", "due_date", "done_date", "description"):
            raise ValidationError({name: "Unknown field."})
        setattr(milestone, name, "" if value is None and name == "description" else value)
    _validate_milestone(milestone)
    milestone.save()
    return milestone


@transaction.atomic
def milestone_delete(*, actor: Actor, milestone: Milestone) -> None:
    _check_edit(actor, milestone.initiative)
    milestone.delete()


# -- links from other apps -----------------------------------------------------------------------
def link_target_apps() -> tuple[str, ...]:
    """App labels whose objects may link to an initiative (sync decisions and action items,
    infrastructure requests). Overridable with the INITIATIVE_LINK_APPS setting."""
    return tuple(getattr(settings, "INITIATIVE_LINK_APPS", ("syncs", "infra")))


@transaction.atomic
def initiative_link_create(
    *, actor: Actor, initiative: Initiative, app_label: str, model: str, object_id: int, label: str = "",
) -> InitiativeLink:
    """Link an object of another app (``app_label.model`` #``object_id``) to an initiative.
    The target must exist. Idempotent: linking the same object again returns the link."""
    _check_edit_or_lead(actor, initiative)
    errors: dict[str, str] = {}
    model = (model or "").lower()
    if app_label not in link_target_apps():
        errors["target"] = f"Objects of {app_label!r} cannot be linked to initiatives."
    elif not apps.is_installed(f"apps.{app_label}"):
        errors["target"] = f"The {app_label} app is not installed."
    target_model = None
    if not errors:
        try:
            target_model = apps.get_model(app_label, model)
        except LookupError:
            errors["target"] = f"Unknown object type {app_label}.{model}."
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        errors["object_id"] = "The object id is a number."
    if errors:
        raise ValidationError(errors)
    # Only what the actor may see: a hidden object answers like a missing one (no oracle, no label).
    from apps.initiatives.selectors import link_targets_visible

    visible = link_targets_visible(actor=actor, model=target_model)
    target = visible.filter(pk=object_id).first() if visible is not None else None
    if target is None:
        raise ValidationError({"object_id": f"No {target_model._meta.verbose_name} #{object_id}."})
    label = (label or str(target)).strip()[:200]
    content_type = ContentType.objects.get_for_model(target_model)
    link, _ = InitiativeLink.objects.get_or_create(
        initiative=initiative, content_type=content_type, object_id=object_id,
        defaults={"label": label, "created_by": actor.user if getattr(actor.user, "pk", None) else None},
    )
    return link


def _check_edit_or_lead(actor: Actor, initiative: Initiative) -> None:
    """Linking references an initiative from a meeting or a request, so leadership (who run
    those meetings, e.g. Product Sync PMs) may link, as well as the initiative's editors."""
    from apps.core.roles import LEADERSHIP

    if policy.can_edit(actor, initiative) or (actor.person is not None and actor.role in LEADERSHIP):
        return
    raise PermissionDenied("You may not link objects to this initiative.")


def initiative_link_for(*, actor: Actor, initiative: Initiative, target) -> InitiativeLink:
    """Convenience for other apps: link a model instance (e.g. a Product Sync decision)."""
    meta = target._meta
    return initiative_link_create(actor=actor, initiative=initiative, app_label=meta.app_label,
                                  model=meta.model_name, object_id=target.pk, label=str(target))


@transaction.atomic
def initiative_link_delete(*, actor: Actor, link: InitiativeLink) -> None:
    if not (policy.can_edit(actor, link.initiative) or (actor.user is not None and link.created_by_id == actor.user.pk)):
        raise PermissionDenied("Only the initiative's editors or the person who linked it may remove the link.")
    link.delete()


# -- stale reminders -----------------------------------------------------------------------------
def stale_initiatives(*, today: date) -> list[Initiative]:
    """Planned or in-progress initiatives with no update for 14 days (or, with none ever,
    created 14 days ago or more)."""
    cutoff = today - timedelta(days=STALE_AFTER_DAYS)
    qs = Initiative.objects.filter(status__in=ACTIVE_STATUSES).select_related("owner", "team")
    return [i for i in qs.filter(last_update_on__lte=cutoff)] + [
        i for i in qs.filter(last_update_on__isnull=True, created_at__date__lte=cutoff)
    ]


def stale_reminders_send(*, today: date | None = None) -> int:
    """Email the owner of each stale initiative. Idempotent: a reminder is claimed by
    inserting the (initiative, day) row first, so a second run on the same day (or a
    re-delivered task) sends nothing; while an initiative stays stale its owner is reminded
    again every ``REMIND_EVERY_DAYS`` days. Returns the number of emails sent."""
    today = today or timezone.localdate()
    sent = 0
    for initiative in stale_initiatives(today=today):
        recent = StaleReminder.objects.filter(
            initiative=initiative, sent_on__gt=today - timedelta(days=REMIND_EVERY_DAYS)
        ).exists()
        if recent or not initiative.owner.email or not initiative.owner.is_active:
            continue
        try:
            with transaction.atomic():
                StaleReminder.objects.create(initiative=initiative, sent_on=today, recipient=initiative.owner.email)
                _send_stale_email(initiative, today=today)
        except IntegrityError:
            continue  # another worker claimed it first
        sent += 1
    return sent


def _send_stale_email(initiative: Initiative, *, today: date) -> None:
    last = initiative.last_update_on
    since = f"since {last:%d %b %Y}" if last else "since it was opened"
    url = settings.PORTAL_BASE_URL.rstrip("/") + initiative.get_absolute_url()
    send_mail(
        subject=f"[CTO Portal] No update on “{initiative.title}” {since}",
        message=(
            f"Hello {initiative.owner.full_name},\n\n"
            f"The initiative “{initiative.title}” ({initiative.team}) has had no status update {since}.\n"
            f"Please post a short update with its health: {url}\n\n"
            f"— CTO Portal (initiatives without an update for {STALE_AFTER_DAYS} days are flagged as stale)"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[initiative.owner.email],
    )
