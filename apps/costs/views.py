"""Cost pages: parse input, call a selector or service, render. Access: see apps.costs.selectors."""
from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core import services as core_services
from apps.core.access import require_role
from apps.core.models import SyncRun
from apps.core.views import portal_view, submit_form
from apps.costs import selectors, services, tasks
from apps.costs.forms import (
    BudgetForm,
    CostImportForm,
    ExplorerForm,
    FxRateForm,
    OpportunityForm,
    SubscriptionForm,
    TagRuleForm,
    TriageForm,
)
from apps.costs.models import AwsAccount, CostAnomaly, SavingsOpportunity

VIEW_ROLES = selectors.COST_VIEW_ROLES
ADMIN_ROLES = selectors.COST_ADMIN_ROLES
PALETTE = ["#0d6efd", "#6610f2", "#d63384", "#fd7e14", "#198754", "#20c997", "#0dcaf0", "#ffc107", "#6f42c1",
           "#dc3545", "#adb5bd"]


def _explorer(request) -> tuple[ExplorerForm, dict]:
    """The explorer query from GET; an invalid one shows its errors and falls back to the default."""
    form = ExplorerForm(request.GET)
    if form.is_valid():
        return form, form.query()
    fallback = ExplorerForm({})
    fallback.is_valid()
    return form, fallback.query()


@portal_view
def overview(request):
    """The cost explorer: date range, group by, daily or monthly, stacked chart and table."""
    require_role(request.actor, *VIEW_ROLES)
    form, q = _explorer(request)
    agg = selectors.cost_aggregate(actor=request.actor, top=10, **q)
    chart = {
        "labels": [p.isoformat() for p in agg.periods],
        "datasets": [
            {"label": g["label"], "data": [str(g["values"].get(p, 0)) for p in agg.periods],
             "backgroundColor": PALETTE[i % len(PALETTE)]}
            for i, g in enumerate(agg.groups)
        ],
        "currency": agg.currency,
    }
    today = timezone.now().date()
    return render(request, "costs/overview.html", {
        "form": form, "agg": agg, "chart": chart,
        "options": selectors.cost_filter_options(actor=request.actor, start=q["start"], end=q["end"]),
        "query": request.GET.urlencode(), "is_admin": selectors.can_admin_costs(request.actor),
        "tools_monthly": selectors.subscription_monthly_spend(actor=request.actor, today=today),
        "open_anomalies": selectors.anomaly_list(actor=request.actor, open_only=True).count(),
        "top_resources": list(selectors.top_resource_list(actor=request.actor, month=q["end"])),
    })


@portal_view
def export_csv(request):
    """The explorer's table as CSV, through the same scoped selector as the page: one row per
    period and group, in cents that add up to the page's total. Costs in a currency with no FX
    rate follow in their own currency (the currency column says which), never left out."""
    require_role(request.actor, *VIEW_ROLES)
    _, q = _explorer(request)
    agg = selectors.cost_aggregate(actor=request.actor, **q)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="costs-{q["start"]}-{q["end"]}.csv"'
    writer = csv.writer(response)
    writer.writerow(["period", q["group_by"], "cost", "currency"])
    for row in agg.as_rows():
        writer.writerow([row["period"].isoformat(), row["label"], str(row["cost"]), row["currency"]])
    return response


# -- Budgets -----------------------------------------------------------------------------------------
@portal_view
def budget_list(request):
    require_role(request.actor, *VIEW_ROLES)
    today = timezone.now().date()
    return render(request, "costs/budget_list.html", {
        "statuses": selectors.budget_statuses(actor=request.actor, today=today),
        "alerts": selectors.budget_alert_list(actor=request.actor, since=today.replace(day=1))[:20],
        "is_admin": selectors.can_admin_costs(request.actor),
    })


@portal_view
def budget_detail(request, pk: int):
    require_role(request.actor, *VIEW_ROLES)
    budget = selectors.budget_get(actor=request.actor, pk=pk)
    status = selectors.budget_status(budget=budget, today=timezone.now().date())
    return render(request, "costs/budget_detail.html", {
        "budget": budget, "status": status, "alerts": budget.alerts.all()[:50],
        "is_admin": selectors.can_admin_costs(request.actor),
    })


def _budget_form(request, budget=None):
    # Saved, the browser goes to the budget's own page (to=None).
    def saved(obj) -> str:
        if not selectors.FxTable().has_rate(obj.currency):
            messages.warning(request, f"There is no FX rate for {obj.currency} yet: the budget shows no spend until "
                                      f"a {obj.currency} rate is added (Tag rules & FX).")
        return f"{obj} saved."

    return _model_form(request, form_class=BudgetForm, instance=budget, create=services.budget_create,
                       update=services.budget_update, kwarg="budget",
                       title=f"Edit {budget}" if budget else "New budget", back="costs:budget-list", to=None,
                       message=saved)


@portal_view
def budget_create(request):
    return _budget_form(request)


@portal_view
def budget_edit(request, pk: int):
    require_role(request.actor, *ADMIN_ROLES)
    return _budget_form(request, selectors.budget_get(actor=request.actor, pk=pk))


# -- Anomalies ------------------------------------------------------------------------------------------
@portal_view
def anomaly_list(request):
    require_role(request.actor, *VIEW_ROLES)
    status = request.GET.get("status") or None
    if status not in CostAnomaly.Status.values:
        status = None
    qs = selectors.anomaly_list(actor=request.actor, status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "costs/anomaly_list.html", {"page": page, "statuses": CostAnomaly.Status.choices,
                                                       "status": status})


@portal_view
def anomaly_detail(request, pk: int):
    require_role(request.actor, *VIEW_ROLES)
    anomaly = selectors.anomaly_get(actor=request.actor, pk=pk)
    may_triage = services.can_triage(request.actor, anomaly)
    if request.method == "POST" and not may_triage:
        raise PermissionDenied("You may not triage this anomaly.")
    form = TriageForm(request.POST or None, initial={"status": anomaly.status, "note": anomaly.note})
    # Guarded: a triage from a page opened before someone else's is refused, not applied over it.
    if done := submit_form(request, form, lambda data: services.cost_anomaly_triage(
            actor=request.actor, anomaly=anomaly, **data), message="Triage saved.", guard=anomaly):
        return done
    return render(request, "costs/anomaly_detail.html", {"anomaly": anomaly, "form": form, "may_triage": may_triage})


# -- Subscriptions and opportunities ------------------------------------------------------------------------
@portal_view
def subscription_list(request):
    require_role(request.actor, *VIEW_ROLES)
    today = timezone.now().date()
    subs = list(selectors.subscription_list(actor=request.actor))
    return render(request, "costs/subscription_list.html", {
        "subscriptions": subs, "today": today,
        "monthly_total": selectors.subscription_monthly_spend(actor=request.actor, today=today),
        "is_admin": selectors.can_admin_costs(request.actor),
    })


_BACK = object()


def _model_form(request, *, form_class, instance, create, update, kwarg, title, back, to=_BACK, message=None):
    """A costs ModelForm page through the portal's form flow; saved, it goes to ``to`` (default:
    ``back``; None: the saved object's page)."""
    require_role(request.actor, *ADMIN_ROLES)
    form = form_class(request.POST or None, instance=instance)

    def save(data):
        fields = {name: data[name] for name in form_class.Meta.fields}
        if instance is None:
            return create(actor=request.actor, **fields)
        return update(actor=request.actor, **{kwarg: instance}, **fields)

    if done := submit_form(request, form, save, message=message or (lambda obj: f"{obj} saved."),
                           to=back if to is _BACK else to):
        return done
    return render(request, "costs/form.html", {"form": form, "title": title, "back": back})


@portal_view
def subscription_create(request):
    return _model_form(request, form_class=SubscriptionForm, instance=None, create=services.tool_subscription_create,
                       update=None, kwarg="subscription", title="New subscription", back="costs:subscription-list")


@portal_view
def subscription_edit(request, pk: int):
    require_role(request.actor, *ADMIN_ROLES)
    sub = selectors.subscription_get(actor=request.actor, pk=pk)
    return _model_form(request, form_class=SubscriptionForm, instance=sub, create=None,
                       update=services.tool_subscription_update, kwarg="subscription", title=f"Edit {sub}",
                       back="costs:subscription-list")


@portal_view
def opportunity_list(request):
    require_role(request.actor, *VIEW_ROLES)
    status = request.GET.get("status") or None
    if status not in SavingsOpportunity.Status.values:
        status = None
    opps = list(selectors.opportunity_list(actor=request.actor, status=status))
    totals = selectors.opportunity_totals(opps, today=timezone.now().date())
    return render(request, "costs/opportunity_list.html", {
        "opportunities": opps, "statuses": SavingsOpportunity.Status.choices, "status": status,
        "estimated": totals.estimated, "realised": totals.realised,
        "is_admin": selectors.can_admin_costs(request.actor),
    })


@portal_view
def opportunity_create(request):
    return _model_form(request, form_class=OpportunityForm, instance=None,
                       create=services.savings_opportunity_create, update=None, kwarg="opportunity",
                       title="New savings opportunity", back="costs:opportunity-list")


@portal_view
def opportunity_edit(request, pk: int):
    require_role(request.actor, *ADMIN_ROLES)
    opp = selectors.opportunity_get(actor=request.actor, pk=pk)
    return _model_form(request, form_class=OpportunityForm, instance=opp, create=None,
                       update=services.savings_opportunity_update, kwarg="opportunity", title=f"Edit {opp}",
                       back="costs:opportunity-list")


# -- Imports and syncs -----------------------------------------------------------------------------------------
@portal_view
def cost_import(request):
    """Upload an export; a Celery task imports it while the next page shows the run's progress."""
    require_role(request.actor, *ADMIN_ROLES)
    form = CostImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        with transaction.atomic():
            upload = services.cost_upload_create(actor=request.actor, filename=f.name, content=f.read(),
                                                 fmt=form.cleaned_data["format"], user=request.user)
            run = core_services.syncrun_create(kind=tasks.COST_IMPORT, user=request.user,
                                               params={"upload_id": upload.pk, "filename": f.name})
            transaction.on_commit(lambda: tasks.import_upload_task.delay(run.pk))
        return redirect("core:syncrun-detail", pk=run.pk)
    runs = SyncRun.objects.filter(kind__in=[tasks.COST_IMPORT, tasks.COST_SYNC]).select_related("started_by")[:15]
    return render(request, "costs/import.html", {
        "form": form, "runs": runs, "accounts": AwsAccount.objects.select_related("default_team").order_by("name"),
    })


@portal_view
@require_POST
def cost_sync(request):
    """Start a Cost Explorer pull for every enabled account."""
    require_role(request.actor, *ADMIN_ROLES)
    run = core_services.syncrun_create(kind=tasks.COST_SYNC, user=request.user, params={"accounts": []})
    transaction.on_commit(lambda: tasks.cost_explorer_sync_task.delay(run.pk))
    return redirect("core:syncrun-detail", pk=run.pk)


# -- Tag rules and FX rates -------------------------------------------------------------------------------
@portal_view
def settings_page(request):
    """Attribution rules and exchange rates (finance and the CTO)."""
    require_role(request.actor, *ADMIN_ROLES)
    return render(request, "costs/settings.html", {
        "rules": selectors.tag_rule_list(actor=request.actor),
        "rates": selectors.fx_rate_list(actor=request.actor),
        "reporting": selectors.FxTable().reporting,
    })


@portal_view
def tag_rule_create(request):
    return _model_form(request, form_class=TagRuleForm, instance=None, create=services.tag_rule_create, update=None,
                       kwarg="rule", title="New tag rule", back="costs:settings")


@portal_view
def tag_rule_edit(request, pk: int):
    require_role(request.actor, *ADMIN_ROLES)
    rule = selectors.tag_rule_get(actor=request.actor, pk=pk)
    return _model_form(request, form_class=TagRuleForm, instance=rule, create=None, update=services.tag_rule_update,
                       kwarg="rule", title=f"Edit {rule.tag_key}={rule.tag_value}", back="costs:settings")


@portal_view
@require_POST
def tag_rule_delete(request, pk: int):
    require_role(request.actor, *ADMIN_ROLES)
    rule = selectors.tag_rule_get(actor=request.actor, pk=pk)
    services.tag_rule_delete(actor=request.actor, rule=rule)
    messages.success(request, f"Rule {rule.tag_key}={rule.tag_value} deleted.")
    return redirect("costs:settings")


@portal_view
def fx_rate_create(request):
    return _model_form(request, form_class=FxRateForm, instance=None, create=services.fx_rate_create, update=None,
                       kwarg="fx_rate", title="New exchange rate", back="costs:settings")


@portal_view
def fx_rate_edit(request, pk: int):
    require_role(request.actor, *ADMIN_ROLES)
    rate = selectors.fx_rate_get(actor=request.actor, pk=pk)
    return _model_form(request, form_class=FxRateForm, instance=rate, create=None, update=services.fx_rate_update,
                       kwarg="fx_rate", title=f"Edit {rate}", back="costs:settings")


@portal_view
@require_POST
def fx_rate_delete(request, pk: int):
    require_role(request.actor, *ADMIN_ROLES)
    rate = selectors.fx_rate_get(actor=request.actor, pk=pk)
    services.fx_rate_delete(actor=request.actor, fx_rate=rate)
    messages.success(request, f"Rate {rate} deleted.")
    return redirect("costs:settings")
