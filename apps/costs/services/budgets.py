"""Budgets and their once-per-threshold alerts."""
from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.costs import selectors
from apps.costs.models import (
    Budget,
    BudgetAlert,
)
from apps.costs.services._common import _require_admin
from apps.costs.services.anomalies import team_em
from apps.org.models import Person

BUDGET_FIELDS = ("name", "scope", "team", "account", "service", "period", "amount", "currency", "thresholds",
                 "alert_on_forecast", "is_active")


def _clean_budget(budget: Budget) -> None:
    errors: dict[str, str] = {}
    if budget.amount is None or budget.amount <= 0:
        errors["amount"] = "The budget must be more than zero."
    if budget.scope == Budget.Scope.TEAM and budget.team_id is None:
        errors["team"] = "A team budget needs a team."
    if budget.scope == Budget.Scope.ACCOUNT and budget.account_id is None:
        errors["account"] = "An account budget needs an account."
    if budget.scope == Budget.Scope.SERVICE and not budget.service:
        errors["service"] = "A service budget needs a service name."
    if budget.scope != Budget.Scope.TEAM:
        budget.team = None
    if budget.scope != Budget.Scope.ACCOUNT:
        budget.account = None
    if budget.scope != Budget.Scope.SERVICE:
        budget.service = ""
    thresholds = budget.thresholds if budget.thresholds is not None else []
    if not isinstance(thresholds, list) or not all(isinstance(t, int) and not isinstance(t, bool) and 1 <= t <= 1000
                                                   for t in thresholds):
        errors["thresholds"] = "Thresholds are whole percentages between 1 and 1000, e.g. [80, 100]."
    else:
        budget.thresholds = sorted(set(thresholds))
    if errors:
        raise ValidationError(errors)
    budget.full_clean(exclude=["team", "account"])


@transaction.atomic
def budget_create(*, actor: Actor, **fields) -> Budget:
    _require_admin(actor)
    unknown = set(fields) - set(BUDGET_FIELDS)
    if unknown:
        raise ValidationError({f: "Unknown field." for f in unknown})
    fields.setdefault("currency", settings.REPORTING_CURRENCY)
    fields.setdefault("thresholds", [80, 100])
    budget = Budget(**fields)
    _clean_budget(budget)
    budget.save()
    return budget


@transaction.atomic
def budget_update(*, actor: Actor, budget: Budget, **fields) -> Budget:
    _require_admin(actor)
    for name, value in fields.items():
        if name not in BUDGET_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(budget, name, value)
    _clean_budget(budget)
    budget.save()
    return budget


def _budget_recipients(budget: Budget) -> list[str]:
    roles = [Role.CTO, Role.FINANCE]
    emails = list(Person.objects.filter(is_active=True, role__in=roles).values_list("email", flat=True))
    if budget.team_id:
        em = team_em(budget.team)
        if em:
            emails.append(em.email)
    return sorted(set(emails))


def budget_alerts_check(*, today: date | None = None, notify: bool = True) -> list[BudgetAlert]:
    """Create the alerts every active budget has earned this period: each threshold reached,
    and "forecast over budget", once per budget, period and threshold (a unique constraint
    guards against two workers racing). New alerts are emailed. A budget whose spend cannot be
    expressed in its currency (no FX rate) is skipped until a rate is added."""
    today = today or timezone.now().date()
    fx = selectors.FxTable()
    created: list[BudgetAlert] = []
    budgets = Budget.objects.filter(is_active=True).select_related("team", "account")
    for status in selectors.budget_statuses_for(budgets, today=today, fx=fx):
        budget = status.budget
        if status.spent is None:  # no FX rate for the budget's currency: nothing honest to compare
            continue
        due: list[int] = [t for t in budget.thresholds if status.spent * 100 >= budget.amount * t]
        if budget.alert_on_forecast and status.forecast_over:
            due.append(BudgetAlert.FORECAST)
        for threshold in due:
            try:
                with transaction.atomic():
                    alert, is_new = BudgetAlert.objects.get_or_create(
                        budget=budget, period_start=status.period_start, threshold=threshold,
                        defaults={"spent": status.spent, "forecast": status.forecast, "currency": budget.currency},
                    )
            except IntegrityError:
                continue
            if is_new:
                created.append(alert)
            if is_new and notify:
                send_mail(
                    subject=f"[CTO Portal] Budget {budget.name}: {alert.label}",
                    message=(f"{budget.name} ({budget.get_period_display().lower()} budget {budget.amount} "
                             f"{budget.currency}): spent {status.spent}, forecast {status.forecast} "
                             f"{budget.currency} for {status.period_start:%Y-%m-%d} to {status.period_end:%Y-%m-%d}."),
                    from_email=None, recipient_list=_budget_recipients(budget), fail_silently=True,
                )
    return created
