"""Tool subscriptions, savings opportunities, tag rules and FX rates, schedules, idle-resource savings."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.core.currencies import ISO_4217
from apps.core.roles import Role
from apps.costs.models import (
    FxRate,
    SavingsOpportunity,
    TagRule,
    ToolSubscription,
    TopResource,
)
from apps.costs.services._common import CENT, SYSTEM, _require_admin
from apps.org.models import Person, Team

SUBSCRIPTION_FIELDS = ("vendor", "product", "category", "owner_team", "owner", "amount", "currency", "billing_period",
                       "seats_purchased", "seats_used", "renewal_date", "notice_days", "notes", "is_active")


def _save_subscription(sub: ToolSubscription) -> ToolSubscription:
    errors = {}
    if sub.seats_used is not None and sub.seats_purchased is not None and sub.seats_used > sub.seats_purchased:
        errors["seats_used"] = "More seats used than bought."
    clash = ToolSubscription.objects.filter(vendor__iexact=sub.vendor, product__iexact=sub.product).exclude(pk=sub.pk)
    if clash.exists():
        errors["product"] = f"{sub.vendor} {sub.product} is already tracked."
    if errors:
        raise ValidationError(errors)
    sub.full_clean(exclude=["owner_team", "owner"], validate_unique=False, validate_constraints=False)
    sub.save()
    return sub


@transaction.atomic
def tool_subscription_create(*, actor: Actor, **fields) -> ToolSubscription:
    _require_admin(actor)
    unknown = set(fields) - set(SUBSCRIPTION_FIELDS)
    if unknown:
        raise ValidationError({f: "Unknown field." for f in unknown})
    fields.setdefault("currency", settings.REPORTING_CURRENCY)
    return _save_subscription(ToolSubscription(**fields))


@transaction.atomic
def tool_subscription_update(*, actor: Actor, subscription: ToolSubscription, **fields) -> ToolSubscription:
    _require_admin(actor)
    for name, value in fields.items():
        if name not in SUBSCRIPTION_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(subscription, name, value)
    return _save_subscription(subscription)


REMINDER_DAYS = 14


def subscription_reminders_send(*, today: date | None = None) -> list[ToolSubscription]:
    """Email the owner and finance when a renewal's notice deadline is within two weeks; once
    per renewal date (``reminder_sent_for``, claimed with a conditional UPDATE)."""
    today = today or timezone.now().date()
    sent = []
    for sub in ToolSubscription.objects.filter(is_active=True, renewal_date__isnull=False).select_related("owner"):
        deadline = sub.notice_deadline
        if not (today <= deadline <= today + timedelta(days=REMINDER_DAYS)):
            continue
        claimed = ToolSubscription.objects.filter(pk=sub.pk).exclude(reminder_sent_for=sub.renewal_date).update(
            reminder_sent_for=sub.renewal_date)
        if not claimed:
            continue
        recipients = set(Person.objects.filter(is_active=True, role=Role.FINANCE).values_list("email", flat=True))
        if sub.owner:
            recipients.add(sub.owner.email)
        send_mail(
            subject=f"[CTO Portal] {sub}: cancel or renegotiate by {deadline:%Y-%m-%d}",
            message=(f"{sub} renews on {sub.renewal_date:%Y-%m-%d} ({sub.amount} {sub.currency} "
                     f"{sub.get_billing_period_display().lower()}); the notice period ends {deadline:%Y-%m-%d}."),
            from_email=None, recipient_list=sorted(recipients), fail_silently=True,
        )
        sent.append(sub)
    return sent


# -- Savings opportunities -------------------------------------------------------------------------------
OPPORTUNITY_FIELDS = ("title", "source", "external_id", "account", "service", "team", "estimated_monthly",
                      "realised_monthly", "currency", "status", "notes")


def _save_opportunity(opp: SavingsOpportunity) -> SavingsOpportunity:
    if opp.status == SavingsOpportunity.Status.DONE and opp.realised_monthly is None:
        raise ValidationError({"realised_monthly": "Record the realised monthly saving when it is done."})
    if opp.external_id and SavingsOpportunity.objects.filter(
            source=opp.source, external_id=opp.external_id).exclude(pk=opp.pk).exists():
        raise ValidationError({"external_id": "This recommendation is already tracked."})
    opp.full_clean(exclude=["account", "team"], validate_unique=False, validate_constraints=False)
    opp.save()
    return opp


@transaction.atomic
def savings_opportunity_create(*, actor: Actor, **fields) -> SavingsOpportunity:
    """A person's opportunity: its estimate is theirs (``estimate_source`` "entered")."""
    _require_admin(actor)
    unknown = set(fields) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError({f: "Unknown field." for f in unknown})
    fields.setdefault("currency", settings.REPORTING_CURRENCY)
    return _save_opportunity(SavingsOpportunity(estimate_source=SavingsOpportunity.EstimateSource.ENTERED, **fields))


@transaction.atomic
def savings_opportunity_update(*, actor: Actor, opportunity: SavingsOpportunity, **fields) -> SavingsOpportunity:
    """A person changing the estimate (or its currency) makes it theirs: syncs no longer
    refresh it. Saving the form with the estimate unchanged leaves it to the sync."""
    _require_admin(actor)
    estimate = (opportunity.estimated_monthly, opportunity.currency)
    for name, value in fields.items():
        if name not in OPPORTUNITY_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(opportunity, name, value)
    if (opportunity.estimated_monthly, opportunity.currency) != estimate:
        opportunity.estimate_source = SavingsOpportunity.EstimateSource.ENTERED
    return _save_opportunity(opportunity)


# -- Tag rules and FX rates (finance and the CTO, in the portal) -----------------------------------------
def _save_tag_rule(rule: TagRule) -> TagRule:
    rule.tag_key, rule.tag_value = rule.tag_key.strip(), rule.tag_value.strip()
    errors = {}
    if not rule.tag_key:
        errors["tag_key"] = "A tag key is required."
    if not rule.tag_value:
        errors["tag_value"] = "A tag value is required."
    if rule.team_id is None:
        errors["team"] = "Choose the team the tagged costs belong to."
    if not errors and TagRule.objects.filter(tag_key__iexact=rule.tag_key, tag_value__iexact=rule.tag_value).exclude(
            pk=rule.pk).exists():
        errors["tag_value"] = f"{rule.tag_key}={rule.tag_value} already has a rule."
    if errors:
        raise ValidationError(errors)
    rule.full_clean(validate_unique=False, validate_constraints=False)
    rule.save()
    return rule


@transaction.atomic
def tag_rule_create(*, actor: Actor, tag_key: str, tag_value: str, team: Team | None) -> TagRule:
    """A new attribution rule; it applies to imports and syncs from now on (facts already
    imported keep their team until their period is imported again)."""
    _require_admin(actor)
    return _save_tag_rule(TagRule(tag_key=tag_key or "", tag_value=tag_value or "", team=team))


@transaction.atomic
def tag_rule_update(*, actor: Actor, rule: TagRule, tag_key: str, tag_value: str, team: Team | None) -> TagRule:
    _require_admin(actor)
    rule.tag_key, rule.tag_value, rule.team = tag_key or "", tag_value or "", team
    return _save_tag_rule(rule)


@transaction.atomic
def tag_rule_delete(*, actor: Actor, rule: TagRule) -> None:
    _require_admin(actor)
    rule.delete()


def _save_fx_rate(rate: FxRate) -> FxRate:
    rate.currency = (rate.currency or "").strip().upper()
    errors = {}
    if rate.currency not in ISO_4217:
        errors["currency"] = "A currency is an ISO 4217 code in use, such as EUR."
    elif rate.currency == settings.REPORTING_CURRENCY:
        errors["currency"] = f"{rate.currency} is the reporting currency: its rate is always 1."
    if rate.rate is None or rate.rate <= 0:
        errors["rate"] = "A rate is more than zero."
    if rate.valid_from is None:
        errors["valid_from"] = "The day the rate applies from is required."
    if not errors and FxRate.objects.filter(currency=rate.currency, valid_from=rate.valid_from).exclude(
            pk=rate.pk).exists():
        errors["valid_from"] = f"{rate.currency} already has a rate from {rate.valid_from}."
    if errors:
        raise ValidationError(errors)
    rate.full_clean(validate_unique=False, validate_constraints=False)
    rate.save()
    return rate


@transaction.atomic
def fx_rate_create(*, actor: Actor, currency: str, valid_from: date, rate: Decimal) -> FxRate:
    _require_admin(actor)
    return _save_fx_rate(FxRate(currency=currency, valid_from=valid_from, rate=rate))


@transaction.atomic
def fx_rate_update(*, actor: Actor, fx_rate: FxRate, currency: str, valid_from: date, rate: Decimal) -> FxRate:
    _require_admin(actor)
    fx_rate.currency, fx_rate.valid_from, fx_rate.rate = currency, valid_from, rate
    return _save_fx_rate(fx_rate)


@transaction.atomic
def fx_rate_delete(*, actor: Actor, fx_rate: FxRate) -> None:
    _require_admin(actor)
    fx_rate.delete()


# -- Schedules -----------------------------------------------------------------------------------------------
DAILY_TASK_NAME = "costs: daily sync, anomalies, budgets"


def costs_schedule_ensure() -> None:
    """The daily beat schedule (06:15 UTC), created once and left as edited in the admin."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask.objects.filter(name=DAILY_TASK_NAME).exists():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(minute="15", hour="6", day_of_week="*", day_of_month="*",
                                                       month_of_year="*", timezone="UTC")
    PeriodicTask.objects.create(name=DAILY_TASK_NAME, task="costs.daily_task", crontab=crontab)


# -- Savings from the infra app's idle findings ---------------------------------------------------
IDLE_FINDING_KINDS = ("stopped_with_volumes", "unattached_volume", "empty_bucket", "idle_function")


@transaction.atomic
def savings_from_idle_findings(*, today: date | None = None) -> dict[str, int]:
    """Idle resources found by the infra inventory become savings opportunities (source
    "idle"), keyed by finding kind + ARN so re-running creates nothing twice. The estimate is
    the resource's cost in the latest month the top-resources table knows, else zero ("to be
    estimated"). A re-run refreshes only an estimate the sync computed itself or one still to
    be estimated — an estimate a person entered is kept, as are the status and notes. An open
    opportunity whose finding was resolved is marked done."""
    from django.apps import apps as django_apps

    if not django_apps.is_installed("apps.infra"):
        return {"created": 0, "updated": 0, "closed": 0}
    from apps.infra import selectors as infra_selectors

    findings = list(infra_selectors.finding_list(actor=SYSTEM, include_resolved=True)
                    .filter(kind__in=IDLE_FINDING_KINDS))
    arns = {f.resource.arn for f in findings} | {f.resource.resource_id for f in findings}
    latest: dict[str, tuple[Decimal, str]] = {}
    for row in TopResource.objects.filter(resource_id__in=arns).order_by("month"):
        latest[row.resource_id] = (row.cost.quantize(CENT), row.currency)
    existing = {o.external_id: o for o in SavingsOpportunity.objects.filter(source=SavingsOpportunity.Source.IDLE)}
    counts = {"created": 0, "updated": 0, "closed": 0}
    Estimate = SavingsOpportunity.EstimateSource
    for finding in findings:
        resource = finding.resource
        key = f"{finding.kind}:{resource.arn}"[:255]
        opportunity = existing.get(key)
        if finding.resolved_at is not None:
            if opportunity and opportunity.status == SavingsOpportunity.Status.OPEN:
                opportunity.status = SavingsOpportunity.Status.DONE
                opportunity.notes = (opportunity.notes + "\nThe finding was resolved by the inventory sync.").strip()
                opportunity.save(update_fields=["status", "notes", "updated_at"])
                counts["closed"] += 1
            continue
        known = latest.get(resource.arn) or latest.get(resource.resource_id)
        fields = {
            "title": f"{finding.get_kind_display()}: {resource.name or resource.resource_id}"[:200],
            "account": resource.account, "service": resource.get_kind_display()[:200], "team": finding.team,
        }
        if opportunity is None:
            amount, currency = known or (Decimal("0.00"), settings.REPORTING_CURRENCY)
            SavingsOpportunity.objects.create(
                source=SavingsOpportunity.Source.IDLE, external_id=key, notes=finding.detail, estimated_monthly=amount,
                currency=currency, estimate_source=Estimate.COMPUTED if known else Estimate.PENDING, **fields)
            counts["created"] += 1
            continue
        if known and opportunity.estimate_source != Estimate.ENTERED:
            fields.update(estimated_monthly=known[0], currency=known[1], estimate_source=Estimate.COMPUTED)
        if any(getattr(opportunity, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(opportunity, k, v)
            opportunity.save(update_fields=[*fields, "updated_at"])
            counts["updated"] += 1
    return counts
