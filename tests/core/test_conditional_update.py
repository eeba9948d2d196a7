"""Conflict detection on the API: GET gives an ETag, PATCH with a stale If-Match answers 409
with the current ETag and changes nothing; every editable API object has it."""
from __future__ import annotations

import pytest
from rest_framework import mixins

from apps.core.api import ConditionalUpdateMixin, ETagMixin, build_router
from apps.costs.models import Budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def budget(world):
    client = world.client("finance")
    response = client.post("/api/v1/cost-budgets/", {"name": "Cloud", "scope": "total", "amount": "1000.00",
                                                     "currency": "EUR"}, content_type="application/json")
    assert response.status_code == 201, response.content
    return Budget.objects.get(pk=response.json()["id"])


def test_a_stale_if_match_is_a_409_and_changes_nothing(world, budget):
    finance, cto = world.client("finance"), world.client("cto")
    url = f"/api/v1/cost-budgets/{budget.pk}/"
    read = finance.get(url)
    etag = read["ETag"]
    assert etag and read["ETag"] == cto.get(url)["ETag"]  # the same object reads the same for both

    first = cto.patch(url, {"amount": "1500.00"}, content_type="application/json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    assert first["ETag"] != etag and first["ETag"] == finance.get(url)["ETag"]

    stale = finance.patch(url, {"amount": "900.00"}, content_type="application/json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 409
    assert stale.json()["etag"] == first["ETag"]
    budget.refresh_from_db()
    assert str(budget.amount) == "1500.00"

    fresh = finance.patch(url, {"amount": "900.00"}, content_type="application/json",
                          HTTP_IF_MATCH=stale.json()["etag"])
    assert fresh.status_code == 200
    budget.refresh_from_db()
    assert str(budget.amount) == "900.00"


def test_without_if_match_the_update_applies(world, budget):
    response = world.client("cto").patch(f"/api/v1/cost-budgets/{budget.pk}/", {"amount": "2.00"},
                                         content_type="application/json")
    assert response.status_code == 200 and response["ETag"]


def test_an_annotated_object_matches_its_own_etag(world):
    """Objects read with annotations (a proposal's vote count) compare as GET shows them."""
    client = world.client("engineer")
    created = client.post("/api/v1/knowledge-proposals/", {"title": "Django 6", "abstract": "What changes",
                                                           "track": "backend"}, content_type="application/json")
    assert created.status_code == 201, created.content
    url = f"/api/v1/knowledge-proposals/{created.json()['id']}/"
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"title": "Django 6.0"}, content_type="application/json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content


def test_every_editable_api_object_detects_conflicts():
    router = build_router()
    editable = [viewset for _, viewset, _ in router.registry if hasattr(viewset, "partial_update")]
    assert editable
    assert [v.__name__ for v in editable if not issubclass(v, ConditionalUpdateMixin)] == []


def test_the_conflict_check_offers_no_put_where_nothing_can_be_updated(world):
    """ConditionalUpdateMixin brings ``update``; on a viewset without UpdateModelMixin the router
    would route PUT to it, and it would fail (a 500). Such viewsets take ETagMixin."""
    router = build_router()
    wrong = [v.__name__ for _, v, _ in router.registry
             if issubclass(v, ConditionalUpdateMixin) and not issubclass(v, mixins.UpdateModelMixin)]
    assert wrong == []
    etag_only = [v for _, v, _ in router.registry if issubclass(v, ETagMixin) and not hasattr(v, "update")]
    assert etag_only  # reviews, AMA questions and anomalies: writes are actions
    client = world.client("cto")
    review_cycles = [prefix for prefix, v, _ in router.registry if v.__name__ == "ReviewCycleViewSet"]
    response = client.put(f"/api/v1/{review_cycles[0]}/1/", {}, content_type="application/json")
    assert response.status_code in (404, 405)
