"""Nothing written on a sync is lost to a later, staler write: a changed schedule moves the
upcoming meetings (one per date) instead of planning a second set, one-button status changes
carry the status the page showed, attendance saves merge, admin notes edits move the notes
version, and a series is never deleted with its history."""
from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from apps.core.views import CONFLICT_MESSAGE
from apps.syncs import services
from apps.syncs.models import ActionItem, AgendaItem, Decision, Meeting, SyncSeries
from tests.syncs.builders import actor, build


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _weekly(world, *, weekday_offset: int = 1, **extra) -> SyncSeries:
    """A weekly UTC series whose first meeting is ``weekday_offset`` days from today (in the future)."""
    today = timezone.localdate()
    return services.series_create(
        actor=actor(world, "cto"), title="Tech Sync", kind=SyncSeries.Kind.TECH, participants=[world.tl, world.tl2],
        weekday=(today + timedelta(days=weekday_offset)).weekday(), start_time=time(10, 0), time_zone="UTC",
        starts_on=today, agenda_template="Incidents\nRFCs", **extra)


def _regular(series: SyncSeries) -> list[Meeting]:
    return list(series.meetings.filter(is_adhoc=False).order_by("scheduled_at"))


def _per_date(meetings: list[Meeting]) -> dict:
    days: dict = {}
    for m in meetings:
        days.setdefault(m.scheduled_at.date(), []).append(f"{m.scheduled_at:%H:%M}")
    return days


# -- A changed schedule moves the upcoming meetings --------------------------------------------------
def test_a_new_start_time_moves_the_upcoming_meetings_with_what_was_written_on_them(world):
    cto, tl = actor(world, "cto"), actor(world, "tl")
    series = _weekly(world)
    first, second, *rest = _regular(series)
    assert len(rest) >= 2
    services.meeting_notes_save(actor=tl, meeting=first, body="Prep: the RFC on queues", version=0)
    services.agenda_item_add(actor=tl, series=series, meeting=first, title="Queue RFC")
    services.meeting_update(actor=cto, meeting=second, status=Meeting.Status.CANCELLED)
    adhoc = services.meeting_create_adhoc(actor=cto, series=series, title="Deep-dive",
                                          scheduled_at=datetime.combine(rest[0].scheduled_at.date(), time(15, 0), UTC))
    template_items = AgendaItem.objects.filter(series=series, title="Incidents").count()

    services.series_update(actor=cto, series=SyncSeries.objects.get(pk=series.pk), start_time=time(11, 0),
                           duration_minutes=45)

    meetings = _regular(series)
    assert {d: t for d, t in _per_date(meetings).items() if len(t) > 1} == {}
    moved = Meeting.objects.get(pk=first.pk)
    assert (f"{moved.scheduled_at:%H:%M}", moved.duration_minutes, moved.notes, moved.version) == (
        "11:00", 45, "Prep: the RFC on queues", 1)
    assert "Queue RFC" in set(moved.agenda_items.values_list("title", flat=True))
    # The cancelled meeting stays as it was, and its date gets no other meeting.
    assert [f"{m.scheduled_at:%H:%M}" for m in meetings if m.scheduled_at.date() == second.scheduled_at.date()] == [
        "10:00"]
    assert {f"{m.scheduled_at:%H:%M}" for m in meetings if m.status == Meeting.Status.PLANNED} == {"11:00"}
    assert Meeting.objects.get(pk=adhoc.pk).scheduled_at.time() == time(15, 0)
    # Nothing planned twice: no second set of meetings, no second template agenda.
    assert services.meeting_generate_upcoming(series_ids=[series.pk]) == 0
    assert AgendaItem.objects.filter(series=series, title="Incidents").count() == template_items


def test_a_new_weekday_drops_only_the_untouched_meetings_of_the_old_one(world):
    cto, tl = actor(world, "cto"), actor(world, "tl")
    series = _weekly(world, weekday_offset=1)
    first, second, third, *_ = _regular(series)
    services.meeting_notes_save(actor=tl, meeting=first, body="Agreed to demo the new pipeline", version=0)
    services.action_item_create(actor=tl, series=series, meeting=second, title="Book the room")
    new_weekday = (timezone.localdate() + timedelta(days=2)).weekday()

    services.series_update(actor=cto, series=SyncSeries.objects.get(pk=series.pk), weekday=new_weekday)

    meetings = _regular(series)
    kept = {m.pk for m in meetings if m.scheduled_at.weekday() != new_weekday}
    assert kept == {first.pk, second.pk}  # written on: never deleted
    assert not Meeting.objects.filter(pk=third.pk).exists()  # untouched, on a date the series no longer has
    assert ActionItem.objects.get(title="Book the room").meeting_id == second.pk
    new = [m for m in meetings if m.scheduled_at.weekday() == new_weekday]
    assert len(new) >= 4 and {f"{m.scheduled_at:%H:%M}" for m in new} == {"10:00"}
    assert {d: t for d, t in _per_date(meetings).items() if len(t) > 1} == {}


def test_a_schedule_change_merges_the_duplicates_an_earlier_run_planned(world):
    """Before the fix a start-time change planned a second meeting on every date: the next change
    of the schedule keeps one per date, the one written on."""
    cto, tl = actor(world, "cto"), actor(world, "tl")
    series = _weekly(world)
    old = _regular(series)
    duplicates = [Meeting.objects.create(series=series, scheduled_at=m.scheduled_at + timedelta(hours=1))
                  for m in old]
    services.meeting_notes_save(actor=tl, meeting=old[1], body="Written on the 10:00 one", version=0)

    services.series_update(actor=cto, series=SyncSeries.objects.get(pk=series.pk), start_time=time(11, 0))

    meetings = _regular(series)
    assert {d: t for d, t in _per_date(meetings).items() if t != ["11:00"]} == {}
    assert Meeting.objects.get(pk=old[1].pk).scheduled_at.time() == time(11, 0)
    assert not Meeting.objects.filter(pk=duplicates[1].pk).exists()


def test_the_generator_plans_one_meeting_per_date_whatever_its_time(world):
    """A meeting moved on its own (in the admin) keeps its date: the nightly run adds no other."""
    series = _weekly(world)
    first = _regular(series)[0]
    Meeting.objects.filter(pk=first.pk).update(scheduled_at=first.scheduled_at.replace(hour=14))

    assert services.meeting_generate_upcoming(series_ids=[series.pk]) == 0
    assert _per_date(_regular(series))[first.scheduled_at.date()] == ["14:00"]


def test_a_title_change_moves_nothing(world):
    series = _weekly(world)
    first = _regular(series)[0]
    Meeting.objects.filter(pk=first.pk).update(scheduled_at=first.scheduled_at.replace(hour=14))

    services.series_update(actor=actor(world, "cto"), series=SyncSeries.objects.get(pk=series.pk), title="Arch Sync")

    assert Meeting.objects.get(pk=first.pk).scheduled_at.time() == time(14, 0)


# -- One-button status changes carry the status the page showed ---------------------------------------
@pytest.fixture
def open_action(world):
    data = build(world)
    item = services.action_item_create(actor=actor(world, "em"), series=data.em_sync, meeting=data.em_meeting,
                                       owner=world.em2, title="Send the offer letters")
    return data, item


def test_the_action_buttons_post_the_status_the_page_showed(world, open_action):
    data, item = open_action
    page = world.client("em").get(data.em_meeting.get_absolute_url()).content.decode()
    assert '<input type="hidden" name="seen_status" value="open">' in page
    response = world.client("em").post(reverse("syncs:action-status", args=[item.pk]),
                                       {"status": "done", "seen_status": "open"})
    item.refresh_from_db()
    assert (response.status_code, item.status) == (302, "done") and item.completed_at is not None


def test_a_drop_from_a_stale_page_is_refused_and_changes_nothing(world, open_action):
    _, item = open_action
    services.action_item_update(actor=actor(world, "em2"), item=item, status="done")
    done_at = ActionItem.objects.get(pk=item.pk).completed_at

    response = world.client("em").post(reverse("syncs:action-status", args=[item.pk]),
                                       {"status": "dropped", "seen_status": "open"})

    item.refresh_from_db()
    assert (response.status_code, item.status, item.completed_at) == (302, "done", done_at)
    assert _messages(response) == ["status: Someone else marked this action item done after you opened the page; "
                                   "nothing was changed. Reload the page to see it."]


def test_done_from_a_stale_page_when_it_is_already_done_keeps_the_first_completion(world, open_action):
    _, item = open_action
    services.action_item_update(actor=actor(world, "em2"), item=item, status="done")
    done_at = ActionItem.objects.get(pk=item.pk).completed_at

    world.client("em").post(reverse("syncs:action-status", args=[item.pk]), {"status": "done", "seen_status": "open"})

    item.refresh_from_db()
    assert (item.status, item.completed_at) == ("done", done_at)


def test_a_status_post_without_the_shown_status_is_refused(world, open_action):
    _, item = open_action
    response = world.client("em").post(reverse("syncs:action-status", args=[item.pk]), {"status": "dropped"})
    item.refresh_from_db()
    assert (item.status, item.completed_at) == ("open", None)
    assert _messages(response) == ["seen_status: This page is out of date: reload it and try again."]


def test_discussed_from_a_stale_page_does_not_undo_a_carry_forward(world):
    data = build(world)
    em = actor(world, "em")
    item = services.agenda_item_add(actor=em, series=data.em_sync, meeting=data.em_meeting, title="Headcount plan")
    services.meeting_update(actor=em, meeting=data.em_meeting, status="held")
    assert AgendaItem.objects.get(pk=item.pk).status == "carried"

    response = world.client("em2").post(reverse("syncs:agenda-item-status", args=[item.pk]),
                                        {"status": "done", "seen_status": "open"})

    assert AgendaItem.objects.get(pk=item.pk).status == "carried"
    assert "Someone else marked this agenda item carried forward" in _messages(response)[0]


# -- Status and attendance ------------------------------------------------------------------------------
def test_attendance_from_a_stale_page_is_saved_on_top_and_the_meeting_stays_held(world):
    data = build(world)
    meeting = data.em_meeting
    page = world.client("em2").get(meeting.get_absolute_url()).content.decode()
    assert '<input type="hidden" name="seen_status" value="planned">' in page
    services.meeting_update(actor=actor(world, "em"), meeting=Meeting.objects.get(pk=meeting.pk), status="held",
                            attendees=[world.em, world.cto])

    response = world.client("em2").post(reverse("syncs:meeting-status", args=[meeting.pk]),
                                        {"status": "planned", "seen_status": "planned", "attendees": [world.em2.pk]})

    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert set(meeting.attendees.values_list("pk", flat=True)) == {world.em.pk, world.cto.pk, world.em2.pk}
    assert _messages(response) == ["Attendance saved. Someone else marked the meeting held after you opened the page."]


def test_a_status_change_from_a_stale_page_is_refused_whole(world):
    data = build(world)
    meeting = data.em_meeting
    services.meeting_update(actor=actor(world, "em"), meeting=meeting, status="held", attendees=[world.em])

    response = world.client("em2").post(reverse("syncs:meeting-status", args=[meeting.pk]),
                                        {"status": "cancelled", "seen_status": "planned",
                                         "attendees": [world.em2.pk]})

    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert list(meeting.attendees.values_list("pk", flat=True)) == [world.em.pk]
    assert _messages(response) == ["status: Someone else marked this meeting held after you opened the page; "
                                   "nothing was changed. Reload the page to see it."]


def test_unticking_someone_keeps_the_ticks_others_saved_meanwhile(world):
    data = build(world)
    meeting = data.em_meeting
    meeting.attendees.set([world.em, world.em2])
    page = world.client("em").get(meeting.get_absolute_url()).content.decode()
    assert page.count('name="seen_attendees"') == 2
    meeting.attendees.add(world.cto)  # someone else ticks the CTO meanwhile

    world.client("em").post(reverse("syncs:meeting-status", args=[meeting.pk]),
                            {"status": "planned", "seen_status": "planned", "attendees": [world.em.pk],
                             "seen_attendees": [world.em.pk, world.em2.pk]})

    assert set(meeting.attendees.values_list("pk", flat=True)) == {world.em.pk, world.cto.pk}


# -- The admin -------------------------------------------------------------------------------------------

def _admin_meeting_form(meeting: Meeting, notes: str, **extra) -> dict:
    when = timezone.localtime(meeting.scheduled_at, timezone.get_default_timezone())
    return {"series": meeting.series_id, "scheduled_at_0": when.strftime("%Y-%m-%d"),
            "scheduled_at_1": when.strftime("%H:%M:%S"), "duration_minutes": meeting.duration_minutes,
            "status": meeting.status, "title": meeting.title, "attendees": [], "notes": notes,
            "carried_forward_at_0": "", "carried_forward_at_1": "", **extra}


def test_an_admin_notes_edit_is_a_notes_save(world, superuser_client):
    meeting = build(world).em_meeting
    services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body="Hiring: 2 offers.", version=0)
    page = superuser_client.get(reverse("admin:syncs_meeting_change", args=[meeting.pk])).content.decode()
    assert 'name="notes_version" value="1"' in page

    response = superuser_client.post(reverse("admin:syncs_meeting_change", args=[meeting.pk]),
                                 _admin_meeting_form(meeting, "Hiring: 3 offers.", notes_version=1))

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.version, meeting.notes_updated_by_id) == ("Hiring: 3 offers.", 2, world.cto.pk)


def test_an_admin_notes_edit_opened_before_a_page_save_is_refused(world, superuser_client):
    meeting = build(world).em_meeting
    services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body="Hiring: 2 offers.", version=0)
    services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body="Hiring: 2 offers, 1 signed.",
                                version=1)

    response = superuser_client.post(reverse("admin:syncs_meeting_change", args=[meeting.pk]),
                                 _admin_meeting_form(meeting, "Hiring: 3 offers.", notes_version=1))

    assert response.status_code == 200
    assert "after you opened version 1" in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.version) == ("Hiring: 2 offers, 1 signed.", 2)


def test_an_admin_edit_of_other_fields_keeps_the_notes_version(world, superuser_client):
    meeting = build(world).em_meeting
    services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body="Hiring", version=0)
    response = superuser_client.post(reverse("admin:syncs_meeting_change", args=[meeting.pk]),
                                 _admin_meeting_form(meeting, "Hiring", title="Budget special", notes_version=1))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.version) == ("Budget special", 1)


def test_a_series_cannot_be_deleted_with_its_history(world, superuser_client):
    data = build(world)
    decision = services.decision_record(actor=actor(world, "em"), series=data.em_sync, meeting=data.em_meeting,
                                        text="Freeze hiring until Q3")

    assert superuser_client.get(reverse("admin:syncs_syncseries_delete", args=[data.em_sync.pk])).status_code == 403
    with pytest.raises(ProtectedError):
        SyncSeries.objects.filter(pk=data.em_sync.pk).delete()
    assert Decision.objects.filter(pk=decision.pk).exists() and Meeting.objects.filter(pk=data.em_meeting.pk).exists()


# -- The series edit page ---------------------------------------------------------------------------------
def test_the_series_edit_page_refuses_a_stale_save_and_a_second_save_overwrites_knowingly(world):
    data = build(world)
    url = reverse("syncs:series-edit", args=[data.em_sync.pk])
    cto = world.client("cto")
    seen = re.search(r'name="_seen" value="([0-9a-f]+)"', cto.get(url).content.decode()).group(1)
    services.series_update(actor=actor(world, "cto"), series=SyncSeries.objects.get(pk=data.em_sync.pk),
                           title="EM Sync (renamed)")
    form = {"kind": "em", "title": "EM Sync", "owner": world.cto.pk, "participants": [world.em.pk, world.em2.pk],
            "cadence": "weekly", "weekday": 1, "start_time": "11:00", "time_zone": "Europe/Lisbon",
            "duration_minutes": 60, "starts_on": data.em_sync.starts_on.isoformat(), "agenda_template": "Wins",
            "is_active": "on", "_seen": seen}

    refused = cto.post(url, form)

    assert refused.status_code == 200 and CONFLICT_MESSAGE in refused.content.decode().replace("&#x27;", "'")
    assert SyncSeries.objects.get(pk=data.em_sync.pk).title == "EM Sync (renamed)"
    fresh = re.search(r'name="_seen" value="([0-9a-f]+)"', refused.content.decode()).group(1)
    assert cto.post(url, {**form, "_seen": fresh}).status_code == 302
    saved = SyncSeries.objects.get(pk=data.em_sync.pk)
    assert (saved.title, saved.start_time) == ("EM Sync", time(11, 0))
