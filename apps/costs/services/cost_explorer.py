"""Cost Explorer pulls: daily costs, tags, forecasts and rightsizing recommendations."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.core.aws import error_code, is_access_denied, is_throttling
from apps.core.models import SyncRun
from apps.costs import importers, selectors, sources
from apps.costs.models import (
    AwsAccount,
    Budget,
    CostEntry,
    CostForecast,
    CostSource,
    CostTagEntry,
    SavingsOpportunity,
)
from apps.costs.services._common import BATCH_SIZE, CE_BACKFILL_DAYS, CE_RESTATE_DAYS, CENT, _require_admin
from apps.costs.services.imports import _attribution, cost_rollup_refresh


@dataclass
class AccountSyncResult:
    account_id: str
    status: str  # "ok", "access_denied", "error"
    start: str = ""
    end: str = ""
    entries: int = 0
    calls: int = 0
    error: str = ""


def ce_window(*, account: AwsAccount, today: date) -> tuple[date, date]:
    """[start, end) for this account: a 12-month backfill the first time, afterwards only the
    last few days (Cost Explorer restates recent days; each request costs $0.01)."""
    has_data = CostEntry.objects.filter(account=account, source=CostSource.CE).exists()
    start = today - timedelta(days=CE_RESTATE_DAYS if has_data else CE_BACKFILL_DAYS)
    return start, today


def cost_explorer_sync(
    *, actor: Actor, account_ids: list[str] | None = None, today: date | None = None, run: SyncRun | None = None,
    client_factory: Callable[[AwsAccount], object] = sources.ce_client_for,
    sleep: Callable[[float], None] = time.sleep,
    on_account: Callable[[int, int, AccountSyncResult], None] | None = None,
) -> list[AccountSyncResult]:
    """Pull daily costs for every enabled account (or ``account_ids``). Each account is its own
    transaction: an account that answers AccessDenied (or keeps throttling) is recorded and the
    others go on. Calls made are added to ``run.aws_calls``."""
    from apps.core import services as core_services

    _require_admin(actor)
    today = today or timezone.now().date()
    accounts = AwsAccount.objects.filter(enabled=True).select_related("default_team").order_by("account_id")
    if account_ids:
        accounts = accounts.filter(account_id__in=account_ids)
        missing = set(account_ids) - set(accounts.values_list("account_id", flat=True))
        if missing:
            raise ValidationError({"account": f"Unknown or disabled account(s): {', '.join(sorted(missing))}."})
    accounts = list(accounts)
    payer = next((a for a in accounts if a.is_payer), None) or AwsAccount.objects.filter(is_payer=True).first()
    attribution = _attribution()
    if run is not None:
        core_services.syncrun_progress(run=run, total=len(accounts), done=0)
    results: list[AccountSyncResult] = []
    for account in accounts:
        start, end = ce_window(account=account, today=today)
        calls = sources.AwsCallCount()
        outcome = AccountSyncResult(account_id=account.account_id, status="ok", start=start.isoformat(),
                                    end=end.isoformat())
        try:
            client = client_factory(account)
            records = list(sources.cost_and_usage(client, account_id=account.account_id, start=start, end=end,
                                                  calls=calls, sleep=sleep))
            tag_records = [
                record
                for tag_key in settings.COST_CE_TAG_KEYS if tag_key.lower() != sources.TEAM_TAG_KEY
                for record in sources.cost_by_tag_key(client, account_id=account.account_id, start=start, end=end,
                                                      tag_key=tag_key, calls=calls, sleep=sleep)
            ]
            outcome.entries = _replace_ce_window(account=account, payer=payer, start=start, end=end,
                                                 records=records, attribution=attribution, tag_records=tag_records)
        except Exception as exc:  # one account's failure must not stop the others
            if is_access_denied(exc):
                outcome.status = "access_denied"
            else:
                outcome.status = "error"
            code = error_code(exc)
            outcome.error = f"{code}: {exc}" if code else f"{type(exc).__name__}: {exc}"
            if not (code or is_throttling(exc)) and not isinstance(exc, OSError | ValueError | KeyError):
                # A programming error is not an AWS answer: still recorded, but visible in logs.
                import logging

                logging.getLogger(__name__).exception("Cost Explorer sync of %s failed", account.account_id)
        outcome.calls = calls.count
        results.append(outcome)
        if run is not None:
            core_services.syncrun_progress(run=run, advance=1, rows=outcome.entries, aws_calls=calls.count,
                                           message=f"{account.name}: {outcome.status}")
        if on_account is not None:
            on_account(len(results), len(accounts), outcome)
    return results


@transaction.atomic
def _replace_ce_window(*, account: AwsAccount, payer: AwsAccount | None, start: date, end: date,
                       records: list[sources.CeRecord], attribution: importers.Attribution,
                       tag_records: list[sources.CeTagRecord] = ()) -> int:
    """Replace this account's AWS facts for [start, end) with what Cost Explorer answered."""
    old_months = set(CostEntry.objects.filter(provider="AWS", sub_account_id=account.account_id, date__gte=start,
                                              date__lt=end).dates("date", "month"))
    CostEntry.objects.filter(provider="AWS", sub_account_id=account.account_id, date__gte=start, date__lt=end).delete()
    CostTagEntry.objects.filter(provider="AWS", sub_account_id=account.account_id, date__gte=start,
                                date__lt=end).delete()
    facts: dict[tuple, list[Decimal]] = {}
    tag_facts: dict[tuple, list[Decimal]] = {}
    tracked = attribution.tag_keys
    for r in records:
        tags = {"team": r.team_tag} if r.team_tag else {}
        team_id, _ = attribution.resolve_tags(tags, account.account_id)
        key = (r.date, r.service[:200], team_id, r.currency)
        fact = facts.setdefault(key, [Decimal("0"), Decimal("0")])
        fact[0] += r.unblended
        fact[1] += r.amortized
        for tag_key, tag_value in (attribution.tag_pairs(tags) if "team" in tracked else ()):
            entry = tag_facts.setdefault((r.date, tag_key, tag_value, r.currency), [Decimal("0"), Decimal("0")])
            entry[0] += r.unblended
            entry[1] += r.amortized
    for t in tag_records:  # the GroupBy TAG pulls: the same cost again, by one tag key
        for tag_key, tag_value in attribution.tag_pairs({t.tag_key: t.tag_value}):
            entry = tag_facts.setdefault((t.date, tag_key, tag_value, t.currency), [Decimal("0"), Decimal("0")])
            entry[0] += t.unblended
            entry[1] += t.amortized
    billing_account = payer.account_id if payer else account.account_id
    entries = [
        CostEntry(date=day, billing_period=day.replace(day=1), provider="AWS", billing_account_id=billing_account,
                  sub_account_id=account.account_id, sub_account_name=account.name, account=account,
                  service=service, region="", team_id=team_id, cost=cost, amortized_cost=amortized,
                  currency=currency, source=CostSource.CE)
        for (day, service, team_id, currency), (cost, amortized) in facts.items()
    ]
    CostEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
    CostTagEntry.objects.bulk_create([
        CostTagEntry(date=day, billing_period=day.replace(day=1), provider="AWS", billing_account_id=billing_account,
                     sub_account_id=account.account_id, tag_key=tag_key, tag_value=tag_value, currency=currency,
                     cost=cost, amortized_cost=amortized, source=CostSource.CE)
        for (day, tag_key, tag_value, currency), (cost, amortized) in tag_facts.items()
    ], batch_size=BATCH_SIZE)
    new_months = {d.replace(day=1) for d, *_ in facts}
    cost_rollup_refresh(months=old_months | new_months, provider="AWS", sub_account_id=account.account_id)
    return len(entries)


def _forecast_filter(budget: Budget) -> dict | None:
    if budget.scope == Budget.Scope.TEAM:
        return {"Tags": {"Key": sources.TEAM_TAG_KEY, "Values": [budget.team.slug]}}
    if budget.scope == Budget.Scope.ACCOUNT:
        return {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [budget.account.account_id]}}
    if budget.scope == Budget.Scope.SERVICE:
        return {"Dimensions": {"Key": "SERVICE", "Values": [budget.service]}}
    return None


def budget_forecasts_sync(
    *, actor: Actor, today: date | None = None, client_factory: Callable[[AwsAccount], object] = sources.ce_client_for,
    sleep: Callable[[float], None] = time.sleep, run: SyncRun | None = None,
) -> list[CostForecast]:
    """Cost Explorer's forecast (GetCostForecast, read in the payer account) for the rest of
    each active budget's period, one request per budget ($0.01 each), upserted per budget and
    period. A budget Cost Explorer cannot forecast (too little history) keeps the run-rate.
    Team budgets are forecast through the ``team`` cost-allocation tag."""
    from apps.core import services as core_services

    _require_admin(actor)
    today = today or timezone.now().date()
    payer = AwsAccount.objects.filter(is_payer=True, enabled=True).first()
    if payer is None:
        return []
    client = client_factory(payer)
    calls = sources.AwsCallCount()
    saved: list[CostForecast] = []
    try:
        for budget in Budget.objects.filter(is_active=True).select_related("team", "account").order_by("pk"):
            start, end = selectors.period_bounds(today, budget.period)
            result = sources.cost_forecast(client, start=today, end=end + timedelta(days=1),
                                           filter_=_forecast_filter(budget), calls=calls, sleep=sleep)
            if result is None:
                CostForecast.objects.filter(budget=budget, period_start=start).delete()
                continue
            amount, currency = result
            forecast, _ = CostForecast.objects.update_or_create(
                budget=budget, period_start=start,
                defaults={"as_of": today, "amount": amount, "currency": currency, "fetched_at": timezone.now()})
            saved.append(forecast)
    finally:
        if run is not None:
            core_services.syncrun_progress(run=run, aws_calls=calls.count)
    return saved


def rightsizing_sync(
    *, actor: Actor, client_factory: Callable[[AwsAccount], object] = sources.ce_client_for,
    sleep: Callable[[float], None] = time.sleep, run: SyncRun | None = None,
) -> list[SavingsOpportunity]:
    """Cost Explorer's EC2 rightsizing recommendations (read in the payer account) as savings
    opportunities, upserted by (source, account:resource:action): a re-run updates AWS's
    estimate unless a person entered their own, and keeps the status and notes the team set."""
    from apps.core import services as core_services

    _require_admin(actor)
    payer = AwsAccount.objects.filter(is_payer=True, enabled=True).first()
    if payer is None:
        return []
    calls = sources.AwsCallCount()
    try:
        records = list(sources.rightsizing_recommendations(client_factory(payer), calls=calls, sleep=sleep))
    finally:
        if run is not None:
            core_services.syncrun_progress(run=run, aws_calls=calls.count)
    accounts = {a.account_id: a for a in AwsAccount.objects.select_related("default_team")}
    out = []
    with transaction.atomic():
        for r in records:
            account = accounts.get(r.account_id)
            what = f"to {r.target_type}" if r.action == "Modify" else "(idle: terminate)"
            key = f"{r.account_id}:{r.resource_id}:{r.action}"[:255]
            fields = {"title": f"Rightsize {r.instance_name or r.resource_id} ({r.current_type}) {what}"[:200],
                      "account": account, "service": "Amazon Elastic Compute Cloud",
                      "team": account.default_team if account else None}
            estimate = {"estimated_monthly": r.monthly_savings.quantize(CENT), "currency": r.currency,
                        "estimate_source": SavingsOpportunity.EstimateSource.COMPUTED}
            opp = SavingsOpportunity.objects.select_for_update().filter(
                source=SavingsOpportunity.Source.RIGHTSIZING, external_id=key).first()
            if opp is None:
                opp = SavingsOpportunity.objects.create(source=SavingsOpportunity.Source.RIGHTSIZING, external_id=key,
                                                        **fields, **estimate)
            else:
                if opp.estimate_source != SavingsOpportunity.EstimateSource.ENTERED:
                    fields.update(estimate)
                for name, value in fields.items():
                    setattr(opp, name, value)
                opp.save(update_fields=[*fields, "updated_at"])
            out.append(opp)
    return out
