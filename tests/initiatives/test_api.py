"""The API: initiatives, milestones and status updates; tools post updates with a token."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.initiatives.models import Initiative, Milestone, StatusUpdate
from tests.initiatives.factories import InitiativeFactory

LIST = reverse("api:initiative-list")
UPDATES = reverse("api:initiative-update-list")
MILESTONES = reverse("api:initiative-milestone-list")


@pytest.fixture
def initiative(world):
    return InitiativeFactory(team=world.teams["alpha"], owner=world.tl, title="Invoice OCR")


def payload(world, **extra):
    data = {"title": "Churn model", "team": "alpha", "kind": "feature", "owner": world.tl.pk,
            "start_date": "2026-01-01", "target_date": "2026-06-30", "product_metric": "Gross churn"}
    data.update(extra)
    return data


def test_create_and_read(world):
    response = world.client("em").post(LIST, payload(world), content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["team"], body["status"], body["health"], body["owner_name"]) == (
        "Churn model", "alpha", "idea", "green", "Tl Person")
    got = world.client("engineer").get(reverse("api:initiative-detail", args=[body["id"]])).json()
    assert got["product_metric"] == "Gross churn"


@pytest.mark.parametrize("extra, field, message", [
    ({"target_date": "2025-12-01"}, "target_date", "The target date is before the start date."),
    ({"hours_saved_estimated": "-3"}, "hours_saved_estimated", "Hours saved cannot be negative."),
    ({"team": "nope"}, "team", "Object with slug=nope does not exist."),
    ({"kind": "magic"}, "kind", '"magic" is not a valid choice.'),
    ({"owner": 999999}, "owner", 'Invalid pk "999999" - object does not exist.'),
])
def test_bad_input_is_400_and_saves_nothing(world, extra, field, message):
    response = world.client("cto").post(LIST, payload(world, **extra), content_type="application/json")
    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert Initiative.objects.count() == 0


def test_health_is_read_only(world, initiative):
    response = world.client("cto").patch(reverse("api:initiative-detail", args=[initiative.pk]),
                                         {"health": "red", "title": "OCR"}, content_type="application/json")
    assert response.status_code == 200
    initiative.refresh_from_db()
    assert (initiative.health, initiative.title) == ("green", "OCR")


def test_status_transition_conflict_is_400(world, initiative):
    url = reverse("api:initiative-detail", args=[initiative.pk])
    response = world.client("tl").patch(url, {"status": "idea"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"status": ["An initiative cannot go from In progress to Idea."]}


def test_denied_patch_changes_nothing(world, initiative):
    url = reverse("api:initiative-detail", args=[initiative.pk])
    response = world.client("engineer").patch(url, {"title": "Hijack"}, content_type="application/json")
    assert response.status_code == 403
    initiative.refresh_from_db()
    assert initiative.title == "Invoice OCR"


def test_tool_posts_update_with_token_and_health_follows(world, initiative):
    response = world.client("service").post(UPDATES, {"initiative": initiative.pk, "health": "red",
                                                      "text": "Pipeline failing 3 days"},
                                            content_type="application/json")
    assert response.status_code == 201, response.json()
    assert (response.json()["source"], response.json()["author"], response.json()["date"]) == (
        "test-tool", None, timezone.localdate().isoformat())
    initiative.refresh_from_db()
    assert (initiative.health, initiative.last_update_on) == ("red", timezone.localdate())


def test_update_with_status_move(world, initiative):
    response = world.client("tl").post(UPDATES, {"initiative": initiative.pk, "health": "green", "text": "Live",
                                                 "status": "shipped"}, content_type="application/json")
    assert response.status_code == 201
    initiative.refresh_from_db()
    assert (initiative.status, initiative.shipped_on) == ("shipped", timezone.localdate())


@pytest.mark.parametrize("data, field", [
    ({"health": "blue", "text": "x"}, "health"),
    ({"health": "green", "text": ""}, "text"),
    ({"health": "green", "text": "x", "date": (timezone.localdate() + timedelta(days=3)).isoformat()}, "date"),
    ({"health": "green", "text": "x", "initiative": 999999}, "initiative"),
])
def test_bad_update_is_400(world, initiative, data, field):
    body = {"initiative": initiative.pk, **data}
    response = world.client("service").post(UPDATES, body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert StatusUpdate.objects.count() == 0


def test_engineer_may_not_post_update(world, initiative):
    response = world.client("engineer").post(UPDATES, {"initiative": initiative.pk, "health": "red", "text": "x"},
                                             content_type="application/json")
    assert response.status_code == 403
    assert StatusUpdate.objects.count() == 0
    initiative.refresh_from_db()
    assert initiative.health == "green"


def test_milestones_api(world, initiative):
    client = world.client("tl")
    response = client.post(MILESTONES, {"initiative": initiative.pk, "title": "Pilot", "due_date": "2026-03-01"},
                           content_type="application/json")
    assert response.status_code == 201
    pk = response.json()["id"]
    response = client.patch(reverse("api:initiative-milestone-detail", args=[pk]), {"done_date": "2026-02-28"},
                            content_type="application/json")
    assert response.status_code == 200
    assert str(Milestone.objects.get().done_date) == "2026-02-28"
    denied = world.client("pm").delete(reverse("api:initiative-milestone-detail", args=[pk]))
    assert denied.status_code == 403
    assert Milestone.objects.count() == 1
    assert client.delete(reverse("api:initiative-milestone-detail", args=[pk])).status_code == 204
    assert Milestone.objects.count() == 0


def test_filters(world, initiative):
    InitiativeFactory(team=world.teams["data"], owner=world.pm, kind="feature", title="Other")
    body = world.client("engineer").get(LIST, {"team__slug": "data"}).json()
    assert [r["title"] for r in body["results"]] == ["Other"]


@pytest.mark.parametrize("rows", [3, 40])
def test_list_query_count_does_not_grow(world, rows, django_assert_max_num_queries):
    for _ in range(rows):
        InitiativeFactory(team=world.teams["alpha"], owner=world.tl, sponsor=world.em)
    client = world.client("engineer")
    with django_assert_max_num_queries(8):
        response = client.get(LIST, {"page_size": 100})
    assert response.json()["count"] == rows
