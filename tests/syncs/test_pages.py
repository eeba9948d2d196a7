"""The pages' write paths: create and edit a series, backlog, ad-hoc meetings, agenda status,
decisions with supersedes."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from apps.syncs import services
from apps.syncs.models import AgendaItem, Decision, Meeting, SyncSeries
from tests.syncs.builders import actor, build

SERIES_FORM = {
    "kind": "one_on_one", "title": "Tl / Engineer", "participants": [], "cadence": "biweekly", "weekday": 2,
    "start_time": "11:30", "time_zone": "Europe/Lisbon", "duration_minutes": 30, "starts_on": "2026-01-05",
    "agenda_template": "How are you?",
}


def test_tl_creates_a_one_on_one_by_page(world):
    response = world.client("tl").post(reverse("syncs:series-create"),
                                       {**SERIES_FORM, "participants": [world.engineer.pk]})
    assert response.status_code == 302
    series = SyncSeries.objects.get(title="Tl / Engineer")
    assert response["Location"] == series.get_absolute_url()
    assert (series.owner, series.is_private, series.cadence) == (world.tl, True, "biweekly")
    assert set(series.participants.values_list("pk", flat=True)) == {world.tl.pk, world.engineer.pk}
    assert series.meetings.count() >= 2
    assert series.meetings.first().agenda_items.get().title == "How are you?"
    assert world.client("engineer").get(series.get_absolute_url()).status_code == 200
    assert world.client("cto").get(series.get_absolute_url()).status_code == 404


def test_series_form_errors_are_shown_and_nothing_is_created(world):
    response = world.client("tl").post(reverse("syncs:series-create"),
                                       {**SERIES_FORM, "participants": [world.engineer.pk, world.em.pk]})
    assert response.status_code == 200
    assert "A 1:1 has exactly two participants" in response.content.decode()
    response = world.client("tl").post(reverse("syncs:series-create"), {**SERIES_FORM, "start_time": "noon"})
    assert "Enter a valid time." in response.content.decode()
    assert SyncSeries.objects.count() == 0


def test_owner_edits_the_series(world):
    data = build(world)
    url = reverse("syncs:series-edit", args=[data.em_sync.pk])
    cto = world.client("cto")
    assert cto.get(url).status_code == 200
    form = {"kind": "em", "title": "EM Sync (weekly)", "owner": world.cto.pk,
            "participants": [world.em.pk, world.em2.pk, world.pm.pk], "cadence": "weekly", "weekday": 0,
            "start_time": "09:00", "time_zone": "Europe/Lisbon", "duration_minutes": 45, "starts_on": "2026-01-05",
            "agenda_template": "", "is_active": "on"}
    response = cto.post(url, form)
    assert response.status_code == 302
    data.em_sync.refresh_from_db()
    assert (data.em_sync.title, data.em_sync.duration_minutes) == ("EM Sync (weekly)", 45)
    assert set(data.em_sync.participants.values_list("pk", flat=True)) == {
        world.cto.pk, world.em.pk, world.em2.pk, world.pm.pk}
    assert world.client("pm").get(data.em_sync.get_absolute_url()).status_code == 200
    # Unticking "active" ends the series: no more meetings are generated.
    assert cto.post(url, {**form, "is_active": ""}).status_code == 302
    data.em_sync.refresh_from_db()
    assert data.em_sync.is_active is False
    assert services.meeting_generate_upcoming(series_ids=[data.em_sync.pk]) == 0


def test_backlog_adhoc_and_agenda_status_by_page(world):
    data = build(world)
    em = world.client("em")
    assert em.post(reverse("syncs:backlog-add", args=[data.em_sync.pk]), {"title": "Offsite"}).status_code == 302
    assert AgendaItem.objects.get(title="Offsite").meeting is None
    response = em.post(reverse("syncs:meeting-create", args=[data.em_sync.pk]),
                       {"scheduled_at": "2031-07-04T15:00", "title": "Budget deep-dive"})
    meeting = Meeting.objects.get(title="Budget deep-dive")
    assert response["Location"] == meeting.get_absolute_url()
    assert meeting.is_adhoc
    assert meeting.scheduled_at == datetime(2031, 7, 4, 15, 0, tzinfo=ZoneInfo("Europe/Lisbon"))  # summer: UTC+1
    bad = em.post(reverse("syncs:meeting-create", args=[data.em_sync.pk]), {"scheduled_at": "someday"}, follow=True)
    assert "scheduled_at: Enter a valid date/time." in bad.content.decode()
    item = services.agenda_item_add(actor=actor(world, "em"), series=data.em_sync, meeting=data.em_meeting, title="Wins")
    assert em.post(reverse("syncs:agenda-item-status", args=[item.pk]),
                   {"status": "done", "seen_status": "open"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "done"
    refused = world.client("tl").post(reverse("syncs:agenda-item-status", args=[item.pk]),
                                      {"status": "open", "seen_status": "done"})
    assert refused.status_code == 404
    item.refresh_from_db()
    assert item.status == "done"


def test_decision_with_supersedes_by_page(world):
    data = build(world)
    old = services.decision_record(actor=actor(world, "cto"), series=data.em_sync, text="Hire in Lisbon only",
                                   decided_on=date(2026, 1, 1))
    em = world.client("em")
    page = em.get(data.em_meeting.get_absolute_url()).content.decode()
    assert f'<option value="{old.pk}">2026-01-01 Hire in Lisbon only</option>' in page
    response = em.post(reverse("syncs:decision-add", args=[data.em_meeting.pk]),
                       {"text": "Hire remote in EU time zones", "rationale": "Talent pool", "supersedes": old.pk})
    assert response.status_code == 302
    new = Decision.objects.get(text="Hire remote in EU time zones")
    assert (new.supersedes_id, new.owner_id, new.meeting_id) == (old.pk, world.em.pk, data.em_meeting.pk)
    log = world.client("cto").get(reverse("syncs:decision-log")).content.decode()
    assert f'superseded by <a href="#decision-{new.pk}">#{new.pk}</a>' in log


def test_agenda_items_move_up_and_down(world):
    data = build(world)
    em = actor(world, "em")
    a, b, c = (services.agenda_item_add(actor=em, series=data.em_sync, meeting=data.em_meeting, title=t)
               for t in ("A", "B", "C"))
    client = world.client("em")
    assert client.post(reverse("syncs:agenda-item-move", args=[c.pk]), {"direction": "up"}).status_code == 302
    assert list(data.em_meeting.agenda_items.order_by("order").values_list("title", flat=True)) == ["A", "C", "B"]
    client.post(reverse("syncs:agenda-item-move", args=[a.pk]), {"direction": "up"})  # already first
    client.post(reverse("syncs:agenda-item-move", args=[a.pk]), {"direction": "down"})
    assert list(data.em_meeting.agenda_items.order_by("order").values_list("title", flat=True)) == ["C", "A", "B"]
    client.post(reverse("syncs:agenda-item-move", args=[b.pk]), {"direction": "sideways"})
    assert list(data.em_meeting.agenda_items.order_by("order").values_list("order", flat=True)) == [1, 2, 3]
    refused = world.client("tl").post(reverse("syncs:agenda-item-move", args=[b.pk]), {"direction": "up"})
    assert refused.status_code == 404
    assert list(data.em_meeting.agenda_items.order_by("order").values_list("title", flat=True)) == ["C", "A", "B"]
