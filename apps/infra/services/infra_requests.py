"""The infrastructure request workflow: file, approve or reject, provision, link resources,
comment; every step written to the request's event log."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.core.currencies import ISO_4217
from apps.infra import policy
from apps.infra.models import (
    SLA_WORKING_DAYS,
    InfraRequest,
    InfraRequestComment,
    InfraRequestEvent,
    Resource,
)
from apps.infra.services._common import WorkflowConflict
from apps.org.models import Team


# == Infrastructure requests ========================================================================
def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Saturday and Sunday skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def _event(*, request: InfraRequest, actor: Actor, action: str, from_status: str = "", to_status: str = "",
           note: str = "") -> InfraRequestEvent:
    label = str(actor.person) if actor.person else (actor.user.get_username() if actor.user else "system")
    return InfraRequestEvent.objects.create(
        request=request, actor=actor.user if getattr(actor.user, "pk", None) else None, actor_label=label[:150],
        action=action, from_status=from_status, to_status=to_status, note=note,
    )


def _clean_money(value) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"estimated_monthly_cost": "Enter an amount such as 120.50."}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({"estimated_monthly_cost": "The estimated monthly cost cannot be negative."})
    if amount >= Decimal("10000000000"):
        raise ValidationError({"estimated_monthly_cost": "The estimated monthly cost is too large."})
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def infra_request_create(*, actor: Actor, title: str, team: Team | None, kind: str, description: str,
                         estimated_monthly_cost=Decimal("0"), currency: str | None = None,
                         needed_by: date | None = None) -> InfraRequest:
    if not policy.can_create_request(actor):
        raise PermissionDenied("Your role may not file infrastructure requests.")
    if actor.person is None:
        raise ValidationError("Only people in the org may file requests (your account has no person record).")
    errors: dict[str, str] = {}
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        errors["title"] = "Give the request a short title."
    elif len(title) > 200:
        errors["title"] = "The title is longer than 200 characters."
    if not description:
        errors["description"] = "Describe what is needed and why."
    if kind not in InfraRequest.Kind.values:
        errors["kind"] = f"Choose one of: {', '.join(InfraRequest.Kind.values)}."
    if team is None:
        errors["team"] = "Choose the team the request is for."
    elif not policy.can_request_for_team(actor, team.pk):
        errors["team"] = "You may only file requests for your own team(s)."
    currency = (currency or settings.REPORTING_CURRENCY).strip().upper()
    if currency not in ISO_4217:
        errors["currency"] = "Use an ISO 4217 currency code in use, such as USD."
    if needed_by is not None and needed_by < timezone.localdate():
        errors["needed_by"] = "The needed-by date is in the past."
    try:
        amount = _clean_money(estimated_monthly_cost)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        amount = Decimal("0")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    request = InfraRequest.objects.create(
        title=title, requester=actor.person, team=team, kind=kind, description=description,
        estimated_monthly_cost=amount, currency=currency, needed_by=needed_by,
        due_at=add_working_days(now, SLA_WORKING_DAYS),
    )
    _event(request=request, actor=actor, action=InfraRequestEvent.Action.SUBMITTED,
           to_status=InfraRequest.Status.SUBMITTED)
    return request


def _lock(request: InfraRequest) -> InfraRequest:
    return InfraRequest.objects.select_for_update().get(pk=request.pk)


def _decide(*, actor: Actor, request: InfraRequest, to_status: str, note: str) -> InfraRequest:
    if not policy.can_decide(actor):
        raise PermissionDenied("Only the CTO approves or rejects infrastructure requests.")
    locked = _lock(request)
    if actor.person_id is not None and locked.requester_id == actor.person_id:
        raise PermissionDenied("You cannot decide on your own request.")
    if locked.status != InfraRequest.Status.SUBMITTED:
        raise WorkflowConflict({"status": f"The request is {locked.get_status_display().lower()} already."})
    previous = locked.status
    locked.status = to_status
    locked.decided_by = actor.person
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    _event(request=locked, actor=actor, action=to_status, from_status=previous, to_status=to_status, note=note)
    return locked


@transaction.atomic
def infra_request_approve(*, actor: Actor, request: InfraRequest, note: str = "") -> InfraRequest:
    return _decide(actor=actor, request=request, to_status=InfraRequest.Status.APPROVED, note=(note or "").strip())


@transaction.atomic
def infra_request_reject(*, actor: Actor, request: InfraRequest, note: str = "") -> InfraRequest:
    note = (note or "").strip()
    if not note:
        if not policy.can_decide(actor):
            raise PermissionDenied("Only the CTO approves or rejects infrastructure requests.")
        raise ValidationError({"note": "Say why the request is rejected."})
    return _decide(actor=actor, request=request, to_status=InfraRequest.Status.REJECTED, note=note)


def _link(*, actor: Actor, request: InfraRequest, resources: Iterable[Resource]) -> int:
    ids = sorted({r.pk for r in resources})
    if not ids:
        return 0
    clash = Resource.objects.filter(pk__in=ids, request__isnull=False).exclude(request=request)
    if clash.exists():
        names = ", ".join(str(r) for r in clash[:5])
        raise ValidationError({"resources": f"Already linked to another request: {names}."})
    linked = Resource.objects.filter(pk__in=ids).exclude(request=request).update(
        request=request, request_link=Resource.Link.MANUAL, updated_at=timezone.now())
    if linked:
        names = ", ".join(Resource.objects.filter(pk__in=ids).order_by("pk").values_list("arn", flat=True)[:20])
        _event(request=request, actor=actor, action=InfraRequestEvent.Action.LINKED, note=names)
    return linked


@transaction.atomic
def infra_request_provision(*, actor: Actor, request: InfraRequest, resources: Iterable[Resource] = (),
                            note: str = "") -> InfraRequest:
    """Mark an approved request provisioned, linking the resources that fulfil it."""
    if not policy.can_decide(actor):
        raise PermissionDenied("Only the CTO marks requests provisioned.")
    locked = _lock(request)
    if locked.status != InfraRequest.Status.APPROVED:
        raise WorkflowConflict({"status": f"Only an approved request can be provisioned; this one is "
                                          f"{locked.get_status_display().lower()}."})
    _link(actor=actor, request=locked, resources=resources)
    locked.status = InfraRequest.Status.PROVISIONED
    locked.provisioned_by = actor.person
    locked.provisioned_at = timezone.now()
    locked.save(update_fields=["status", "provisioned_by", "provisioned_at", "updated_at"])
    _event(request=locked, actor=actor, action=InfraRequestEvent.Action.PROVISIONED,
           from_status=InfraRequest.Status.APPROVED, to_status=InfraRequest.Status.PROVISIONED, note=(note or "").strip())
    return locked


@transaction.atomic
def infra_request_link_resources(*, actor: Actor, request: InfraRequest, resources: Iterable[Resource]) -> int:
    if not policy.can_decide(actor):
        raise PermissionDenied("Only the CTO links resources to requests.")
    locked = _lock(request)
    if locked.status not in (InfraRequest.Status.APPROVED, InfraRequest.Status.PROVISIONED):
        raise WorkflowConflict({"status": "Resources can be linked only to approved or provisioned requests."})
    resources = list(resources)
    if not resources:
        raise ValidationError({"resources": "Choose at least one resource."})
    return _link(actor=actor, request=locked, resources=resources)


@transaction.atomic
def infra_request_comment(*, actor: Actor, request: InfraRequest, body: str) -> InfraRequestComment:
    """Comment on a request the actor can see (callers fetch it through the selector)."""
    if actor.person is None or actor.is_service:
        raise PermissionDenied("Only people in the org may comment.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "The comment is empty."})
    if len(body) > 10_000:
        raise ValidationError({"body": "The comment is longer than 10,000 characters."})
    comment = InfraRequestComment.objects.create(request=request, author=actor.person, body=body)
    _event(request=request, actor=actor, action=InfraRequestEvent.Action.COMMENTED, note=body[:500])
    return comment
