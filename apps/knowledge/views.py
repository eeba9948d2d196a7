from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.core.forms import add_service_errors
from apps.core.views import portal_view, submit_form
from apps.knowledge import ical, policy, selectors, services
from apps.knowledge.forms import (
    AttendanceImportForm,
    FeedbackForm,
    LibraryFilterForm,
    ProposalForm,
    RejectForm,
    SeriesForm,
    SessionChoiceForm,
    SessionForm,
    TalkForm,
)
from apps.knowledge.models import CalendarFeed, Proposal, Track


def _errors_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# -- Sessions --------------------------------------------------------------------------------------------
@portal_view
def session_list(request):
    actor = request.actor
    upcoming = list(selectors.session_list(actor=actor, when="upcoming")[:12])
    past = Paginator(selectors.session_list(actor=actor, when="past"), 20).get_page(request.GET.get("page"))
    return render(request, "knowledge/session_list.html", {
        "upcoming": upcoming, "page": past, "can_curate": policy.can_curate(actor),
        "is_cto": actor.is_cto,
    })


@portal_view
def session_create(request):
    policy.require(policy.can_curate(request.actor), "Only the CTO and session hosts may create sessions.")
    form = SessionForm(request.POST or None, initial={"host": request.actor.person_id})
    if done := submit_form(
        request, form, lambda data: services.session_create(actor=request.actor, **data),
        message=lambda session: f"Session “{session}” created.",
    ):
        return done
    return render(request, "knowledge/form.html", {"form": form, "title": "New one-off session"})


@portal_view
def session_detail(request, pk: int):
    actor = request.actor
    session = selectors.session_get(actor=actor, pk=pk)
    agenda = selectors.session_agenda(session=session)
    can_manage = policy.can_manage_session(actor, session)
    attendees = list(selectors.attendance_list(actor=actor, session=session)[:200])
    return render(request, "knowledge/session_detail.html", {
        "session": session, "agenda": agenda, "can_manage": can_manage,
        "free_minutes": session.duration_minutes - session.booked_minutes,
        "checked_in": selectors.has_checked_in(actor=actor, session=session),
        "check_in_open": not session.is_cancelled
        and session.starts_at - services.CHECK_IN_OPENS_BEFORE <= timezone.now(),
        "attendees": attendees,
    })


@portal_view
def session_edit(request, pk: int):
    session = selectors.session_get(actor=request.actor, pk=pk)
    policy.require(policy.can_manage_session(request.actor, session), "Only the CTO and the host may edit it.")
    form = SessionForm(request.POST or None, instance=session)
    if done := submit_form(
        request, form,
        lambda data: services.session_update(actor=request.actor, session=session, **data),
        message="Session saved.",
    ):
        return done
    return render(request, "knowledge/form.html", {"form": form, "title": f"Edit {session}", "back": session})


@portal_view
@require_POST
def session_check_in(request, pk: int):
    session = selectors.session_get(actor=request.actor, pk=pk)
    try:
        _, created = services.attendance_check_in(actor=request.actor, session=session)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, "Checked in. Enjoy!" if created else "You were already checked in.")
    return redirect(session)


@portal_view
def session_attendance(request, pk: int):
    """The host's view of attendance, with an import of the call's participant list."""
    session = selectors.session_get(actor=request.actor, pk=pk)
    policy.require(policy.can_manage_session(request.actor, session), "Only the CTO and the host may import.")
    form = AttendanceImportForm(request.POST or None)
    if done := submit_form(
        request, form,
        lambda data: services.attendance_import(actor=request.actor, session=session, emails=data["emails"]),
        message=lambda result: f"{result.added} attendees added, {result.already} already checked in.",
        to=resolve_url("knowledge:session-attendance", pk=session.pk),
    ):
        return done
    return render(request, "knowledge/session_attendance.html", {
        "session": session, "form": form,
        "attendances": selectors.attendance_list(actor=request.actor, session=session),
    })


@portal_view
def talk_create(request, pk: int):
    session = selectors.session_get(actor=request.actor, pk=pk)
    policy.require(policy.can_manage_session(request.actor, session), "Only the CTO and the host may add talks.")
    form = TalkForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.talk_create(actor=request.actor, session=session, **data),
        message=lambda talk: f"“{talk}” added to the agenda.",
        to=session,
    ):
        return done
    return render(request, "knowledge/form.html", {"form": form, "title": f"Add a talk to {session}", "back": session})


# -- Series ------------------------------------------------------------------------------------------------
@portal_view
def series_list(request):
    return render(request, "knowledge/series_list.html", {
        "series_list": selectors.series_list(actor=request.actor),
        "can_manage": policy.can_manage_series(request.actor),
    })


@portal_view
def series_create(request):
    policy.require(policy.can_manage_series(request.actor), "Only the CTO may create a series.")
    form = SeriesForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            series = services.series_create(actor=request.actor, **form.cleaned_data)
            created = services.series_generate_sessions(series=series)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Series “{series}” created with {len(created)} upcoming sessions.")
            return redirect(series)
    return render(request, "knowledge/form.html", {"form": form, "title": "New series"})


@portal_view
def series_detail(request, pk: int):
    series = selectors.series_get(actor=request.actor, pk=pk)
    sessions = selectors.session_list(actor=request.actor, series=series.pk)[:36]
    return render(request, "knowledge/series_detail.html", {
        "series": series, "sessions": sessions, "can_manage": policy.can_manage_series(request.actor),
    })


@portal_view
def series_edit(request, pk: int):
    series = selectors.series_get(actor=request.actor, pk=pk)
    policy.require(policy.can_manage_series(request.actor), "Only the CTO may change a series.")
    form = SeriesForm(request.POST or None, instance=series)
    if done := submit_form(
        request, form,
        lambda data: services.series_update(
            actor=request.actor, series=selectors.series_get(actor=request.actor, pk=pk), **data),
        message="Series saved; new sessions follow the new settings.",
    ):
        return done
    return render(request, "knowledge/form.html", {"form": form, "title": f"Edit {series}", "back": series})


@portal_view
@require_POST
def series_generate(request, pk: int):
    series = selectors.series_get(actor=request.actor, pk=pk)
    policy.require(policy.can_manage_series(request.actor), "Only the CTO may generate sessions.")
    created = services.series_generate_sessions(series=series)
    messages.success(request, f"{len(created)} new sessions generated." if created else "All upcoming sessions exist.")
    return redirect(series)


# -- Talks --------------------------------------------------------------------------------------------------
@portal_view
def talk_detail(request, pk: int):
    actor = request.actor
    talk = selectors.talk_get(actor=actor, pk=pk)
    mine = selectors.my_feedback(actor=actor, talk=talk)
    is_speaker = policy.is_speaker(actor, talk)
    can_rate = bool(actor.person_id) and not is_speaker and talk.session.starts_at <= timezone.now()
    form = FeedbackForm(initial={"rating": mine.rating, "comment": mine.comment} if mine else None)
    return render(request, "knowledge/talk_detail.html", {
        "talk": talk,
        "speakers": list(talk.speakers.all()),
        "summary": selectors.feedback_summary(talk=talk),
        "feedback": selectors.feedback_list(actor=actor, talk=talk),
        "reads_all_feedback": policy.can_read_all_feedback(actor, talk),
        "sees_authors": actor.is_cto or policy.hosts_session(actor, talk.session),
        "mine": mine, "form": form, "can_rate": can_rate, "is_speaker": is_speaker,
        "can_edit": policy.can_edit_talk(actor, talk),
        "can_move": policy.can_manage_session(actor, talk.session) and not talk.session.is_past
        and not talk.feedback.exists(),
        "can_repeat": policy.can_curate(actor),
        "can_propose_again": is_speaker,
        "other_times": selectors.talk_list(actor=actor).filter(
            Q(given_again_from_id=talk.given_again_from_id or talk.pk) | Q(pk=talk.given_again_from_id or 0)
        ).exclude(pk=talk.pk),
    })


@portal_view
def talk_edit(request, pk: int):
    talk = selectors.talk_get(actor=request.actor, pk=pk)
    policy.require(policy.can_edit_talk(request.actor, talk), "Only the speakers, the host and the CTO may edit it.")
    form = TalkForm(request.POST or None, instance=talk)
    if done := submit_form(
        request, form, lambda data: services.talk_update(actor=request.actor, talk=talk, **data),
        message="Talk saved.",
    ):
        return done
    return render(request, "knowledge/form.html", {"form": form, "title": f"Edit {talk}", "back": talk})


def _session_choice_view(request, talk, *, sessions, submit: str, title: str, do):
    form = SessionChoiceForm(request.POST or None, sessions=sessions.exclude(pk=talk.session_id), submit=submit)
    if done := submit_form(
        request, form, lambda data: do(data["session"]),
        message=lambda result: f"“{result}” is now on the agenda of {result.session}.",
    ):
        return done
    return render(request, "knowledge/form.html", {"form": form, "title": title, "back": talk})


@portal_view
def talk_move(request, pk: int):
    actor = request.actor
    talk = selectors.talk_get(actor=actor, pk=pk)
    policy.require(policy.can_manage_session(actor, talk.session), "Only the CTO and the host may move a talk.")
    return _session_choice_view(
        request, talk, sessions=selectors.session_choices(actor=actor, for_scheduling=True), submit="Move",
        title=f"Move “{talk}” to another session",
        do=lambda session: services.talk_move(actor=actor, talk=talk, session=session),
    )


@portal_view
def talk_give_again(request, pk: int):
    actor = request.actor
    talk = selectors.talk_get(actor=actor, pk=pk)
    policy.require(policy.can_curate(actor), "Only the CTO and hosts may schedule a talk again.")
    return _session_choice_view(
        request, talk, sessions=selectors.session_choices(actor=actor, for_scheduling=True),
        submit="Give it again", title=f"Give “{talk}” again",
        do=lambda session: services.talk_give_again(actor=actor, talk=talk, session=session),
    )


@portal_view
@require_POST
def talk_propose_again(request, pk: int):
    talk = selectors.talk_get(actor=request.actor, pk=pk)
    try:
        proposal = services.talk_propose_again(actor=request.actor, talk=talk)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
        return redirect(talk)
    messages.success(request, "Your talk is in the backlog again; the CTO or a host will schedule it.")
    return redirect(proposal)


@portal_view
@require_POST
def talk_feedback(request, pk: int):
    talk = selectors.talk_get(actor=request.actor, pk=pk)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a rating from 1 to 5.")
        return redirect(talk)
    try:
        _, created = services.feedback_give(actor=request.actor, talk=talk, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, "Thanks for your feedback." if created else "Your feedback was updated.")
    return redirect(talk)


@portal_view
@require_POST
def talk_share_feedback(request, pk: int):
    talk = selectors.talk_get(actor=request.actor, pk=pk)
    shared = request.POST.get("shared") == "1"
    services.talk_share_feedback(actor=request.actor, talk=talk, shared=shared)
    messages.success(request, "Feedback is now visible to everyone." if shared else "Feedback is private again.")
    return redirect(talk)


# -- Proposals ----------------------------------------------------------------------------------------------
@portal_view
def proposal_list(request):
    actor = request.actor
    status = request.GET.get("status") or Proposal.Status.BACKLOG
    if status not in Proposal.Status.values:
        status = Proposal.Status.BACKLOG
    track = request.GET.get("track") if request.GET.get("track") in Track.values else None
    qs = selectors.proposal_list(actor=actor, status=status, q=request.GET.get("q") or None, track=track)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "knowledge/proposal_list.html", {
        "page": page, "status": status, "statuses": Proposal.Status.choices, "tracks": Track.choices,
        "filters": request.GET, "can_curate": policy.can_curate(actor), "can_vote": bool(actor.person_id),
    })


@portal_view
def proposal_create(request):
    policy.require_person(request.actor)
    form = ProposalForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.proposal_create(actor=request.actor, **data),
        message="Thanks! Your proposal is in the backlog; colleagues can upvote it.",
    ):
        return done
    return render(request, "knowledge/form.html", {"form": form, "title": "Propose a talk"})


@portal_view
def proposal_detail(request, pk: int):
    actor = request.actor
    proposal = selectors.proposal_get(actor=actor, pk=pk)
    return render(request, "knowledge/proposal_detail.html", {
        "proposal": proposal, "can_curate": policy.can_curate(actor),
        "is_proposer": actor.person_id == proposal.proposer_id, "can_vote": bool(actor.person_id),
        "talk": getattr(proposal, "talk", None),
    })


@portal_view
def proposal_edit(request, pk: int):
    actor = request.actor
    proposal = selectors.proposal_get(actor=actor, pk=pk)
    policy.require(actor.person_id == proposal.proposer_id or policy.can_curate(actor),
                   "Only the proposer, the CTO and hosts may edit a proposal.")
    form = ProposalForm(request.POST or None, instance=proposal,
                        initial={"co_speakers": list(proposal.co_speakers.all())})
    if done := submit_form(
        request, form, lambda data: services.proposal_update(actor=actor, proposal=proposal, **data),
        message="Proposal saved.",
        to=proposal,
    ):
        return done
    return render(request, "knowledge/form.html", {"form": form, "title": f"Edit {proposal}", "back": proposal})


@portal_view
@require_POST
def proposal_vote(request, pk: int):
    """Toggle the actor's upvote. htmx swaps in the new button; without htmx, back to the list."""
    actor = request.actor
    proposal = selectors.proposal_get(actor=actor, pk=pk)
    try:
        if proposal.voted:
            services.proposal_unvote(actor=actor, proposal=proposal)
        else:
            services.proposal_vote(actor=actor, proposal=proposal)
    except ValidationError as exc:
        if request.headers.get("HX-Request"):
            return HttpResponse(_errors_text(exc), status=400)
        messages.error(request, _errors_text(exc))
    if request.headers.get("HX-Request"):
        proposal = selectors.proposal_get(actor=actor, pk=pk)
        return render(request, "knowledge/_vote_button.html", {"p": proposal, "can_vote": True})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("knowledge:proposal-list")
    return redirect(back)


@portal_view
def proposal_schedule(request, pk: int):
    actor = request.actor
    proposal = selectors.proposal_get(actor=actor, pk=pk)
    policy.require(policy.can_curate(actor), "Only the CTO and session hosts may schedule proposals.")
    form = SessionChoiceForm(request.POST or None, sessions=selectors.session_choices(actor=actor, for_scheduling=True))
    if done := submit_form(
        request, form, lambda data: services.proposal_schedule(actor=actor, proposal=proposal, session=data["session"]),
        message=lambda talk: f"“{talk}” is scheduled in {talk.session}.",
    ):
        return done
    return render(request, "knowledge/form.html", {
        "form": form, "title": f"Schedule “{proposal}” ({proposal.duration_minutes} min)", "back": proposal,
    })


@portal_view
def proposal_reject(request, pk: int):
    actor = request.actor
    proposal = selectors.proposal_get(actor=actor, pk=pk)
    policy.require(policy.can_curate(actor), "Only the CTO and session hosts may reject proposals.")
    form = RejectForm(request.POST or None)
    if done := submit_form(
        request, form, lambda data: services.proposal_reject(actor=actor, proposal=proposal, note=data["note"]),
        message=f"“{proposal}” was rejected; the proposer sees your note.",
        to=proposal,
    ):
        return done
    return render(request, "knowledge/form.html", {"form": form, "title": f"Reject “{proposal}”", "back": proposal})


@portal_view
@require_POST
def proposal_withdraw(request, pk: int):
    proposal = selectors.proposal_get(actor=request.actor, pk=pk)
    try:
        services.proposal_withdraw(actor=request.actor, proposal=proposal)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, "Proposal withdrawn.")
    return redirect(proposal)


# -- Library, balance, calendar --------------------------------------------------------------------------------
@portal_view
def library(request):
    form = LibraryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.library(actor=request.actor, q=filters.get("q") or None, track=filters.get("track") or None,
                           year=filters.get("year"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "knowledge/library.html", {
        "page": page, "form": form, "tracks": Track.choices, "filters": request.GET,
    })


@portal_view
def balance(request):
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
        quarter = int(request.GET.get("quarter") or (today.month - 1) // 3 + 1)
    except ValueError:
        year, quarter = today.year, (today.month - 1) // 3 + 1
    if not 2000 <= year <= 2100 or quarter not in (1, 2, 3, 4):
        year, quarter = today.year, (today.month - 1) // 3 + 1
    prev_q = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    next_q = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return render(request, "knowledge/balance.html", {
        "b": selectors.balance(actor=request.actor, year=year, quarter=quarter),
        "trend": selectors.attendance_trend(actor=request.actor),
        "prev_q": prev_q, "next_q": next_q,
        "show_nudge": policy.can_curate(request.actor),
    })


@portal_view
def calendar(request):
    feed = selectors.calendar_feed_for(actor=request.actor)
    if feed is None and request.actor.person_id:
        feed = services.calendar_feed_get_or_create(actor=request.actor)
    url = request.build_absolute_uri(reverse("knowledge:calendar-feed", args=[feed.token])) if feed else None
    return render(request, "knowledge/calendar.html", {"feed_url": url})


@portal_view
@require_POST
def calendar_reset(request):
    services.calendar_feed_reset(actor=request.actor)
    messages.success(request, "A new secret calendar URL was made; the old one no longer works.")
    return redirect("knowledge:calendar")


@never_cache
@require_GET
def calendar_feed(request, token: str):
    """The iCal feed, reached by its secret URL (calendar apps cannot sign in). An unknown or
    reset token, or a person who left, answers 404."""
    feed = CalendarFeed.objects.select_related("person").filter(token=token, person__is_active=True).first()
    if feed is None:
        raise Http404("No such calendar.")
    text = ical.build_calendar(
        selectors.calendar_sessions(), now=timezone.now(), name="Tech Monthly and knowledge sessions",
        base_url=request.build_absolute_uri("/").rstrip("/"), person_id=feed.person_id,
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="knowledge-sessions.ics"'
    return response

