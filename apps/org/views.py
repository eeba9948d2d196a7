from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core import services as core_services
from apps.core.access import require_role
from apps.core.roles import Role
from apps.core.views import portal_view, submit_form
from apps.org import selectors, services, tasks
from apps.org.forms import DeactivateForm, PeopleImportForm, PersonForm, TeamForm
from apps.org.models import Person

MANAGE_ROLES = (Role.CTO, Role.HR)


@portal_view
def direct_reports(request):
    nodes = selectors.direct_reports(actor=request.actor)
    return render(request, "org/direct_reports.html", {"nodes": nodes})


@portal_view
def org_chart(request):
    return render(request, "org/org_chart.html", {"roots": selectors.org_chart(actor=request.actor)})


@portal_view
def person_list(request):
    actor = request.actor
    qs = selectors.person_list(
        actor=actor,
        q=request.GET.get("q") or None,
        team=request.GET.get("team") or None,
        role=request.GET.get("role") or None,
        location=request.GET.get("location") or None,
        include_inactive=request.GET.get("inactive") == "1",
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "org/person_list.html", {
        "page": page,
        "teams": selectors.team_list(actor=actor),
        "roles": Person._meta.get_field("role").choices,
        "locations": Person.Location.choices,
        "can_manage": actor.can_manage_people(),
        "filters": request.GET,
    })


@portal_view
def person_detail(request, pk: int):
    person = selectors.person_get(actor=request.actor, pk=pk)
    reports = selectors.person_list(actor=request.actor).filter(manager=person)
    chain = selectors.person_list(actor=request.actor, include_inactive=True).filter(
        pk__in=request.actor.manager_chain_of(person.pk)
    )
    return render(request, "org/person_detail.html", {
        "person": person,
        "reports": reports,
        "chain": sorted(chain, key=lambda p: request.actor.manager_chain_of(person.pk).index(p.pk)),
        "can_manage": request.actor.can_manage_people(),
    })


@portal_view
def person_create(request):
    require_role(request.actor, *MANAGE_ROLES)
    form = PersonForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.person_create(actor=request.actor, **data),
        message=lambda person: f"{person} added.",
    ):
        return done
    return render(request, "org/person_form.html", {"form": form, "title": "Add a person"})


@portal_view
def person_edit(request, pk: int):
    require_role(request.actor, *MANAGE_ROLES)
    person = selectors.person_get(actor=request.actor, pk=pk)
    form = PersonForm(request.POST or None, instance=person)
    if done := submit_form(
        request, form,
        lambda data: services.person_update(
            actor=request.actor, person=selectors.person_get(actor=request.actor, pk=pk), **data),
        message=lambda person: f"{person} saved.",
    ):
        return done
    return render(request, "org/person_form.html", {"form": form, "title": f"Edit {person}", "person": person})


@portal_view
@require_POST
def person_deactivate(request, pk: int):
    require_role(request.actor, *MANAGE_ROLES)
    person = selectors.person_get(actor=request.actor, pk=pk)
    form = DeactivateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect(person)
    try:
        services.person_deactivate(actor=request.actor, person=person, end_date=form.cleaned_data.get("end_date"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{person} was deactivated; their reports moved to {person.manager or 'nobody'}.")
    return redirect(person)


@portal_view
def people_import(request):
    """Checks the whole file at once (every bad row listed), then writes it in a Celery task
    whose progress the next page shows."""
    require_role(request.actor, *MANAGE_ROLES)
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"]
        _, errors = services.people_import_parse(content, actor=request.actor)
        if not errors:
            run = core_services.syncrun_create(
                kind=tasks.PEOPLE_IMPORT, user=request.user, params={"content": content}
            )
            transaction.on_commit(lambda: tasks.people_import_task.delay(run.pk))
            return redirect("core:syncrun-detail", pk=run.pk)
    return render(request, "org/people_import.html", {"form": form, "errors": errors})


@portal_view
def team_list(request):
    return render(request, "org/team_list.html", {
        "teams": selectors.team_list(actor=request.actor),
        "can_manage": request.actor.can_manage_people(),
    })


@portal_view
def team_detail(request, slug: str):
    team = selectors.team_get(actor=request.actor, slug=slug)
    return render(request, "org/team_detail.html", {
        "team": team,
        "members": selectors.team_members(actor=request.actor, team=team),
        "can_manage": request.actor.can_manage_people(),
    })


@portal_view
def team_create(request):
    require_role(request.actor, *MANAGE_ROLES)
    form = TeamForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.team_create(actor=request.actor, **data),
        message=lambda team: f"Team {team} created.",
    ):
        return done
    return render(request, "org/team_form.html", {"form": form, "title": "New team"})


@portal_view
def team_edit(request, slug: str):
    require_role(request.actor, *MANAGE_ROLES)
    team = selectors.team_get(actor=request.actor, slug=slug)
    form = TeamForm(request.POST or None, instance=team)
    if done := submit_form(
        request, form,
        lambda data: services.team_update(
            actor=request.actor, team=selectors.team_get(actor=request.actor, slug=slug), **data),
        message=lambda team: f"Team {team} saved.",
    ):
        return done
    return render(request, "org/team_form.html", {"form": form, "title": f"Edit {team}", "team": team})
