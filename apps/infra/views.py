"""Infra pages: inventory, resource detail, findings, the request queue and forms, the sync."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.access import require_role
from apps.core.forms import add_service_errors
from apps.core.views import portal_view
from apps.infra import policy, selectors, services
from apps.infra.forms import CommentForm, DecisionForm, InfraRequestForm, LinkResourcesForm, SyncForm
from apps.infra.models import Finding, InfraRequest
from apps.org.models import Team

PAGE_SIZE = 50
RESOURCE_FILTERS = ("account", "region", "kind", "team", "state", "tag", "q")


def _filters(request, names) -> dict[str, str]:
    return {name: request.GET.get(name, "").strip() for name in names}


@portal_view
def resource_list(request):
    actor = request.actor
    require_role(actor, *policy.PAGE_ROLES)
    filters = _filters(request, RESOURCE_FILTERS)
    include_gone = request.GET.get("gone") == "1"
    qs = selectors.resource_list(actor=actor, include_gone=include_gone, **{k: v or None for k, v in filters.items()})
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "infra/resource_list.html", {
        "page": page, "filters": filters, "include_gone": include_gone,
        "options": selectors.inventory_filter_options(actor=actor),
        "summary": selectors.inventory_summary(actor=actor),
        "can_sync": policy.can_sync(actor),
    })


@portal_view
def resource_detail(request, pk: int):
    require_role(request.actor, *policy.PAGE_ROLES)
    resource = selectors.resource_get(actor=request.actor, pk=pk)
    findings = resource.findings.select_related("team").order_by("resolved_at", "kind")
    from apps.costs import selectors as cost_selectors

    costs = cost_selectors.resource_costs(actor=request.actor, resource_ids=[resource.arn, resource.resource_id])
    return render(request, "infra/resource_detail.html", {
        "resource": resource, "findings": findings, "costs": costs,
        "request_visible": selectors.resource_request_visible(actor=request.actor, resource=resource),
        "can_view_costs": cost_selectors.can_view_costs(request.actor),
    })


@portal_view
def finding_list(request):
    actor = request.actor
    require_role(actor, *policy.PAGE_ROLES)
    filters = _filters(request, ("team", "kind"))
    qs = selectors.finding_list(actor=actor, team=filters["team"] or None, kind=filters["kind"] or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "infra/finding_list.html", {
        "page": page, "filters": filters, "by_team": selectors.findings_by_team(actor=actor),
        "kinds": Finding.Kind.choices,
    })


@portal_view
def request_list(request):
    actor = request.actor
    require_role(actor, *policy.PAGE_ROLES)
    filters = _filters(request, ("status", "team", "kind"))
    overdue = request.GET.get("overdue") == "1"
    qs = selectors.infra_request_list(actor=actor, overdue=overdue, **{k: v or None for k, v in filters.items()})
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "infra/request_list.html", {
        "page": page, "filters": filters, "overdue": overdue,
        "overdue_count": selectors.infra_request_list(actor=actor, overdue=True).count(),
        "statuses": InfraRequest.Status.choices, "kinds": InfraRequest.Kind.choices,
        "can_create": policy.can_create_request(actor),
    })


def _request_teams(actor):
    teams = Team.objects.filter(is_active=True).order_by("name")
    return teams if actor.is_cto else teams.filter(pk__in=policy.team_ids(actor))


@portal_view
def request_create(request):
    actor = request.actor
    require_role(actor, *policy.REQUEST_ROLES)
    teams = _request_teams(actor)
    initial = {"team": actor.person.team_id} if actor.person and actor.person.team_id else {}
    form = InfraRequestForm(request.POST or None, teams=teams, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            infra_request = services.infra_request_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{infra_request.reference} submitted; a decision is due by "
                                      f"{infra_request.due_at:%Y-%m-%d}.")
            return redirect(infra_request)
    return render(request, "infra/request_form.html", {"form": form})


@portal_view
def request_detail(request, pk: int):
    actor = request.actor
    require_role(actor, *policy.PAGE_ROLES)
    infra_request = selectors.infra_request_get(actor=actor, pk=pk)
    can_decide = policy.can_decide(actor) and infra_request.requester_id != actor.person_id
    link_form = None
    if policy.can_decide(actor) and infra_request.status in (InfraRequest.Status.APPROVED,
                                                              InfraRequest.Status.PROVISIONED):
        link_form = LinkResourcesForm(resources=selectors.linkable_resources(actor=actor, request=infra_request))
    return render(request, "infra/request_detail.html", {
        "req": infra_request,
        "events": infra_request.events.all(),
        "comments": infra_request.comments.select_related("author"),
        "resources": infra_request.resources.select_related("account", "owner_team").order_by("name", "id"),
        "can_decide": can_decide and infra_request.status == InfraRequest.Status.SUBMITTED,
        "can_provision": policy.can_decide(actor) and infra_request.status == InfraRequest.Status.APPROVED,
        "decision_form": DecisionForm(), "comment_form": CommentForm(), "link_form": link_form,
    })


def _workflow_step(request, pk: int, step) -> object:
    """Run a POSTed workflow step; errors become messages; always back to the request."""
    require_role(request.actor, *policy.PAGE_ROLES)
    infra_request = selectors.infra_request_get(actor=request.actor, pk=pk)
    try:
        message = step(infra_request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, message)
    return redirect("infra:request-detail", pk=pk)


@portal_view
@require_POST
def request_approve(request, pk: int):
    def step(infra_request):
        services.infra_request_approve(actor=request.actor, request=infra_request, note=request.POST.get("note", ""))
        return f"{infra_request.reference} approved."
    return _workflow_step(request, pk, step)


@portal_view
@require_POST
def request_reject(request, pk: int):
    def step(infra_request):
        services.infra_request_reject(actor=request.actor, request=infra_request, note=request.POST.get("note", ""))
        return f"{infra_request.reference} rejected."
    return _workflow_step(request, pk, step)


def _posted_resources(request, infra_request):
    form = LinkResourcesForm(request.POST, resources=selectors.linkable_resources(actor=request.actor,
                                                                               request=infra_request))
    if not form.is_valid():
        if request.POST.getlist("resources"):
            raise ValidationError({"resources": "Choose live, unlinked resources of the request's team."})
        return []
    return list(form.cleaned_data["resources"])


@portal_view
@require_POST
def request_provision(request, pk: int):
    def step(infra_request):
        if not policy.can_decide(request.actor):
            raise PermissionDenied("Only the CTO marks requests provisioned.")
        services.infra_request_provision(actor=request.actor, request=infra_request,
                                         resources=_posted_resources(request, infra_request),
                                         note=request.POST.get("note", ""))
        return f"{infra_request.reference} provisioned."
    return _workflow_step(request, pk, step)


@portal_view
@require_POST
def request_link(request, pk: int):
    def step(infra_request):
        if not policy.can_decide(request.actor):
            raise PermissionDenied("Only the CTO links resources to requests.")
        count = services.infra_request_link_resources(actor=request.actor, request=infra_request,
                                                      resources=_posted_resources(request, infra_request))
        return f"{count} resource(s) linked to {infra_request.reference}."
    return _workflow_step(request, pk, step)


@portal_view
@require_POST
def request_comment(request, pk: int):
    def step(infra_request):
        services.infra_request_comment(actor=request.actor, request=infra_request, body=request.POST.get("body", ""))
        return "Comment added."
    return _workflow_step(request, pk, step)


@portal_view
def request_report(request):
    require_role(request.actor, *policy.PAGE_ROLES)
    return render(request, "infra/request_report.html",
                  {"report": selectors.request_fulfilment_report(actor=request.actor)})


@portal_view
def sync(request):
    actor = request.actor
    if not policy.can_sync(actor):
        raise PermissionDenied("Only the CTO runs the inventory sync.")
    form = SyncForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        ids = [a.account_id for a in form.cleaned_data["accounts"]]
        try:
            run = services.inventory_sync_start(actor=actor, account_ids=ids or None)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Inventory sync queued.")
            return redirect(f"{request.path}?run={run.pk}")
    runs = selectors.inventory_runs(actor=actor)
    current = None
    if request.GET.get("run", "").isdigit():
        current = runs.filter(pk=int(request.GET["run"])).first()
    return render(request, "infra/sync.html", {"form": form, "runs": runs[:20], "current": current or runs.first()})
