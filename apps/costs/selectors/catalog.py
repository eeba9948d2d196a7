"""Anomalies, tool subscriptions, savings opportunities, tag rules, FX rates, accounts and the
most expensive resources: the lists behind their pages, scoped to the actor."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from apps.core.access import Actor, get_visible_or_404
from apps.costs.models import (
    AwsAccount,
    CostAnomaly,
    FxRate,
    SavingsOpportunity,
    TagRule,
    ToolSubscription,
    TopResource,
)
from apps.costs.selectors.currency import FxTable, MoneyTotal, money_total
from apps.costs.selectors.scope import _scope, can_admin_costs, can_view_costs, visible_team_ids


def anomaly_list(*, actor: Actor, status: str | None = None, open_only: bool = False) -> QuerySet[CostAnomaly]:
    if not can_view_costs(actor):
        return CostAnomaly.objects.none()
    qs = _scope(CostAnomaly.objects.select_related("team", "owner", "triaged_by"), actor)
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.filter(status__in=CostAnomaly.OPEN_STATUSES)
    return qs.order_by("-date", "-impact", "pk")


def anomaly_get(*, actor: Actor, pk: int) -> CostAnomaly:
    return get_visible_or_404(anomaly_list(actor=actor), pk=pk)


def open_anomalies_for_agenda(*, actor: Actor, since: date) -> QuerySet[CostAnomaly]:
    """What the Tech Sync agenda may offer: open anomalies since a day, biggest first."""
    return anomaly_list(actor=actor, open_only=True).filter(date__gte=since).order_by("-impact")


def subscription_list(*, actor: Actor, include_inactive: bool = False) -> QuerySet[ToolSubscription]:
    if not can_view_costs(actor):
        return ToolSubscription.objects.none()
    qs = _scope(ToolSubscription.objects.select_related("owner_team", "owner"), actor, "owner_team")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("vendor", "product", "pk")


def subscription_get(*, actor: Actor, pk: int) -> ToolSubscription:
    return get_visible_or_404(subscription_list(actor=actor, include_inactive=True), pk=pk)


def subscription_monthly_spend(*, actor: Actor, today: date, fx: FxTable | None = None) -> MoneyTotal:
    """Tool spend per month: in the reporting currency at today's rates, plus (in their own
    currency, in ``unconverted``) the subscriptions in a currency with no FX rate."""
    return money_total(((sub.monthly_cost, sub.currency) for sub in subscription_list(actor=actor)), day=today,
                       fx=fx)


def opportunity_list(*, actor: Actor, status: str | None = None) -> QuerySet[SavingsOpportunity]:
    if not can_view_costs(actor):
        return SavingsOpportunity.objects.none()
    qs = _scope(SavingsOpportunity.objects.select_related("team", "account"), actor)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-estimated_monthly", "title", "pk")


@dataclass
class OpportunityTotals:
    estimated: MoneyTotal  # open, in progress and done (not dismissed)
    realised: MoneyTotal  # done


def opportunity_totals(opportunities: Iterable[SavingsOpportunity], *, today: date,
                       fx: FxTable | None = None) -> OpportunityTotals:
    """The savings page's per-month totals, through the FX table (never dollars plus euros)."""
    fx = fx or FxTable()
    opportunities = list(opportunities)
    return OpportunityTotals(
        estimated=money_total(((o.estimated_monthly, o.currency) for o in opportunities
                               if o.status != SavingsOpportunity.Status.DISMISSED), day=today, fx=fx),
        realised=money_total(((o.realised_monthly or Decimal("0"), o.currency) for o in opportunities
                              if o.status == SavingsOpportunity.Status.DONE), day=today, fx=fx),
    )


def opportunity_get(*, actor: Actor, pk: int) -> SavingsOpportunity:
    return get_visible_or_404(opportunity_list(actor=actor), pk=pk)


def tag_rule_list(*, actor: Actor) -> QuerySet[TagRule]:
    """Attribution rules: finance and the CTO only (they change them)."""
    if not can_admin_costs(actor):
        return TagRule.objects.none()
    return TagRule.objects.select_related("team").order_by("tag_key", "tag_value", "pk")


def tag_rule_get(*, actor: Actor, pk: int) -> TagRule:
    return get_visible_or_404(tag_rule_list(actor=actor), pk=pk)


def fx_rate_list(*, actor: Actor) -> QuerySet[FxRate]:
    if not can_admin_costs(actor):
        return FxRate.objects.none()
    return FxRate.objects.order_by("currency", "-valid_from", "pk")


def fx_rate_get(*, actor: Actor, pk: int) -> FxRate:
    return get_visible_or_404(fx_rate_list(actor=actor), pk=pk)


def account_list(*, actor: Actor) -> QuerySet[AwsAccount]:
    if not can_view_costs(actor):
        return AwsAccount.objects.none()
    qs = AwsAccount.objects.select_related("default_team")
    if visible_team_ids(actor) is not None:
        qs = qs.filter(default_team__in=visible_team_ids(actor))
    return qs.order_by("name")


def resource_costs(*, actor: Actor, resource_ids: list[str], months: int = 6) -> list[TopResource]:
    """A resource's monthly cost, newest first (from the top-resources table: the month's most
    expensive resources), for the infra resource page. Empty for roles that do not see costs."""
    if not can_view_costs(actor) or not resource_ids:
        return []
    qs = _scope(TopResource.objects.filter(resource_id__in=resource_ids), actor)
    return list(qs.order_by("-month")[:months])


def top_resource_list(*, actor: Actor, month: date | None = None, limit: int = 10) -> QuerySet[TopResource]:
    """The most expensive resources of ``month`` (default: the latest imported month)."""
    if not can_view_costs(actor):
        return TopResource.objects.none()
    qs = _scope(TopResource.objects.select_related("team"), actor)
    if month is None:
        month = qs.order_by("-month").values_list("month", flat=True).first()
        if month is None:
            return qs.none()
    return qs.filter(month=month.replace(day=1)).order_by("-cost", "resource_id")[:limit]
