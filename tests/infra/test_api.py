"""API: resources (filters, scope), findings, the request workflow actions, sync trigger."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.models import SyncRun
from apps.infra import services
from apps.infra.models import InfraRequest, InfraRequestEvent, Resource
from tests.infra.factories import AwsAccountFactory, InfraRequestFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def test_resource_list_filters_and_scope(world):
    prod = AwsAccountFactory(account_id="123456789012")
    web = ResourceFactory(account=prod, name="web", owner_team=world.teams["alpha"], tags={"env": "prod"})
    ResourceFactory(account=prod, name="db", kind=Resource.Kind.RDS_INSTANCE, owner_team=world.teams["beta"])
    gone = ResourceFactory(account=prod, name="gone", owner_team=world.teams["alpha"], gone_at=timezone.now())
    url = reverse("api:infra-resource-list")

    body = world.client("service").get(url).json()
    assert body["count"] == 2 and [r["name"] for r in body["results"]] == ["db", "web"]
    first = world.client("cto").get(url + "?tag=env=prod").json()["results"]
    assert first == [{
        "id": web.pk, "arn": web.arn, "resource_id": web.resource_id, "kind": "ec2_instance", "name": "web",
        "account": "123456789012", "account_name": prod.name, "region": "us-east-1", "state": "running",
        "size": "t3.micro", "tags": {"env": "prod"}, "details": {}, "owner_team": "alpha", "request": None,
        "request_link": "", "first_seen": first[0]["first_seen"], "last_seen": first[0]["last_seen"], "gone_at": None,
    }]
    assert [r["name"] for r in world.client("cto").get(url + "?kind=rds_instance").json()["results"]] == ["db"]
    assert [r["name"] for r in world.client("cto").get(url + "?include_gone=1&team=alpha").json()["results"]] == ["gone", "web"]
    assert [r["name"] for r in world.client("engineer").get(url).json()["results"]] == ["web"]
    assert world.client("engineer").get(reverse("api:infra-resource-detail", args=[gone.pk])).status_code == 200
    assert world.client("hr").get(url).status_code == 403


def test_resource_list_queries_do_not_grow(world, django_assert_max_num_queries):
    account = AwsAccountFactory()
    ResourceFactory.create_batch(3, account=account, owner_team=world.teams["alpha"])
    client = world.client("cto")
    url = reverse("api:infra-resource-list")
    with django_assert_max_num_queries(10) as small:
        assert client.get(url).status_code == 200
    ResourceFactory.create_batch(40, account=account, owner_team=world.teams["alpha"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url).json()["results"]) == 43


def test_findings_endpoint(world):
    vol = ResourceFactory(kind=Resource.Kind.EBS_VOLUME, state="available", size="100 GiB gp3",
                          owner_team=world.teams["alpha"], tags={"team": "alpha"})
    services.findings_refresh()
    body = world.client("service").get(reverse("api:infra-finding-list")).json()
    assert [(f["kind"], f["team"], f["resource"], f["detail"]) for f in body["results"]] == [
        ("unattached_volume", "alpha", vol.pk, "Unattached 100 GiB gp3.")]
    assert world.client("engineer2").get(reverse("api:infra-finding-list")).json()["count"] == 0


def test_request_create_and_workflow_through_api(world):
    response = world.client("engineer").post(reverse("api:infra-request-list"), {
        "title": "Kafka topic quota", "team": "alpha", "kind": "capacity", "description": "2x partitions",
        "estimated_monthly_cost": "99.90", "currency": "EUR"}, content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["team"], body["estimated_monthly_cost"], body["currency"]) == (
        "submitted", "alpha", "99.90", "EUR")
    pk = body["id"]
    approve = reverse("api:infra-request-approve", args=[pk])
    assert world.client("engineer").post(approve, {}, content_type="application/json").status_code == 403
    assert world.client("tl").post(approve, {}, content_type="application/json").status_code == 403
    assert InfraRequest.objects.get(pk=pk).status == "submitted"
    response = world.client("cto").post(approve, {"note": "fine"}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["status"], [e["action"] for e in response.json()["events"]]) == (
        "approved", ["submitted", "approved"])
    assert world.client("cto").post(approve, {}, content_type="application/json").status_code == 409

    node = ResourceFactory(owner_team=world.teams["alpha"])
    response = world.client("cto").post(reverse("api:infra-request-provision", args=[pk]),
                                        {"resources": [node.pk, 987654]}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"resources": ["No live resource with id 987654."]}
    assert InfraRequest.objects.get(pk=pk).status == "approved"
    response = world.client("cto").post(reverse("api:infra-request-provision", args=[pk]),
                                        {"resources": [node.pk]}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["resources"]) == ("provisioned", [node.pk])
    response = world.client("tl").post(reverse("api:infra-request-comment", args=[pk]), {"body": "thanks"},
                                       content_type="application/json")
    assert response.status_code == 201
    assert list(InfraRequestEvent.objects.filter(request_id=pk).values_list("action", flat=True)) == [
        "submitted", "approved", "linked", "provisioned", "commented"]


@pytest.mark.parametrize("payload, field", [
    ({"title": "x", "team": "alpha", "kind": "capacity", "description": "d", "estimated_monthly_cost": "-1"},
     "estimated_monthly_cost"),
    ({"title": "x", "team": "nope", "kind": "capacity", "description": "d"}, "team"),
    ({"title": "x", "team": "beta", "kind": "capacity", "description": "d"}, "team"),
    ({"title": "x", "team": "alpha", "kind": "rocket", "description": "d"}, "kind"),
    ({"title": "x", "team": "alpha", "kind": "capacity", "description": "d", "needed_by": "tomorrow"}, "needed_by"),
    ({"title": "x", "team": "alpha", "kind": "capacity", "description": "d", "currency": "EURO"}, "currency"),
])
def test_request_create_bad_input_is_400(world, payload, field):
    response = world.client("engineer").post(reverse("api:infra-request-list"), payload,
                                             content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert InfraRequest.objects.count() == 0


def test_requester_cannot_approve_own_request_via_api(world):
    req = InfraRequestFactory(requester=world.cto, team=world.teams["alpha"])
    response = world.client("cto").post(reverse("api:infra-request-approve", args=[req.pk]), {},
                                        content_type="application/json")
    assert response.status_code == 403
    req.refresh_from_db()
    assert req.status == "submitted"


def test_sync_trigger_and_status(world, django_capture_on_commit_callbacks):
    AwsAccountFactory(account_id="123456789012")
    url = reverse("api:infra-sync-list")
    with django_capture_on_commit_callbacks(execute=False):
        response = world.client("cto").post(url, {"accounts": ["123456789012"]}, content_type="application/json")
    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["id"])
    assert (run.kind, run.status, run.params) == ("infra_inventory", "queued", {"account_ids": ["123456789012"]})
    assert world.client("cto").get(reverse("api:infra-sync-detail", args=[run.pk])).json()["status"] == "queued"
    again = world.client("cto").post(url, {}, content_type="application/json")
    assert again.status_code == 409
    assert SyncRun.objects.count() == 1
    assert world.client("engineer").post(url, {}, content_type="application/json").status_code == 403
