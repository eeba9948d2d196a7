from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.forms import add_service_errors
from apps.core.views import CONFLICT_MESSAGE, portal_view, state_token, submit_form
from apps.security import selectors, services
from apps.security.access import is_participant, is_security_manager
from apps.security.evidence_pack import evidence_pack_zip
from apps.security.forms import (
    AmaSessionForm,
    AttendanceForm,
    BulletinForm,
    ControlForm,
    EvidenceForm,
    ModerateForm,
    PeriodForm,
    QuestionForm,
    TrainingAttendanceForm,
    TrainingForm,
    TrainingSessionForm,
)
from apps.security.models import AmaAttendance, AmaQuestion, Control


def _require_manager(request) -> None:
    if not is_security_manager(request.actor):
        raise PermissionDenied("Only the CTO and the security team's tech lead may use this page.")


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# -- Overview ------------------------------------------------------------------------------------
@portal_view
def home(request):
    actor = request.actor
    upcoming = selectors.ama_session_list(actor=actor).filter(starts_at__gte=timezone.now()).order_by("starts_at")[:3]
    return render(request, "security/home.html", {
        "pending_bulletins": selectors.bulletins_to_acknowledge(actor=actor),
        "statuses": selectors.my_training_statuses(actor=actor),
        "upcoming": upcoming,
        "faq": selectors.faq_list(actor=actor)[:5],
        "is_manager": is_security_manager(actor),
    })


# -- AMA -----------------------------------------------------------------------------------------
@portal_view
def ama_list(request):
    page = Paginator(selectors.ama_session_list(actor=request.actor), 25).get_page(request.GET.get("page"))
    return render(request, "security/ama_list.html", {"page": page, "is_manager": is_security_manager(request.actor)})


@portal_view
def ama_create(request):
    _require_manager(request)
    form = AmaSessionForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.ama_session_create(actor=request.actor, **data),
        message=lambda session: f"AMA session {session.title} created.",
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": "New AMA session"})


@portal_view
def ama_edit(request, pk: int):
    _require_manager(request)
    session = selectors.ama_session_get(actor=request.actor, pk=pk)
    initial = {f: getattr(session, f) for f in ("title", "starts_at", "host", "description", "recording_url", "is_open")}
    form = AmaSessionForm(request.POST or None, initial=initial)
    if done := submit_form(
        request, form, lambda data: services.ama_session_update(actor=request.actor, session=session, **data),
        message="Session saved.", guard=session,
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": f"Edit {session.title}"})


@portal_view
def ama_detail(request, pk: int):
    session = selectors.ama_session_get(actor=request.actor, pk=pk)
    return _session_page(request, session)


def _session_page(request, session, *, conflict: dict | None = None):
    """The session page. ``conflict`` ({pk, message, answer}) shows a moderation step refused
    because the question changed after the page was opened, keeping the answer being typed."""
    actor = request.actor
    manager = is_security_manager(actor)
    status = request.GET.get("status") if manager else None
    if status not in AmaQuestion.Status.values:
        status = AmaQuestion.Status.PUBLISHED if not manager else None
    questions = list(selectors.ama_question_list(actor=actor, session=session, status=status))
    if manager:
        for q in questions:
            # What the question reads now: every moderation form posts it back as ``_seen``, so a
            # step taken from a page opened before someone else's is refused (submit_form).
            q.seen = state_token(q)
    return render(request, "security/ama_detail.html", {
        "session": session,
        "questions": questions,
        "counts": selectors.ama_moderation_counts(session=session),
        "status": status,
        "is_manager": manager,
        "can_ask": is_participant(actor) and session.is_open,
        "can_check_in": is_participant(actor)
        and session.starts_at - services.CHECK_IN_OPENS <= timezone.now() <= session.starts_at + services.CHECK_IN_CLOSES,
        "checked_in": is_participant(actor) and AmaAttendance.objects.filter(session=session, person=actor.person).exists(),
        "form": QuestionForm(),
        "attendees": AmaAttendance.objects.filter(session=session).select_related("person").order_by("person__full_name")
        if manager else [],
        "conflict": conflict,
    })


@portal_view
def ama_attendance(request, pk: int):
    _require_manager(request)
    session = selectors.ama_session_get(actor=request.actor, pk=pk)
    form = AttendanceForm(request.POST or None, initial={
        "people": list(AmaAttendance.objects.filter(session=session).values_list("person_id", flat=True))})
    if done := submit_form(
        request, form,
        lambda data: services.ama_attendance_record(actor=request.actor, session=session, people=data["people"]),
        message=lambda added: f"{added} attendee(s) recorded.",
        to=session,
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": f"Attendance: {session.title}"})


@portal_view
@require_POST
def ama_check_in(request, pk: int):
    session = selectors.ama_session_get(actor=request.actor, pk=pk)
    try:
        services.ama_attendance_check_in(actor=request.actor, session=session)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Thanks: your attendance is recorded.")
    return redirect(session)


@portal_view
@require_POST
def question_ask(request, pk: int):
    session = selectors.ama_session_get(actor=request.actor, pk=pk)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(session)
    try:
        services.ama_question_submit(actor=request.actor, session=session, body=form.cleaned_data["body"],
                                     anonymous=form.cleaned_data["anonymous"])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Thank you: your question is waiting for moderation.")
    return redirect(session)


@portal_view
@require_POST
def question_vote(request, pk: int):
    """The upvote button. It posts what it offered (``vote=add`` or ``remove``, from the state
    the page showed), so a click on a page that is out of date never undoes a vote cast
    meanwhile in another tab; without it the button toggles."""
    question = selectors.ama_question_get(actor=request.actor, pk=pk)
    wanted = request.POST.get("vote")
    if wanted not in ("add", "remove"):
        wanted = "remove" if question.has_voted else "add"
    try:
        if wanted == "remove":
            services.ama_question_unvote(actor=request.actor, question=question)
        else:
            services.ama_question_vote(actor=request.actor, question=question)
    except services.AlreadyVoted as exc:
        messages.info(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    if request.headers.get("HX-Request"):
        question = selectors.ama_question_get(actor=request.actor, pk=pk)
        return render(request, "security/_vote.html", {"q": question})
    return redirect(question.session)


@portal_view
@require_POST
def question_moderate(request, pk: int):
    """Publish/hide, answer, or put in the FAQ. Each form carries what the question read when
    the page was opened (``_seen``): if someone else moderated or answered it since, nothing
    changes and the page says so (an answer being typed is kept, to save again knowingly)."""
    _require_manager(request)
    question = selectors.ama_question_get(actor=request.actor, pk=pk)
    session = question.session
    form = ModerateForm(request.POST)

    def moderate(data):
        if data["action"] == "status":
            return services.ama_question_moderate(actor=request.actor, question=question, status=data["status"])
        if data["action"] == "answer":
            return services.ama_question_answer(actor=request.actor, question=question, answer=data["answer"])
        return services.ama_question_set_faq(actor=request.actor, question=question, in_faq=data["in_faq"],
                                             faq_title=data["faq_title"])

    if done := submit_form(request, form, moderate, message="Question updated.",
                           to=f"{session.get_absolute_url()}#q{question.pk}", guard=question):
        return done
    if CONFLICT_MESSAGE in form.non_field_errors():
        answer = form.cleaned_data.get("answer") if form.cleaned_data.get("action") == "answer" else None
        return _session_page(request, session, conflict={"pk": question.pk, "message": CONFLICT_MESSAGE,
                                                         "answer": answer})
    messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect(session)


@portal_view
def faq(request):
    return render(request, "security/faq.html", {"questions": selectors.faq_list(actor=request.actor)})


# -- Bulletins ------------------------------------------------------------------------------------
@portal_view
def bulletin_list(request):
    page = Paginator(selectors.bulletin_list(actor=request.actor), 25).get_page(request.GET.get("page"))
    manager = is_security_manager(request.actor)
    if manager:
        sizes = selectors.bulletin_audience_sizes(page.object_list)
        for b in page.object_list:
            b.audience_size = sizes[b.pk]
            b.ack_percent = round(b.ack_count * 100 / b.audience_size) if b.audience_size else 0
    return render(request, "security/bulletin_list.html", {"page": page, "is_manager": manager})


@portal_view
def bulletin_create(request):
    _require_manager(request)
    form = BulletinForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.bulletin_publish(actor=request.actor, **data),
        message=lambda bulletin: f"Bulletin {bulletin.title} published.",
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": "New security bulletin"})


@portal_view
def bulletin_edit(request, pk: int):
    _require_manager(request)
    bulletin = selectors.bulletin_get(actor=request.actor, pk=pk)
    initial = {
        "title": bulletin.title, "body": bulletin.body, "severity": bulletin.severity,
        "requires_ack": bulletin.requires_ack, "due_date": bulletin.due_date,
        "audience_teams": list(bulletin.audience_teams.all()), "audience_roles": bulletin.audience_roles,
    }
    form = BulletinForm(request.POST or None, initial=initial)
    form.submit_label = "Save"
    form.helper = form._helper()
    if done := submit_form(
        request, form, lambda data: services.bulletin_update(actor=request.actor, bulletin=bulletin, **data),
        message=lambda bulletin: f"Bulletin {bulletin.title} saved.", guard=bulletin,
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": f"Edit bulletin: {bulletin.title}"})


@portal_view
def bulletin_detail(request, pk: int):
    bulletin = selectors.bulletin_get(actor=request.actor, pk=pk)
    manager = is_security_manager(request.actor)
    return render(request, "security/bulletin_detail.html", {
        "bulletin": bulletin,
        "is_manager": manager,
        "can_ack": bulletin.requires_ack and services.is_in_audience(bulletin, request.actor.person),
        "completion": selectors.bulletin_completion(bulletin=bulletin) if manager else [],
        "pending": selectors.bulletin_pending_people(bulletin=bulletin)[:200] if manager else [],
    })


@portal_view
@require_POST
def bulletin_ack(request, pk: int):
    bulletin = selectors.bulletin_get(actor=request.actor, pk=pk)
    try:
        services.bulletin_acknowledge(actor=request.actor, bulletin=bulletin)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Acknowledged. Thank you.")
    return redirect(bulletin)


# -- Trainings ------------------------------------------------------------------------------------
@portal_view
def training_list(request):
    return render(request, "security/training_list.html", {
        "trainings": selectors.training_list(actor=request.actor),
        "statuses": selectors.my_training_statuses(actor=request.actor),
        "is_manager": is_security_manager(request.actor),
    })


@portal_view
def training_create(request):
    _require_manager(request)
    form = TrainingForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.training_create(actor=request.actor, **data),
        message=lambda training: f"Training {training.title} created.",
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": "New training"})


@portal_view
def training_edit(request, pk: int):
    _require_manager(request)
    training = selectors.training_get(actor=request.actor, pk=pk)
    initial = {
        "title": training.title, "kind": training.kind, "description": training.description,
        "recurrence_months": training.recurrence_months, "first_due_on": training.first_due_on,
        "pass_score": training.pass_score, "audience_teams": list(training.audience_teams.all()),
        "audience_roles": training.audience_roles,
    }
    form = TrainingForm(request.POST or None, initial=initial)
    if done := submit_form(
        request, form, lambda data: services.training_update(actor=request.actor, training=training, **data),
        message=lambda training: f"Training {training.title} saved; due dates follow.", guard=training,
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": f"Edit training: {training.title}"})


@portal_view
def training_detail(request, pk: int):
    training = selectors.training_get(actor=request.actor, pk=pk)
    manager = is_security_manager(request.actor)
    return render(request, "security/training_detail.html", {
        "training": training,
        "sessions": training.sessions.all(),
        "is_manager": manager,
        "statuses": selectors.training_status_list(actor=request.actor, training=training)[:500],
        "mine": selectors.my_training_statuses(actor=request.actor).filter(training=training).first(),
    })


@portal_view
def training_session_create(request, pk: int):
    _require_manager(request)
    training = selectors.training_get(actor=request.actor, pk=pk)
    form = TrainingSessionForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.training_session_create(actor=request.actor, training=training, **data),
        message="Session added.",
        to=lambda session: resolve_url("security:training-attendance", pk=session.pk),
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": f"New session: {training.title}"})


@portal_view
def training_attendance(request, pk: int):
    _require_manager(request)
    session = selectors.training_session_get(actor=request.actor, pk=pk)
    form = TrainingAttendanceForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.training_attendance_record(actor=request.actor, session=session, **data),
        message=lambda _: f"Attendance of {form.cleaned_data['person']} recorded.",
        to=resolve_url("security:training-attendance", pk=session.pk),
    ):
        return done
    return render(request, "security/training_attendance.html", {
        "session": session, "form": form,
        "attendances": session.attendances.select_related("person__team").order_by("person__full_name"),
    })


@portal_view
def training_heatmap(request):
    _require_manager(request)
    return render(request, "security/training_heatmap.html", {"heatmap": selectors.training_heatmap(actor=request.actor)})


# -- Controls and evidence ------------------------------------------------------------------------------
@portal_view
def control_list(request):
    _require_manager(request)
    controls = selectors.control_list(actor=request.actor, q=request.GET.get("q") or None,
                                      theme=request.GET.get("theme") or None)
    return render(request, "security/control_list.html", {
        "controls": controls, "themes": Control.Theme.choices, "filters": request.GET,
    })


@portal_view
def control_detail(request, code: str):
    _require_manager(request)
    control = selectors.control_get(actor=request.actor, code=code)
    return render(request, "security/control_detail.html", {
        "control": control, "evidence": selectors.evidence_list(actor=request.actor, control=control),
    })


@portal_view
def control_edit(request, code: str):
    _require_manager(request)
    control = selectors.control_get(actor=request.actor, code=code)
    form = ControlForm(request.POST or None, instance=Control.objects.get(pk=control.pk))
    if done := submit_form(
        request, form,
        lambda data: services.control_update(actor=request.actor, control=Control.objects.get(pk=control.pk),
                                             **{name: data[name] for name in ControlForm.Meta.fields}),
        message=lambda saved: f"{saved} saved.",
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": f"Edit A.{control.code}"})


@portal_view
def evidence_list(request):
    _require_manager(request)
    page = Paginator(selectors.evidence_list(actor=request.actor), 50).get_page(request.GET.get("page"))
    return render(request, "security/evidence_list.html", {"page": page, "today": timezone.localdate()})


@portal_view
def evidence_create(request):
    _require_manager(request)
    initial = {"collected_on": timezone.localdate()}
    if request.GET.get("control"):
        initial["controls"] = list(Control.objects.filter(code=request.GET["control"]).values_list("pk", flat=True))
    form = EvidenceForm(request.POST or None, initial=initial)
    if done := submit_form(
        request, form, lambda data: services.evidence_create(actor=request.actor, **data),
        message=lambda item: f"Evidence {item.title} added.",
    ):
        return done
    return render(request, "security/form.html", {"form": form, "title": "New evidence"})


@portal_view
def evidence_detail(request, pk: int):
    _require_manager(request)
    item = selectors.evidence_get(actor=request.actor, pk=pk)
    return render(request, "security/evidence_detail.html", {"item": item, "today": timezone.localdate()})


@portal_view
def evidence_pack(request):
    """GET without dates: the form. GET with a valid period: the ZIP download."""
    _require_manager(request)
    form = PeriodForm(request.GET or None)
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        try:
            content = evidence_pack_zip(actor=request.actor, start=start, end=end)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            response = HttpResponse(content, content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="evidence-pack-{start}-{end}.zip"'
            return response
    return render(request, "security/evidence_pack.html", {"form": form}, status=400 if form.errors else 200)
