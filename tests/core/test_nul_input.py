"""A NUL character in a query parameter or a form field answers 400 naming the field, before
any view runs (PostgreSQL cannot hold or compare it: it used to be a 500 deep in a query)."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_api_query_parameter_with_nul_is_a_400_naming_it(world):
    response = world.client("cto").get("/api/v1/sync-decisions/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert response.json() == {"q": ["Null characters are not allowed."]}


def test_page_query_parameter_with_nul_is_a_400_page_naming_it(world):
    response = world.client("cto").get(reverse("syncs:series-list"), {"q": "\x00"})
    assert response.status_code == 400
    assert "“q”: Null characters are not allowed." in response.content.decode()


def test_form_field_with_nul_changes_nothing(world):
    from apps.infra.models import InfraRequestComment
    from tests.infra.factories import InfraRequestFactory

    request = InfraRequestFactory(requester=world.tl, team=world.teams["alpha"])
    response = world.client("cto").post(reverse("infra:request-comment", args=[request.pk]), {"body": "hi\x00"})
    assert response.status_code == 400
    assert "“body”" in response.content.decode()
    assert not InfraRequestComment.objects.exists()


def test_clean_input_passes_through(world):
    assert world.client("cto").get("/api/v1/sync-decisions/", {"q": "plain"}).status_code == 200
