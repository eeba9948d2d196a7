import pytest
from rest_framework.test import APIClient

from apps.org.models import Person

pytestmark = pytest.mark.django_db


def api_as(world, role) -> APIClient:
    c = APIClient()
    if role == "service":
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {world.token}")
    elif role != "anonymous":
        c.force_authenticate(world.users[role])
    return c


def test_create_person_as_hr(world):
    response = api_as(world, "hr").post("/api/v1/people/", {
        "full_name": "New Hire", "email": "new.hire@example.com", "role": "engineer", "team": "alpha",
        "manager": world.tl.pk, "location": "remote", "country": "br", "time_zone": "America/Sao_Paulo",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["team"] == "alpha"
    assert body["country"] == "BR"
    assert Person.objects.get(email="new.hire@example.com").manager == world.tl


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"full_name": "X", "email": "bad", "role": "engineer"}, "email", "Enter a valid email address."),
        ({"full_name": "X", "email": "x@example.com", "role": "boss"}, "role", '"boss" is not a valid choice.'),
        ({"full_name": "X", "email": "x@example.com", "role": "engineer", "team": "nope"}, "team", "Object with slug=nope does not exist."),
        ({"full_name": "X", "email": "x@example.com", "role": "engineer", "manager": 999999}, "manager", 'Invalid pk "999999" - object does not exist.'),
        ({"full_name": "X", "email": "engineer@example.com", "role": "engineer"}, "email", "Another person already has this email."),
        ({"full_name": "X", "email": "x@example.com", "role": "engineer", "country": "Portugal"}, "country", "Ensure this field has no more than 2 characters."),
        ({"full_name": "X", "email": "x@example.com", "role": "engineer", "time_zone": "Mars/Base"}, "time_zone", '"Mars/Base" is not a valid choice.'),
        ({"full_name": "X", "email": "x@example.com", "role": "engineer", "start_date": "yesterday"}, "start_date", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
    ],
)
def test_invalid_person_is_a_400_with_the_field_named(world, payload, field, message):
    count = Person.objects.count()
    response = api_as(world, "hr").post("/api/v1/people/", payload, format="json")
    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert Person.objects.count() == count


def test_manager_loop_via_api_is_a_400(world):
    response = api_as(world, "cto").patch(f"/api/v1/people/{world.em.pk}/", {"manager": world.engineer.pk}, format="json")
    assert response.status_code == 400
    assert "loop" in response.json()["manager"][0]


def test_denied_write_changes_nothing(world):
    for role in ("engineer", "em", "service"):
        response = api_as(world, role).patch(f"/api/v1/people/{world.engineer.pk}/", {"title": "CEO"}, format="json")
        assert response.status_code == 403
    world.engineer.refresh_from_db()
    assert world.engineer.title == "Engineer"


def test_delete_deactivates(world):
    response = api_as(world, "hr").delete(f"/api/v1/people/{world.engineer.pk}/")
    assert response.status_code == 204
    world.engineer.refresh_from_db()
    assert world.engineer.is_active is False


def test_people_list_is_paginated_and_filterable(world):
    body = api_as(world, "service").get("/api/v1/people/?role=em&ordering=full_name").json()
    assert body["count"] == 2
    assert [p["email"] for p in body["results"]] == ["em@example.com", "em2@example.com"]
    assert set(body) == {"count", "next", "previous", "results"}


def test_unknown_person_is_404_json(world):
    response = api_as(world, "cto").get("/api/v1/people/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_malformed_json_is_400(world):
    response = api_as(world, "hr").post("/api/v1/people/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_direct_reports_endpoint(world):
    body = api_as(world, "em").get("/api/v1/direct-reports/").json()
    assert body == [{
        "id": world.tl.pk, "full_name": "Tl Person", "role": "tl", "title": "Engineer", "team": "Alpha",
        "location": "local", "country": "PT", "start_date": str(world.tl.start_date), "headcount": 1,
    }]


def test_created_team_answers_with_its_headcount(world):
    response = api_as(world, "hr").post("/api/v1/teams/", {"name": "Growth", "kind": "product"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "name": "Growth", "slug": "growth", "kind": "product",
                               "lead": None, "description": "", "is_active": True, "headcount": 0}
