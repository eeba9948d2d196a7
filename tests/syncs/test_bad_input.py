"""Garbage in, a clear 400 out: never a 500, and nothing written."""
from __future__ import annotations

import pytest
from django.urls import reverse

from apps.syncs.models import ActionItem, AgendaItem, Decision, Meeting, SyncSeries
from tests.syncs.builders import build


def _counts():
    return (SyncSeries.objects.count(), Meeting.objects.count(), AgendaItem.objects.count(), Decision.objects.count(),
            ActionItem.objects.count())


@pytest.mark.parametrize(("name", "payload", "field"), [
    ("api:sync-series-list", {"title": "x", "weekday": "abc"}, "weekday"),
    ("api:sync-series-list", {"title": "x", "participants": "everyone"}, "participants"),
    ("api:sync-series-list", {"title": "x", "duration_minutes": 100000}, "duration_minutes"),
    ("api:sync-series-list", {"title": "", "cadence": "weekly"}, "title"),
    ("api:sync-series-list", {"title": "x", "starts_on": "soon"}, "starts_on"),
    ("api:sync-meeting-list", {"series": "em", "scheduled_at": "2030-01-01T10:00:00Z"}, "series"),
    ("api:sync-meeting-list", {"series": "EM", "scheduled_at": "tomorrow"}, "scheduled_at"),
    ("api:sync-agenda-item-list", {"series": "EM", "title": "t", "minutes": "ten"}, "minutes"),
    ("api:sync-agenda-item-list", {"series": "EM", "title": "t", "presenter": 999999}, "presenter"),
    ("api:sync-agenda-item-list", {"series": "EM", "title": "x" * 201}, "title"),
    ("api:sync-decision-list", {"series": "EM", "text": "t", "decided_on": "31.12.2026"}, "decided_on"),
    ("api:sync-decision-list", {"series": "EM", "text": ""}, "text"),
    ("api:sync-decision-list", {"series": "EM", "text": "t", "supersedes": "abc"}, "supersedes"),
    ("api:sync-action-item-list", {"series": "EM", "title": "t", "status": "finished"}, "status"),
    ("api:sync-action-item-list", {"series": "EM", "title": "t", "owner": "me"}, "owner"),
    ("api:sync-action-item-list", {"series": "EM", "title": "t", "due_date": "2026-02-30"}, "due_date"),
])
def test_api_bad_input_is_400_with_the_field(world, name, payload, field):
    data = build(world)
    payload = {k: (data.em_sync.pk if v == "EM" else v) for k, v in payload.items()}
    before = _counts()
    response = world.client("cto").post(reverse(name), payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert _counts() == before


@pytest.mark.parametrize("body", [
    {"body": ["a", "b"], "version": 0},
    {"body": "x", "version": -1},
    {"body": "x", "version": None},
    "not json at all",
])
def test_api_notes_garbage_is_400(world, body):
    data = build(world)
    url = reverse("api:sync-meeting-notes", args=[data.em_meeting.pk])
    response = world.client("em").put(url, body, content_type="application/json")
    assert response.status_code == 400
    data.em_meeting.refresh_from_db()
    assert (data.em_meeting.notes, data.em_meeting.version) == ("", 0)


@pytest.mark.parametrize(("name", "payload"), [
    ("syncs:notes-save", {"body": "x", "version": "abc"}),
    ("syncs:notes-save", {"body": "x"}),
    ("syncs:agenda-add", {"title": "", "minutes": "lots"}),
    ("syncs:decision-add", {"text": "t", "owner": "someone", "supersedes": "x"}),
    ("syncs:action-add", {"title": "t", "owner": 999999}),
    ("syncs:meeting-status", {"status": "postponed", "attendees": ["x"]}),
])
def test_page_bad_input_is_never_a_500(world, name, payload):
    data = build(world)
    before = _counts()
    response = world.client("em").post(reverse(name, args=[data.em_meeting.pk]), payload)
    assert response.status_code in (302, 400)
    assert _counts() == before
    data.em_meeting.refresh_from_db()
    assert (data.em_meeting.version, data.em_meeting.status) == (0, "planned")


def test_unknown_ids_are_404(world):
    client = world.client("cto")
    assert client.get(reverse("syncs:meeting-detail", args=[999999])).status_code == 404
    assert client.get(reverse("api:sync-meeting-notes", args=[999999])).status_code == 404
    assert client.post(reverse("syncs:action-status", args=[999999]), {"status": "done"}).status_code == 404
