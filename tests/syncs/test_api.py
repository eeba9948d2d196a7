"""The API: create and filter through services and selectors; bad input is a 400 with field
messages, never a 500."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from apps.syncs import services
from apps.syncs.models import ActionItem, AgendaItem, Decision, SyncSeries
from tests.syncs.builders import actor, build

JSON = "application/json"


@pytest.fixture
def data(world):
    return build(world)


def test_em_creates_a_series_with_generated_meetings(world):
    response = world.client("em").post(reverse("api:sync-series-list"), {
        "title": "Platform sync", "kind": "other", "participants": [world.tl.pk], "cadence": "weekly",
        "weekday": 2, "start_time": "16:00", "time_zone": "Europe/Lisbon",
    }, content_type=JSON)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert sorted(body["participants"]) == sorted([world.em.pk, world.tl.pk])  # the owner takes part
    assert body["owner"] == world.em.pk
    series = SyncSeries.objects.get(pk=body["id"])
    assert series.meetings.count() >= 4


@pytest.mark.parametrize(("field", "value", "message"), [
    ("cadence", "fortnightly-ish", '"fortnightly-ish" is not a valid choice.'),
    ("weekday", 9, '"9" is not a valid choice.'),
    ("time_zone", "Mars/Olympus", '"Mars/Olympus" is not a valid choice.'),
    ("start_time", "25:99", "Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]]."),
    ("kind", "party", '"party" is not a valid choice.'),
])
def test_invalid_cadence_fields_are_400(world, field, value, message):
    payload = {"title": "Bad", "cadence": "weekly", "weekday": 1, "start_time": "10:00", field: value}
    response = world.client("cto").post(reverse("api:sync-series-list"), payload, content_type=JSON)
    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert SyncSeries.objects.filter(title="Bad").count() == 0


def test_invalid_cadence_on_the_page_is_a_form_error(world):
    response = world.client("cto").post(reverse("syncs:series-create"), {
        "kind": "tech", "title": "Bad", "cadence": "daily", "weekday": 1, "start_time": "10:00",
        "time_zone": "UTC", "duration_minutes": 60, "starts_on": "2026-01-01",
    })
    assert response.status_code == 200
    assert "Select a valid choice. daily is not one of the available choices." in response.content.decode()
    assert SyncSeries.objects.filter(title="Bad").count() == 0


def test_due_date_that_is_not_a_date_is_400(world, data):
    response = world.client("em").post(reverse("api:sync-action-item-list"), {
        "series": data.em_sync.pk, "title": "Plan", "due_date": "next tuesday",
    }, content_type=JSON)
    assert response.status_code == 400
    assert response.json()["due_date"] == ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
    page = world.client("em").post(reverse("syncs:action-add", args=[data.em_meeting.pk]),
                                   {"title": "Plan", "due_date": "31/02/2026"}, follow=True)
    assert page.status_code == 200
    assert "due_date: Enter a valid date." in page.content.decode()
    assert ActionItem.objects.count() == 0


@pytest.mark.parametrize(("name", "query", "field"), [
    ("api:sync-meeting-list", "date_from=yesterday", "date_from"),
    ("api:sync-meeting-list", "series=abc", "series"),
    ("api:sync-meeting-list", "status=maybe", "status"),
    ("api:sync-decision-list", "date_to=2026-13-40", "date_to"),
    ("api:sync-decision-list", "owner=me", "owner"),
    ("api:sync-action-item-list", "due_before=soon", "due_before"),
    ("api:sync-action-item-list", "status=maybe", "status"),
    ("api:sync-agenda-item-list", "meeting=x", "meeting"),
])
def test_bad_filters_are_400_with_the_field(world, name, query, field):
    response = world.client("cto").get(reverse(name) + "?" + query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_action_item_lifecycle_and_filters(world, data):
    em = world.client("em")
    url = reverse("api:sync-action-item-list")
    overdue = em.post(url, {"series": data.em_sync.pk, "meeting": data.em_meeting.pk, "title": "Budget",
                            "owner": world.em2.pk, "due_date": str(date.today() - timedelta(days=3))},
                      content_type=JSON)
    assert overdue.status_code == 201
    assert overdue.json()["is_overdue"] is True
    em.post(url, {"series": data.em_sync.pk, "title": "Hiring", "due_date": str(date.today() + timedelta(days=3))},
            content_type=JSON)
    assert [a["title"] for a in em.get(url + "?overdue=1").json()["results"]] == ["Budget"]
    assert [a["title"] for a in em.get(url + f"?owner={world.em.pk}").json()["results"]] == ["Hiring"]
    done = em.patch(reverse("api:sync-action-item-detail", args=[overdue.json()["id"]]), {"status": "done"},
                    content_type=JSON)
    assert done.status_code == 200
    assert done.json()["status"] == "done" and done.json()["completed_at"] is not None
    assert [a["title"] for a in em.get(url + "?status=open").json()["results"]] == ["Hiring"]


def test_action_item_in_private_series_needs_a_participant_owner(world, data):
    response = world.client("em").post(reverse("api:sync-action-item-list"), {
        "series": data.one_on_one.pk, "title": "Secret", "owner": world.engineer.pk}, content_type=JSON)
    assert response.status_code == 400
    assert response.json()["owner"] == ["In a private series the owner must be one of its participants."]


def test_cannot_write_into_a_series_one_does_not_see(world, data):
    response = world.client("cto").post(reverse("api:sync-agenda-item-list"), {
        "series": data.one_on_one.pk, "title": "Snoop"}, content_type=JSON)
    assert response.status_code == 400
    assert response.json()["series"] == [f'Invalid pk "{data.one_on_one.pk}" - object does not exist.']
    assert AgendaItem.objects.filter(title="Snoop").count() == 0


def test_agenda_items_and_backlog_via_api(world, data):
    tl = world.client("tl")
    url = reverse("api:sync-agenda-item-list")
    r1 = tl.post(url, {"series": data.tech_sync.pk, "title": "Backlog topic"}, content_type=JSON)
    assert r1.status_code == 201 and r1.json()["meeting"] is None
    r2 = tl.post(url, {"series": data.tech_sync.pk, "title": "Too long", "minutes": 1000}, content_type=JSON)
    assert r2.status_code == 400
    assert "minutes" in r2.json()


def test_decisions_supersede_once(world, data):
    em = world.client("em")
    url = reverse("api:sync-decision-list")
    first = em.post(url, {"series": data.em_sync.pk, "text": "Deploy on Fridays", "rationale": "speed"},
                    content_type=JSON).json()
    second = em.post(url, {"series": data.em_sync.pk, "text": "No deploys on Fridays", "supersedes": first["id"]},
                     content_type=JSON)
    assert second.status_code == 201
    again = em.post(url, {"series": data.em_sync.pk, "text": "Deploy whenever", "supersedes": first["id"]},
                    content_type=JSON)
    assert again.status_code == 400
    assert again.json()["supersedes"] == ["That decision has already been superseded."]
    detail = em.get(reverse("api:sync-decision-detail", args=[first["id"]])).json()
    assert detail["superseded_by"] == second.json()["id"]
    assert [d["text"] for d in em.get(url + "?q=fridays").json()["results"]] == [
        "No deploys on Fridays", "Deploy on Fridays"]
    assert Decision.objects.count() == 2


def test_meeting_status_via_api_carries_forward(world, data):
    services.agenda_item_add(actor=actor(world, "em"), series=data.em_sync, meeting=data.em_meeting, title="Open topic")
    response = world.client("service").patch(reverse("api:sync-meeting-detail", args=[data.em_meeting.pk]),
                                             {"status": "held"}, content_type=JSON)
    assert response.status_code == 200
    assert response.json()["status"] == "held"
    assert AgendaItem.objects.filter(title="Open topic", carried_from__isnull=False).count() == 1
    bad = world.client("service").patch(reverse("api:sync-meeting-detail", args=[data.em_meeting.pk]),
                                        {"status": "postponed"}, content_type=JSON)
    assert bad.status_code == 400


def test_adhoc_meeting_via_api(world, data):
    response = world.client("tl").post(reverse("api:sync-meeting-list"), {
        "series": data.tech_sync.pk, "scheduled_at": "2030-02-01T12:00:00Z", "title": "Incident review"},
        content_type=JSON)
    assert response.status_code == 201
    assert response.json()["is_adhoc"] is True
    clash = world.client("tl").post(reverse("api:sync-meeting-list"), {
        "series": data.tech_sync.pk, "scheduled_at": "2030-02-01T12:00:00Z"}, content_type=JSON)
    assert clash.status_code == 400
    assert clash.json()["scheduled_at"] == ["This series already has a meeting at that time."]
