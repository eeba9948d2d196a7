"""Pages of the reviews app. Reads through selectors (scoped, access-logged), writes through
services; a record the actor may not see is a 404."""
from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_POST

from apps.core.access import require_role
from apps.core.forms import add_service_errors
from apps.core.roles import Role
from apps.core.views import CONFLICT_MESSAGE, portal_view, state_token, submit_form
from apps.reviews import selectors, services
from apps.reviews.forms import (
    AcknowledgeForm,
    CalibrateForm,
    CompensationForm,
    CycleDatesForm,
    CycleForm,
    ManagerReviewForm,
    PayBandForm,
    RaiseForm,
    SelfReviewForm,
    TemplateForm,
)
from apps.reviews.models import ReviewCycle

ADMIN_ROLES = (Role.CTO, Role.HR)
CALIBRATION_ROLES = (Role.CTO, Role.HR, Role.EM)
RAISE_ROLES = (Role.CTO, Role.HR, Role.EM, Role.TL)
BAND_ROLES = (Role.CTO, Role.HR, Role.EM)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@portal_view
def home(request):
    actor = request.actor
    return render(request, "reviews/home.html", {
        "cycles": selectors.cycle_list(actor=actor),
        "own_reviews": selectors.own_review_list(actor=actor),
        "to_write": selectors.reviews_to_write(actor=actor),
        "is_admin": actor.has_role(*ADMIN_ROLES),
    })


@portal_view
def template_list(request):
    require_role(request.actor, *CALIBRATION_ROLES)
    return render(request, "reviews/template_list.html", {
        "templates": selectors.template_list(actor=request.actor), "is_admin": request.actor.has_role(*ADMIN_ROLES),
    })


@portal_view
def template_create(request):
    require_role(request.actor, *ADMIN_ROLES)
    form = TemplateForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.review_template_create(actor=request.actor, **data),
        message=lambda template: f"Template {template} created.",
        to="reviews:template-list",
    ):
        return done
    return render(request, "reviews/template_form.html", {"form": form})


@portal_view
def cycle_create(request):
    require_role(request.actor, *ADMIN_ROLES)
    form = CycleForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.review_cycle_create(actor=request.actor, **form.service_kwargs()),
        message=lambda cycle: f"Cycle {cycle} created (draft).",
    ):
        return done
    return render(request, "reviews/cycle_form.html", {"form": form})


@portal_view
def cycle_dates(request, pk: int):
    """HR and the CTO move a cycle's due dates (until it is closed)."""
    require_role(request.actor, *ADMIN_ROLES)
    cycle = selectors.cycle_get(actor=request.actor, pk=pk)
    initial = {name: getattr(cycle, name) for name in services.DATE_FIELDS}
    form = CycleDatesForm(request.POST or None, initial=initial)
    if done := submit_form(
        request, form, lambda data: services.review_cycle_reschedule(actor=request.actor, cycle=cycle, **data),
        message=f"The dates of {cycle} are saved.",
        to=cycle, guard=cycle,
    ):
        return done
    return render(request, "reviews/cycle_dates.html", {"form": form, "cycle": cycle})


@portal_view
def cycle_detail(request, pk: int):
    actor = request.actor
    cycle = selectors.cycle_get(actor=actor, pk=pk)
    reviews = list(selectors.review_list(actor=actor, cycle=cycle))
    selectors.log_reads(actor=actor, request=request, object_type="reviews.review-list",
                        items=[(r.pk, r.subject) for r in reviews], skip_self=True)
    return render(request, "reviews/cycle_detail.html", {
        "cycle": cycle,
        "reviews": reviews,
        "own": selectors.own_review_list(actor=actor).filter(cycle=cycle).first(),
        "budget": selectors.cycle_budget(actor=actor, cycle=cycle, request=request),
        "is_admin": actor.has_role(*ADMIN_ROLES),
        "can_calibrate": actor.has_role(*CALIBRATION_ROLES),
        "can_raise": actor.has_role(*RAISE_ROLES),
        "stages": ReviewCycle.Stage.choices,
    })


@portal_view
@require_POST
def cycle_advance(request, pk: int):
    require_role(request.actor, *ADMIN_ROLES)
    cycle = selectors.cycle_get(actor=request.actor, pk=pk)
    try:
        cycle = services.review_cycle_advance(actor=request.actor, cycle=cycle,
                                              to_stage=request.POST.get("to_stage") or None)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"{cycle} is now in {cycle.get_stage_display()}.")
    return redirect(cycle)


@portal_view
def calibration(request, pk: int):
    require_role(request.actor, *CALIBRATION_ROLES)
    cycle = selectors.cycle_get(actor=request.actor, pk=pk)
    data = selectors.calibration_data(actor=request.actor, cycle=cycle, request=request)
    chart = {
        "labels": ["1", "2", "3", "4", "5"],
        "actual": [float(data.overall.percents[r]) for r in range(1, 6)],
        "target": [float(data.target.get(r, 0)) for r in range(1, 6)],
    }
    editable = cycle.stage == ReviewCycle.Stage.CALIBRATION
    if editable:
        for review in data.reviews:
            # What the review reads now, posted back as ``_seen``: a calibration made from a page
            # opened before someone else's change to that review is refused (review_calibrate).
            review.seen = state_token(review)
    return render(request, "reviews/calibration.html", {
        "cycle": cycle, "data": data, "chart": chart, "form": CalibrateForm(),
        "changes": selectors.calibration_changes(actor=request.actor, cycle=cycle)[:50],
        "ratings": range(1, 6),
        "editable": editable,
    })


@portal_view
@require_POST
def review_calibrate(request, pk: int):
    require_role(request.actor, *CALIBRATION_ROLES)
    review = selectors.review_for_writing(actor=request.actor, pk=pk)
    back = resolve_url("reviews:calibration", pk=review.cycle_id)
    form = CalibrateForm(request.POST)
    try:
        if done := submit_form(
            request, form, lambda data: services.review_calibrate(actor=request.actor, review=review, **data),
            message=f"Calibrated {review.subject}.", to=back, guard=review,
        ):
            return done
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if CONFLICT_MESSAGE in form.non_field_errors():
        messages.error(request, f"{review.subject}'s review changed after you opened the page, so nothing was "
                                "saved. Check the rating as it reads now, then calibrate again.")
    else:
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect(back)


@portal_view
def review_detail(request, pk: int):
    actor = request.actor
    review = selectors.review_get(actor=actor, pk=pk, request=request)
    is_subject = review.subject_id == actor.person_id
    return render(request, "reviews/review_detail.html", {
        "review": review,
        "is_subject": is_subject,
        "letter": selectors.raise_list(actor=actor, cycle=review.cycle).filter(person_id=actor.person_id).first()
        if is_subject else None,
        "can_write": services._is_reviewer(actor, review) and review.cycle.stage == ReviewCycle.Stage.MANAGER_REVIEW,
        "ack_form": AcknowledgeForm(),
    })


@portal_view
def review_self(request, pk: int):
    """The subject's own page in a running cycle: the self part only (never the manager's)."""
    actor = request.actor
    review = selectors.review_for_writing(actor=actor, pk=pk)
    if review.subject_id != actor.person_id or review.cycle.stage == ReviewCycle.Stage.DRAFT:
        raise Http404("No review matches the given query.")
    form = SelfReviewForm(request.POST or None, review=review)
    editable = review.cycle.stage == ReviewCycle.Stage.SELF_REVIEW and not review.self_submitted_at
    # A save from a page opened before another save (another tab or device) is refused. The
    # guard token hashes the whole review row, so it is given only while the row holds nothing
    # but the subject's own part: in the self-review stage, before they submit.
    if done := submit_form(
        request, form,
        lambda data: services.review_self_save(
            actor=actor, review=review, self_assessment=data["self_assessment"], scores=form.scores(),
            submit="submit" in request.POST),
        message="Self assessment saved.",
        to=resolve_url("reviews:review-self", pk=review.pk),
        guard=review if editable else None,
    ):
        return done
    return render(request, "reviews/review_self.html", {"review": review, "form": form, "editable": editable})


@portal_view
def review_manager(request, pk: int):
    actor = request.actor
    review = selectors.review_get(actor=actor, pk=pk, request=request)
    if review.subject_id == actor.person_id:
        raise Http404("No review matches the given query.")
    if not services._is_reviewer(actor, review):
        raise PermissionDenied("Only the reviewer writes the manager assessment.")
    form = ManagerReviewForm(request.POST or None, review=review)

    def save(data):
        fields = {k: v for k, v in data.items() if not k.startswith("score_")}
        return services.review_manager_save(actor=actor, review=review, scores=form.scores(),
                                            submit="submit" in request.POST, **fields)

    # The reviewer and the CTO both write this part: a save from a page opened before the
    # other's save is refused (the page then shows what is saved now).
    if done := submit_form(request, form, save, message="Manager review saved.", guard=review):
        return done
    return render(request, "reviews/review_manager.html", {
        "review": review, "form": form, "editable": review.cycle.stage == ReviewCycle.Stage.MANAGER_REVIEW,
        "conflict": CONFLICT_MESSAGE in form.non_field_errors(),
    })


@portal_view
@require_POST
def review_acknowledge(request, pk: int):
    actor = request.actor
    review = selectors.review_for_writing(actor=actor, pk=pk)
    if review.subject_id != actor.person_id or not review.cycle.is_shared:
        raise Http404("No review matches the given query.")
    form = AcknowledgeForm(request.POST)
    form.is_valid()
    try:
        services.review_acknowledge(actor=actor, review=review, comment=form.cleaned_data.get("comment", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Thank you: your acknowledgement is recorded.")
    return redirect(review)


# -- compensation ------------------------------------------------------------------------------------
@portal_view
def compensation_list(request):
    rows = selectors.compensation_overview(actor=request.actor, request=request,
                                           zone=request.GET.get("zone") or None)
    return render(request, "reviews/compensation_list.html", {
        "rows": rows, "is_admin": request.actor.has_role(*ADMIN_ROLES), "zone": request.GET.get("zone", ""),
        "zones": sorted({r.record.zone for r in rows if r.record}),
    })


@portal_view
def compensation_person(request, pk: int):
    person = selectors.person_for_pay(actor=request.actor, pk=pk)
    history = selectors.compensation_history(actor=request.actor, person=person, request=request)
    return render(request, "reviews/compensation_person.html", {
        "person": person, "history": history, "is_admin": request.actor.has_role(*ADMIN_ROLES),
    })


@portal_view
def compensation_create(request, pk: int):
    require_role(request.actor, *ADMIN_ROLES)
    person = selectors.person_for_pay(actor=request.actor, pk=pk)
    form = CompensationForm(request.POST or None, initial={
        "level": person.level, "location": person.location, "country": person.country})
    if done := submit_form(
        request, form, lambda data: services.compensation_record_create(actor=request.actor, person=person, **data),
        message=f"Pay of {person} recorded.",
        to=resolve_url("reviews:compensation-person", pk=person.pk),
    ):
        return done
    return render(request, "reviews/compensation_form.html", {"form": form, "person": person})


@portal_view
def band_list(request):
    require_role(request.actor, *BAND_ROLES)
    return render(request, "reviews/band_list.html", {
        "bands": selectors.pay_band_list(actor=request.actor), "is_admin": request.actor.has_role(*ADMIN_ROLES),
    })


@portal_view
def band_create(request):
    require_role(request.actor, *ADMIN_ROLES)
    form = PayBandForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.pay_band_save(actor=request.actor, **data),
        message="Pay band saved.",
        to="reviews:band-list",
    ):
        return done
    return render(request, "reviews/band_form.html", {"form": form})


# -- raises --------------------------------------------------------------------------------------------
@portal_view
def raise_list(request, pk: int):
    require_role(request.actor, *RAISE_ROLES)
    cycle = selectors.cycle_get(actor=request.actor, pk=pk)
    proposals = selectors.raise_list_logged(actor=request.actor, cycle=cycle, request=request)
    return render(request, "reviews/raise_list.html", {
        "cycle": cycle, "proposals": proposals,
        "budget": selectors.cycle_budget(actor=request.actor, cycle=cycle, request=request),
        "is_cto": request.actor.is_cto, "open": cycle.stage in services.RAISE_STAGES,
    })


@portal_view
def raise_create(request, pk: int):
    require_role(request.actor, *RAISE_ROLES)
    actor = request.actor
    cycle = selectors.cycle_get(actor=actor, pk=pk)
    people = [r.subject for r in selectors.review_list(actor=actor, cycle=cycle) if r.subject_id != actor.person_id]
    form = RaiseForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        person_id = data.pop("person")
        person = next(p for p in people if p.pk == person_id)
        try:
            proposal = services.raise_propose(actor=actor, cycle=cycle, person=person, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Raise proposed for {proposal.person}.")
            return redirect("reviews:raise-list", pk=cycle.pk)
    return render(request, "reviews/raise_form.html", {"form": form, "cycle": cycle})


@portal_view
def raise_detail(request, pk: int):
    """The proposal; once approved, a printable pay-change letter."""
    proposal = selectors.raise_get(actor=request.actor, pk=pk, request=request)
    return render(request, "reviews/raise_letter.html", {"p": proposal, "is_cto": request.actor.is_cto})


@portal_view
@require_POST
def raise_decide(request, pk: int):
    if not request.actor.is_cto:
        raise PermissionDenied("Only the CTO approves raises.")
    proposal = selectors.raise_get(actor=request.actor, pk=pk, request=request)
    try:
        # The page posts the status it showed: a decision taken from an out-of-date page changes nothing.
        services.raise_decide(actor=request.actor, proposal=proposal, approve=request.POST.get("decision") == "approve",
                              expected_status=request.POST.get("status") or None)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Raise for {proposal.person} {'approved' if request.POST.get('decision') == 'approve' else 'rejected'}.")
    return redirect("reviews:raise-list", pk=proposal.cycle_id)


@portal_view
def cycle_export(request, pk: int):
    """CSV of a closed cycle's outcomes for payroll: HR and the CTO only."""
    require_role(request.actor, *ADMIN_ROLES)
    cycle = selectors.cycle_get(actor=request.actor, pk=pk)
    if cycle.stage != ReviewCycle.Stage.CLOSED:
        return HttpResponse("Only a closed cycle can be exported for payroll.", status=409, content_type="text/plain")
    rows = selectors.export_rows(actor=request.actor, cycle=cycle, request=request)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="cycle-{cycle.pk}-payroll.csv"'
    response["Cache-Control"] = "no-store"
    fields = ["person_id", "name", "email", "team", "final_rating", "promotion_recommended", "level_before",
              "level_after", "currency", "salary_before", "salary_after", "raise_percent", "raise_reason",
              "effective_date"]
    writer = csv.DictWriter(response, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return response


