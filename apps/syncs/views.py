"""Pages of syncs: parse input, call a selector or a service, render."""
from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.core.access import require_role
from apps.core.forms import add_service_errors
from apps.core.markdown import render_markdown
from apps.core.views import portal_view, submit_form
from apps.org.models import Person
from apps.syncs import exports, selectors, services
from apps.syncs.forms import (
    ActionItemForm,
    ActionStatusForm,
    AdhocMeetingForm,
    AgendaItemForm,
    AgendaStatusForm,
    DecisionFilterForm,
    DecisionForm,
    MeetingStatusForm,
    NotesForm,
    SeriesForm,
)
from apps.syncs.models import MAX_NOTES_CHARS, ActionItem, Meeting, SyncSeries

CREATE_ROLES = tuple(r for r in services.SERIES_CREATE_ROLES)


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def _form_errors(form) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in form.errors.items())


# -- Series -------------------------------------------------------------------------------------
@portal_view
def series_list(request):
    actor = request.actor
    kind = request.GET.get("kind") if request.GET.get("kind") in SyncSeries.Kind.values else None
    qs = selectors.series_list(actor=actor, kind=kind, q=request.GET.get("q") or None)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "syncs/series_list.html", {
        "page": page, "kinds": SyncSeries.Kind.choices, "filters": request.GET,
        "can_create": actor.has_role(*CREATE_ROLES),
    })


@portal_view
def series_create(request):
    require_role(request.actor, *CREATE_ROLES)
    form = SeriesForm(request.POST or None, initial={"owner": request.actor.person, "starts_on": timezone.localdate(),
                                                     "time_zone": getattr(request.actor.person, "time_zone", "UTC")})
    if done := submit_form(request, form, lambda data: services.series_create(actor=request.actor, **data),
                           message=lambda series: f"{series} created with its next meetings."):
        return done
    return render(request, "syncs/series_form.html", {"form": form, "title": "New sync"})


@portal_view
def series_detail(request, pk: int):
    actor = request.actor
    series = selectors.series_get(actor=actor, pk=pk)
    return render(request, "syncs/series_detail.html", {
        "series": series,
        "participants": series.participants.order_by("full_name"),
        "upcoming": selectors.series_meetings(series=series, upcoming=True),
        "past": selectors.series_meetings(series=series, upcoming=False, limit=20),
        "backlog": selectors.series_backlog(series=series),
        "open_actions": selectors.action_item_list(actor=actor, series=series.pk, status=ActionItem.Status.OPEN),
        "can_manage": services.can_manage_series(actor, series),
        "adhoc_form": AdhocMeetingForm(),
        "backlog_form": AgendaItemForm(participants=series.participants.order_by("full_name")),
    })


@portal_view
def series_edit(request, pk: int):
    series = selectors.series_get(actor=request.actor, pk=pk)
    if not services.can_manage_series(request.actor, series):
        raise PermissionDenied("Only the owner of the series or the CTO may change it.")
    form = SeriesForm(request.POST or None, instance=series,
                      initial={"participants": list(series.participants.all())})

    def save(data: dict) -> SyncSeries:
        fields = {k: v for k, v in data.items() if k in services.SERIES_FIELDS}
        if fields.get("owner") is None:
            fields.pop("owner", None)
        return services.series_update(actor=request.actor, series=selectors.series_get(actor=request.actor, pk=pk),
                                      **fields)

    if done := submit_form(request, form, save, message=lambda saved: f"{saved} saved."):
        return done
    return render(request, "syncs/series_form.html", {"form": form, "title": f"Edit {series}", "series": series})


@portal_view
@require_POST
def meeting_create(request, pk: int):
    series = selectors.series_get(actor=request.actor, pk=pk)
    form = AdhocMeetingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(series)
    # The form reads the time in the server's zone; people type it in the series' own zone.
    when = timezone.make_naive(form.cleaned_data["scheduled_at"])
    try:
        meeting = services.meeting_create_adhoc(actor=request.actor, series=series, scheduled_at=when,
                                                title=form.cleaned_data["title"])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(series)
    messages.success(request, "Ad-hoc meeting added.")
    return redirect(meeting)


@portal_view
@require_POST
def backlog_add(request, pk: int):
    series = selectors.series_get(actor=request.actor, pk=pk)
    form = AgendaItemForm(request.POST, participants=series.participants.all())
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            services.agenda_item_add(actor=request.actor, series=series, meeting=None, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "Added to the backlog: it goes on the next meeting's agenda.")
    return redirect(series)


# -- Meetings ----------------------------------------------------------------------------------------
def _meeting_context(request, meeting: Meeting, **extra) -> dict:
    data = selectors.meeting_page(actor=request.actor, meeting=meeting)
    participants = meeting.series.participants.order_by("full_name")
    return {
        "meeting": meeting, "series": meeting.series, "data": data,
        "notes_form": extra.pop("notes_form", None) or NotesForm(initial={"body": meeting.notes, "version": meeting.version}),
        "agenda_form": AgendaItemForm(participants=participants),
        # Only the latest decisions still in force are offered to supersede (the API takes any).
        "supersede_choices": selectors.decision_list(actor=request.actor, series=meeting.series_id)
        .filter(superseded_by__isnull=True)[:50],
        "action_form": ActionItemForm(participants=participants),
        "status_form": MeetingStatusForm(participants=participants,
                                         initial={"status": meeting.status, "attendees": list(data.attendee_ids)}),
        "today": timezone.localdate(),
        "max_notes": MAX_NOTES_CHARS,
        "cost_anomalies": _anomalies_to_offer(request.actor, meeting),
        **extra,
    }


def _anomalies_to_offer(actor, meeting: Meeting) -> list:
    """A planned Tech Sync offers the open cost anomalies of the last two weeks (the ones this
    person may see, through the costs app's own selector) as agenda items."""
    if meeting.series.kind != SyncSeries.Kind.TECH or meeting.status != Meeting.Status.PLANNED:
        return []
    from apps.costs import selectors as cost_selectors

    since = timezone.localdate() - timezone.timedelta(days=14)
    return list(cost_selectors.open_anomalies_for_agenda(actor=actor, since=since).select_related("team")[:5])


@portal_view
def meeting_detail(request, pk: int):
    meeting = selectors.meeting_get(actor=request.actor, pk=pk)
    return render(request, "syncs/meeting_detail.html", _meeting_context(request, meeting))


@portal_view
def meeting_next(request, pk: int):
    """The series' next meeting (what people bookmark): the first one that has not ended."""
    series = selectors.series_get(actor=request.actor, pk=pk)
    meeting = selectors.first_upcoming(series.meetings.exclude(status=Meeting.Status.CANCELLED))
    if meeting is None:
        messages.info(request, "No upcoming meeting: add an ad-hoc one.")
        return redirect(series)
    return redirect(meeting)


@portal_view
@require_POST
def meeting_status(request, pk: int):
    meeting = selectors.meeting_get(actor=request.actor, pk=pk)
    form = MeetingStatusForm(request.POST, participants=meeting.series.participants.all())
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(meeting)
    data = form.cleaned_data
    was = meeting.status
    try:
        services.meeting_update(actor=request.actor, meeting=meeting, status=data["status"],
                                attendees=data["attendees"], seen_status=data["seen_status"],
                                seen_attendees=data["seen_attendees"])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        if meeting.status != was and meeting.status != Meeting.Status.PLANNED:
            messages.success(request, f"Meeting marked {meeting.get_status_display().lower()}; "
                                      "unfinished agenda items moved to the next meeting.")
        elif meeting.status != data["seen_status"] and data["status"] == data["seen_status"]:
            messages.success(request, f"Attendance saved. Someone else marked the meeting "
                                      f"{meeting.get_status_display().lower()} after you opened the page.")
        else:
            messages.success(request, "Meeting saved.")
    return redirect(meeting)


@portal_view
@require_POST
def agenda_add(request, pk: int):
    meeting = selectors.meeting_get(actor=request.actor, pk=pk)
    form = AgendaItemForm(request.POST, participants=meeting.series.participants.all())
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            services.agenda_item_add(actor=request.actor, series=meeting.series, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "Agenda item added.")
    return redirect(reverse("syncs:meeting-detail", args=[meeting.pk]) + "#agenda")


@portal_view
@require_POST
def agenda_item_status(request, pk: int):
    item = selectors.agenda_item_list(actor=request.actor).filter(pk=pk).select_related("series", "meeting").first()
    if item is None:
        raise Http404("No agenda item matches the given query.")
    form = AgendaStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            services.agenda_item_update(actor=request.actor, item=item, status=form.cleaned_data["status"],
                                        seen_status=form.cleaned_data["seen_status"])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    target = item.meeting.get_absolute_url() + "#agenda" if item.meeting_id else item.series.get_absolute_url()
    return redirect(target)


@portal_view
@require_POST
def agenda_item_move(request, pk: int):
    item = selectors.agenda_item_list(actor=request.actor).filter(pk=pk).select_related("series", "meeting").first()
    if item is None:
        raise Http404("No agenda item matches the given query.")
    try:
        services.agenda_item_move(actor=request.actor, item=item, direction=request.POST.get("direction", ""))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    target = item.meeting.get_absolute_url() + "#agenda" if item.meeting_id else item.series.get_absolute_url()
    return redirect(target)


@portal_view
@require_POST
def notes_save(request, pk: int):
    """Save the notes. A stale version is refused (409) with both texts side by side; the
    person can copy what they need and save again on top of the current version."""
    meeting = selectors.meeting_get(actor=request.actor, pk=pk)
    form = NotesForm(request.POST)
    if not form.is_valid():
        context = _meeting_context(request, meeting, notes_form=form)
        return render(request, "syncs/meeting_detail.html", context, status=400)
    try:
        services.meeting_notes_save(actor=request.actor, meeting=meeting, body=form.cleaned_data["body"],
                                    version=form.cleaned_data["version"])
    except services.NotesConflict as conflict:
        retry = NotesForm(initial={"body": conflict.your_body, "version": conflict.current_version})
        return render(request, "syncs/notes_conflict.html", {
            "meeting": meeting, "series": meeting.series, "conflict": conflict, "form": retry,
        }, status=409)
    except ValidationError as exc:
        add_service_errors(form, exc)
        context = _meeting_context(request, meeting, notes_form=form)
        return render(request, "syncs/meeting_detail.html", context, status=400)
    messages.success(request, f"Notes saved (version {meeting.version}).")
    return redirect(reverse("syncs:meeting-detail", args=[meeting.pk]) + "#notes")


@portal_view
@require_POST
def notes_preview(request):
    """htmx live preview: the Markdown rendered exactly as the saved notes will be (sanitised)."""
    body = request.POST.get("body", "")
    if len(body) > MAX_NOTES_CHARS:
        return HttpResponse(f'<p class="text-danger">The notes are longer than {MAX_NOTES_CHARS:,} characters.</p>',
                            status=400)
    return render(request, "syncs/_preview.html", {"html": render_markdown(body)})


@portal_view
@require_GET
def meeting_export(request, pk: int):
    meeting = selectors.meeting_get(actor=request.actor, pk=pk)
    text = exports.meeting_markdown(meeting=meeting, data=selectors.meeting_page(actor=request.actor, meeting=meeting))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    stamp = timezone.localtime(meeting.scheduled_at).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}-{stamp}.md"'
    return response


@portal_view
@require_POST
def decision_add(request, pk: int):
    meeting = selectors.meeting_get(actor=request.actor, pk=pk)
    form = DecisionForm(request.POST, participants=meeting.series.participants.all(),
                        decisions=selectors.decision_list(actor=request.actor))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            services.decision_record(actor=request.actor, series=meeting.series, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "Decision recorded.")
    return redirect(reverse("syncs:meeting-detail", args=[meeting.pk]) + "#decisions")


@portal_view
@require_POST
def action_add(request, pk: int):
    meeting = selectors.meeting_get(actor=request.actor, pk=pk)
    form = ActionItemForm(request.POST, participants=meeting.series.participants.all())
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            services.action_item_create(actor=request.actor, series=meeting.series, meeting=meeting,
                                        **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "Action item added.")
    return redirect(reverse("syncs:meeting-detail", args=[meeting.pk]) + "#actions")


@portal_view
@require_POST
def action_status(request, pk: int):
    item = selectors.action_item_list(actor=request.actor).filter(pk=pk).first()
    if item is None:
        raise Http404("No action item matches the given query.")
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            services.action_item_update(actor=request.actor, item=item, status=form.cleaned_data["status"],
                                        seen_status=form.cleaned_data["seen_status"])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, f"“{item.title}” is {item.get_status_display().lower()}.")
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect("syncs:my-actions")


# -- Decision log, action items -------------------------------------------------------------------
def _decision_filters(request) -> tuple[DecisionFilterForm, dict]:
    form = DecisionFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    return form, filters


@portal_view
def decision_log(request):
    actor = request.actor
    form, filters = _decision_filters(request)
    qs = selectors.decision_list(actor=actor, **filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "syncs/decision_log.html", {
        "page": page, "form": form, "filters": request.GET,
        "series_options": list(selectors.series_visible(actor=actor).order_by("title").values_list("pk", "title")),
        "people": Person.objects.filter(sync_decisions__series__in=selectors.series_visible(actor=actor))
        .distinct().order_by("full_name"),
    })


@portal_view
@require_GET
def decision_export(request):
    _, filters = _decision_filters(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="decision-log.csv"'
    exports.decisions_csv(selectors.decision_list(actor=request.actor, **filters), csv.writer(response))
    return response


@portal_view
def my_actions(request):
    actor = request.actor
    status = request.GET.get("status", ActionItem.Status.OPEN)
    if status not in ActionItem.Status.values and status != "all":
        status = ActionItem.Status.OPEN
    items = selectors.my_action_items(actor=actor, status=None if status == "all" else status)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "syncs/my_actions.html", {
        "page": page, "status": status, "statuses": ActionItem.Status.choices, "today": timezone.localdate(),
    })


@portal_view
def actions_by_owner(request):
    """Overdue items and completion rate per owner, over the series the viewer sees."""
    return render(request, "syncs/actions_by_owner.html", {
        "stats": selectors.action_items_by_owner(actor=request.actor), "today": timezone.localdate(),
    })


# -- Calendar feed -------------------------------------------------------------------------------------
@portal_view
def calendar(request):
    if request.actor.person is None:
        raise PermissionDenied("Only people have a calendar feed.")
    if request.method == "POST":
        feed = services.calendar_feed_rotate(actor=request.actor)
        messages.success(request, "New feed address: the old one no longer works.")
        return redirect("syncs:calendar")
    feed = services.calendar_feed_get(actor=request.actor)
    url = request.build_absolute_uri(reverse("syncs:ical-feed", args=[feed.token]))
    return render(request, "syncs/calendar.html", {"feed": feed, "feed_url": url})


@require_GET
def ical_feed(request, token: str):
    """No session: the secret token is the credential (calendar apps cannot sign in)."""
    feed = selectors.calendar_feed_for_token(token=token)
    if feed is None:
        raise Http404("Unknown or rotated feed.")
    from apps.knowledge import ical as knowledge_ical
    from apps.knowledge import selectors as knowledge_selectors

    base_url = request.build_absolute_uri("/")
    talks = knowledge_ical.session_events(knowledge_selectors.calendar_sessions(), now=timezone.now(),
                                          base_url=base_url.rstrip("/"), person_id=feed.person_id)
    body = exports.ical(person=feed.person, meetings=selectors.feed_meetings(person=feed.person),
                        base_url=base_url, extra_events=talks)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


