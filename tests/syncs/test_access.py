"""Who sees which sync: participants; the CTO and tools for non-private series; a 1:1 only
its two people (404 for everyone else, through pages, API, exports and the feed)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from apps.syncs import selectors, services
from apps.syncs.models import Meeting, SyncSeries
from tests.syncs.builders import actor, build


@pytest.fixture
def data(world):
    return build(world)


def test_tl_cannot_see_em_sync_notes_unless_a_participant(world, data):
    meeting = data.em_meeting
    services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body="Budget talk", version=0)
    tl = world.client("tl")
    assert tl.get(reverse("syncs:meeting-detail", args=[meeting.pk])).status_code == 404
    assert tl.get(reverse("api:sync-meeting-notes", args=[meeting.pk])).status_code == 404
    assert tl.get(reverse("syncs:meeting-export", args=[meeting.pk])).status_code == 404

    services.series_update(actor=actor(world, "cto"), series=data.em_sync,
                           participants=[world.em, world.em2, world.tl])
    response = tl.get(reverse("api:sync-meeting-notes", args=[meeting.pk]))
    assert response.status_code == 200
    assert response.json()["body"] == "Budget talk"


@pytest.mark.parametrize("role", ["cto", "em2", "engineer", "pm", "hr", "service"])
def test_nobody_but_the_two_sees_a_one_on_one(world, data, role):
    meeting = data.one_on_one_meeting
    services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body="Feedback for Tl", version=0)
    services.decision_record(actor=actor(world, "em"), series=data.one_on_one, meeting=meeting, text="Promotion case")
    if role == "em2":
        from django.test import Client

        from tests.factories import UserFactory
        user = UserFactory(username="em2")
        world.em2.user = user
        world.em2.save()
        client = Client()
        client.force_login(user)
    else:
        client = world.client(role)
    if role != "service":
        for name in ("syncs:series-detail", "syncs:series-edit", "syncs:meeting-next"):
            assert client.get(reverse(name, args=[data.one_on_one.pk])).status_code == 404, name
        for name in ("syncs:meeting-detail", "syncs:meeting-export"):
            assert client.get(reverse(name, args=[meeting.pk])).status_code == 404, name
        listing = client.get(reverse("syncs:series-list")).content.decode()
        assert "Em / Tl 1:1" not in listing
        log = client.get(reverse("syncs:decision-log")).content.decode()
        assert "Promotion case" not in log
        csv_text = client.get(reverse("syncs:decision-export")).content.decode()
        assert "Promotion case" not in csv_text
    assert client.get(reverse("api:sync-series-detail", args=[data.one_on_one.pk])).status_code == 404
    assert client.get(reverse("api:sync-meeting-notes", args=[meeting.pk])).status_code == 404
    ids = [s["id"] for s in client.get(reverse("api:sync-series-list")).json()["results"]]
    assert data.one_on_one.pk not in ids
    assert client.get(reverse("api:sync-decision-list")).json()["count"] == 0


@pytest.mark.parametrize("role", ["em", "tl"])
def test_the_two_participants_see_the_one_on_one(world, data, role):
    client = world.client(role)
    assert client.get(reverse("syncs:meeting-detail", args=[data.one_on_one_meeting.pk])).status_code == 200
    assert client.get(reverse("api:sync-series-detail", args=[data.one_on_one.pk])).status_code == 200


def test_cto_sees_non_private_series_without_taking_part(world):
    series = services.series_create(actor=actor(world, "em"), title="Frontend guild", participants=[world.tl],
                                    generate=False)
    assert world.client("cto").get(reverse("syncs:series-detail", args=[series.pk])).status_code == 200
    assert world.client("engineer").get(reverse("syncs:series-detail", args=[series.pk])).status_code == 404
    assert world.client("pm").get(reverse("api:sync-series-detail", args=[series.pk])).status_code == 404


def test_private_flag_hides_a_series_from_the_cto(world):
    series = services.series_create(actor=actor(world, "em"), title="Reorg planning", participants=[world.em2],
                                    is_private=True, generate=False)
    assert world.client("cto").get(reverse("syncs:series-detail", args=[series.pk])).status_code == 404
    assert selectors.series_visible(actor=actor(world, "em")).filter(pk=series.pk).exists()


def test_a_refused_notes_write_changes_nothing(world, data):
    meeting = data.one_on_one_meeting
    response = world.client("cto").post(reverse("syncs:notes-save", args=[meeting.pk]),
                                        {"body": "CTO was here", "version": 0})
    assert response.status_code == 404
    response = world.client("cto").put(reverse("api:sync-meeting-notes", args=[meeting.pk]),
                                       {"body": "CTO was here", "version": 0}, content_type="application/json")
    assert response.status_code == 404
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.version) == ("", 0)


def test_one_on_one_is_always_private_and_has_two_people(world):
    series = services.series_create(actor=actor(world, "tl"), title="Tl / Engineer", kind=SyncSeries.Kind.ONE_ON_ONE,
                                    participants=[world.engineer], is_private=False, generate=False)
    assert series.is_private is True
    with pytest.raises(services.ValidationError) as exc:
        services.series_create(actor=actor(world, "tl"), title="Three people", kind=SyncSeries.Kind.ONE_ON_ONE,
                               participants=[world.engineer, world.em], generate=False)
    assert "participants" in exc.value.message_dict
    assert SyncSeries.objects.filter(title="Three people").count() == 0


def test_non_owner_participant_cannot_edit_series(world, data):
    response = world.client("em").post(reverse("syncs:series-edit", args=[data.em_sync.pk]), {"title": "Hijacked"})
    assert response.status_code == 403
    response = world.client("em").patch(reverse("api:sync-series-detail", args=[data.em_sync.pk]),
                                        {"title": "Hijacked"}, content_type="application/json")
    assert response.status_code == 403
    data.em_sync.refresh_from_db()
    assert data.em_sync.title == "EM Sync"


def test_engineer_may_not_create_series(world):
    response = world.client("engineer").post(reverse("api:sync-series-list"), {"title": "Mine"},
                                             content_type="application/json")
    assert response.status_code == 403
    assert SyncSeries.objects.filter(title="Mine").count() == 0
    assert Meeting.objects.count() == 0
