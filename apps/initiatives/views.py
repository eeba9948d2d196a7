from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.access import get_visible_or_404
from apps.core.forms import add_service_errors
from apps.core.views import portal_view, submit_form
from apps.initiatives import policy, selectors, services
from apps.initiatives.forms import InitiativeForm, LinkForm, MilestoneForm, StatusUpdateForm
from apps.initiatives.models import Health, Initiative, InitiativeLink, Milestone
from apps.org.models import Team


def _filters(request) -> dict:
    get = request.GET
    return {
        "team": get.get("team") or None,
        "kind": get.get("kind") if get.get("kind") in Initiative.Kind.values else None,
        "health": get.get("health") if get.get("health") in Health.values else None,
        "stale": get.get("stale") == "1",
        "q": (get.get("q") or "").strip() or None,
    }


def _require_edit(actor, initiative) -> None:
    if not policy.can_edit(actor, initiative):
        raise PermissionDenied("Only the owner, the team's EM/TL and the CTO may change this initiative.")


@portal_view
def board(request):
    """The portfolio board: columns by status (or health), filters by team and kind."""
    actor = request.actor
    group = "health" if request.GET.get("group") == "health" else "status"
    filters = _filters(request)
    columns = selectors.portfolio_board(actor=actor, group=group, **filters)
    everything = [i for c in columns for i in c.items]
    return render(request, "initiatives/board.html", {
        "columns": columns,
        "group": group,
        "filters": request.GET,
        "total": len(everything),
        "health_counts": selectors.health_counts(everything),
        "stale_count": sum(1 for i in everything if i.stale),
        "teams": Team.objects.filter(is_active=True).order_by("name"),
        "kinds": Initiative.Kind.choices,
        "healths": Health.choices,
        "can_create": policy.can_create(actor),
    })


@portal_view
def detail(request, pk: int):
    actor = request.actor
    initiative = selectors.initiative_get(actor=actor, pk=pk)
    can_edit = policy.can_edit(actor, initiative)
    link_choices = selectors.link_target_choices()
    return render(request, "initiatives/initiative_detail.html", {
        "initiative": initiative,
        "stale": initiative.is_stale(),
        "timeline": selectors.initiative_timeline(actor=actor, initiative=initiative),
        "milestones": selectors.initiative_milestones(actor=actor, initiative=initiative),
        "links": selectors.initiative_links(actor=actor, initiative=initiative),
        "show_cost": (show_cost := selectors.can_see_cloud_cost(actor, initiative)),
        "cost": selectors.monthly_cloud_cost(tag=initiative.cost_tag) if show_cost else None,
        "cost_month": selectors.last_full_month()[0],
        "can_edit": can_edit,
        "can_post_update": policy.can_post_update(actor, initiative),
        "update_form": StatusUpdateForm(initial={"health": initiative.health}) if can_edit else None,
        "link_form": LinkForm(targets=link_choices) if can_edit and link_choices else None,
    })


@portal_view
def create(request):
    actor = request.actor
    if not policy.can_create(actor):
        raise PermissionDenied("Your role may not open initiatives.")
    initial = {"owner": actor.person, "team": actor.person.team if actor.person else None}
    form = InitiativeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            initiative = services.initiative_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Initiative “{initiative}” opened.")
            return redirect(initiative)
    return render(request, "initiatives/initiative_form.html", {"form": form, "title": "New initiative"})


@portal_view
def edit(request, pk: int):
    actor = request.actor
    initiative = selectors.initiative_get(actor=actor, pk=pk)
    _require_edit(actor, initiative)
    form = InitiativeForm(request.POST or None, instance=initiative)

    def save(data):
        try:
            return services.initiative_update(actor=actor, initiative=selectors.initiative_get(actor=actor, pk=pk),
                                              **{name: data[name] for name in form.Meta.fields})
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from exc

    if done := submit_form(request, form, save, message=lambda saved: f"“{saved}” saved."):
        return done
    return render(request, "initiatives/initiative_form.html", {
        "form": form, "title": f"Edit {initiative}", "initiative": initiative,
    })


@portal_view
def update_create(request, pk: int):
    actor = request.actor
    initiative = selectors.initiative_get(actor=actor, pk=pk)
    _require_edit(actor, initiative)
    form = StatusUpdateForm(request.POST or None, initial={"health": initiative.health})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.status_update_post(actor=actor, initiative=initiative, health=data["health"], text=data["text"],
                                        date=data.get("date"), status=data.get("status") or None)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Update posted.")
            return redirect(initiative)
    return render(request, "initiatives/update_form.html", {"form": form, "initiative": initiative})


@portal_view
def milestone_create(request, pk: int):
    actor = request.actor
    initiative = selectors.initiative_get(actor=actor, pk=pk)
    _require_edit(actor, initiative)
    form = MilestoneForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.milestone_create(actor=actor, initiative=initiative, **data),
        message="Milestone added.",
        to=initiative,
    ):
        return done
    return render(request, "initiatives/milestone_form.html", {
        "form": form, "initiative": initiative, "title": "New milestone",
    })


def _milestone_get(actor, pk: int) -> Milestone:
    return get_visible_or_404(selectors.milestone_list(actor=actor), pk=pk)


@portal_view
def milestone_edit(request, pk: int):
    actor = request.actor
    milestone = _milestone_get(actor, pk)
    initiative = milestone.initiative
    _require_edit(actor, initiative)
    form = MilestoneForm(request.POST or None, instance=milestone)
    if done := submit_form(
        request, form,
        lambda data: services.milestone_update(actor=actor, milestone=_milestone_get(actor, pk), **data),
        message="Milestone saved.",
        to=initiative,
    ):
        return done
    return render(request, "initiatives/milestone_form.html", {
        "form": form, "initiative": initiative, "title": f"Edit milestone “{milestone}”",
    })


@portal_view
@require_POST
def link_create(request, pk: int):
    actor = request.actor
    initiative = selectors.initiative_get(actor=actor, pk=pk)
    _require_edit(actor, initiative)
    form = LinkForm(request.POST, targets=selectors.link_target_choices())
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect(initiative)
    app_label, model = form.cleaned_data["target"].split(".", 1)
    try:
        services.initiative_link_create(actor=actor, initiative=initiative, app_label=app_label, model=model,
                                        object_id=form.cleaned_data["object_id"], label=form.cleaned_data["label"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Linked.")
    return redirect(initiative)


@portal_view
@require_POST
def link_delete(request, pk: int):
    actor = request.actor
    link = InitiativeLink.objects.select_related("initiative__team").filter(
        pk=pk, initiative__in=selectors.initiative_list(actor=actor)
    ).first()
    if link is None:
        raise Http404("No such link.")
    initiative = link.initiative
    services.initiative_link_delete(actor=actor, link=link)
    messages.success(request, "Link removed.")
    return redirect(initiative)


@portal_view
def quarterly(request):
    actor = request.actor
    year, quarter = selectors.parse_quarter(request.GET.get("quarter"))
    team = request.GET.get("team") or None
    start, end = selectors.quarter_bounds(year, quarter)
    prev_q = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    next_q = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return render(request, "initiatives/quarterly.html", {
        "summaries": selectors.quarterly_summary(actor=actor, year=year, quarter=quarter, team=team),
        "year": year, "quarter": quarter, "start": start, "end": end,
        "prev": f"{prev_q[0]}Q{prev_q[1]}", "next": f"{next_q[0]}Q{next_q[1]}",
        "teams": Team.objects.filter(is_active=True).order_by("name"), "team": team,
        "statuses": Initiative.Status.choices,
    })
