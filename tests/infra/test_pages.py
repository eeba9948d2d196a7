"""Pages: inventory filters, detail, findings, requests, sync; query counts bounded."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.models import SyncRun
from apps.infra import services
from apps.infra.models import Finding, InfraRequest, Resource
from tests.infra.factories import AwsAccountFactory, InfraRequestFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def _bulk_resources(account, team, n: int) -> None:
    now = timezone.now()
    Resource.objects.bulk_create([
        Resource(arn=f"arn:aws:ec2:us-east-1:{account.account_id}:instance/i-bulk{i:07d}", resource_id=f"i-bulk{i:07d}",
                 kind=Resource.Kind.EC2_INSTANCE, name=f"bulk-{i:07d}", account=account, region="us-east-1",
                 state="running", size="t3.micro", tags={"team": team.slug, "env": "prod"}, owner_team=team,
                 first_seen=now, last_seen=now)
        for i in range(n)
    ], batch_size=2000)


@pytest.mark.parametrize("role", ["cto", "engineer"])
def test_inventory_page_queries_do_not_grow(world, role, django_assert_max_num_queries):
    account = AwsAccountFactory()
    _bulk_resources(account, world.teams["alpha"], 100)
    client = world.client(role)
    url = reverse("infra:resource-list")
    with django_assert_max_num_queries(16) as small:
        assert client.get(url).status_code == 200
    _bulk_resources_more = 10_000 - 100
    now = timezone.now()
    Resource.objects.bulk_create([
        Resource(arn=f"arn:aws:s3:::bucket-{i:07d}", resource_id=f"bucket-{i:07d}", kind=Resource.Kind.S3_BUCKET,
                 name=f"bucket-{i:07d}", account=account, region="eu-west-1", owner_team=world.teams["alpha"],
                 first_seen=now, last_seen=now)
        for i in range(_bulk_resources_more)
    ], batch_size=2000)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 10_000


def test_inventory_filters(world):
    prod = AwsAccountFactory(account_id="123456789012", name="Production")
    data = AwsAccountFactory(account_id="111111111111", name="Data")
    web = ResourceFactory(account=prod, name="web-1", owner_team=world.teams["alpha"], tags={"team": "alpha", "env": "prod"})
    ResourceFactory(account=prod, name="web-2", owner_team=world.teams["alpha"], state="stopped", tags={"env": "dev"})
    ResourceFactory(account=data, name="etl", region="eu-west-1", kind=Resource.Kind.LAMBDA_FUNCTION,
                    owner_team=world.teams["data"])
    ResourceFactory(account=prod, name="old", owner_team=world.teams["alpha"], gone_at=timezone.now())
    ResourceFactory(account=prod, name="orphan", owner_team=None)
    client = world.client("cto")

    def names(query: str) -> list[str]:
        response = client.get(reverse("infra:resource-list") + "?" + query)
        assert response.status_code == 200
        return [r.name for r in response.context["page"]]

    assert names("") == ["etl", "orphan", "web-1", "web-2"]
    assert names("account=111111111111") == ["etl"]
    assert names("region=eu-west-1") == ["etl"]
    assert names("kind=lambda_function") == ["etl"]
    assert names("team=alpha") == ["web-1", "web-2"]
    assert names("team=none") == ["orphan"]
    assert names("state=stopped") == ["web-2"]
    assert names("tag=env") == ["web-1", "web-2"]
    assert names("tag=env%3Dprod") == ["web-1"]
    assert names("q=web-") == ["web-1", "web-2"]
    assert names("gone=1&team=alpha") == ["old", "web-1", "web-2"]
    # The engineer (team alpha) sees only alpha's resources, whatever the filter.
    response = world.client("engineer").get(reverse("infra:resource-list") + "?account=123456789012")
    assert [r.name for r in response.context["page"]] == ["web-1", "web-2"]
    detail = client.get(web.get_absolute_url())
    assert detail.status_code == 200
    assert b"env" in detail.content and b"prod" in detail.content


def test_resource_detail_hidden_is_404(world):
    beta = ResourceFactory(owner_team=world.teams["beta"])
    assert world.client("engineer").get(beta.get_absolute_url()).status_code == 404
    assert world.client("em2").get(beta.get_absolute_url()).status_code == 200


def test_findings_page_groups_by_team(world):
    alpha_res = ResourceFactory(owner_team=world.teams["alpha"], kind=Resource.Kind.EBS_VOLUME, state="available")
    beta_res = ResourceFactory(owner_team=world.teams["beta"], kind=Resource.Kind.EBS_VOLUME, state="available")
    services.findings_refresh()
    assert set(Finding.objects.values_list("resource_id", "kind")) == {
        (alpha_res.pk, "unattached_volume"), (alpha_res.pk, "untagged"),
        (beta_res.pk, "unattached_volume"), (beta_res.pk, "untagged")}
    response = world.client("cto").get(reverse("infra:finding-list"))
    assert [(t["slug"], t["total"]) for t in response.context["by_team"]] == [("alpha", 2), ("beta", 2)]
    response = world.client("engineer").get(reverse("infra:finding-list"))
    assert [(t["slug"], t["total"]) for t in response.context["by_team"]] == [("alpha", 2)]
    assert response.context["page"].paginator.count == 2


def test_request_form_creates_and_detail_shows_history(world):
    client = world.client("engineer")
    response = client.post(reverse("infra:request-create"), {
        "title": "Bigger warehouse", "team": world.teams["alpha"].pk, "kind": "capacity",
        "description": "Double the **RDS** class", "estimated_monthly_cost": "320", "currency": "USD",
    })
    req = InfraRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
    detail = client.get(req.get_absolute_url())
    assert detail.status_code == 200
    assert b"<strong>RDS</strong>" in detail.content
    assert detail.context["can_decide"] is False


def test_request_form_errors_shown(world):
    response = world.client("engineer").post(reverse("infra:request-create"), {
        "title": "", "team": world.teams["beta"].pk, "kind": "capacity", "description": "x",
        "estimated_monthly_cost": "-5", "currency": "USD",
    })
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "team", "estimated_monthly_cost"}
    assert InfraRequest.objects.count() == 0


def test_cto_approves_from_the_page_and_engineer_cannot(world):
    req = InfraRequestFactory(requester=world.engineer, team=world.teams["alpha"])
    url = reverse("infra:request-approve", args=[req.pk])
    assert world.client("engineer").post(url).status_code == 403
    req.refresh_from_db()
    assert req.status == "submitted"
    response = world.client("cto").post(url, {"note": "ok"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.decided_by) == ("approved", world.cto)
    # Rejecting now is a conflict shown as a message, not an error page.
    response = world.client("cto").post(reverse("infra:request-reject", args=[req.pk]), {"note": "no"}, follow=True)
    assert response.status_code == 200
    assert "approved already" in response.content.decode()
    req.refresh_from_db()
    assert req.status == "approved"


def test_request_list_queries_do_not_grow(world, django_assert_max_num_queries):
    for _ in range(3):
        InfraRequestFactory(requester=world.engineer, team=world.teams["alpha"])
    client = world.client("cto")
    with django_assert_max_num_queries(14) as small:
        assert client.get(reverse("infra:request-list")).status_code == 200
    InfraRequestFactory.create_batch(40, requester=world.engineer, team=world.teams["alpha"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("infra:request-list")).status_code == 200


def test_sync_page_queues_a_run(world, django_capture_on_commit_callbacks):
    AwsAccountFactory(account_id="123456789012")
    client = world.client("cto")
    assert client.get(reverse("infra:sync")).status_code == 200
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("infra:sync"), {})
    run = SyncRun.objects.get(kind=services.INVENTORY_KIND)
    assert response.status_code == 302 and response["Location"].endswith(f"?run={run.pk}")
    assert (run.status, run.started_by, len(callbacks)) == ("queued", world.users["cto"], 1)
    page = client.get(response["Location"])
    assert f'id="syncrun-{run.pk}"'.encode() in page.content
    # A second start while one is queued is refused.
    response = client.post(reverse("infra:sync"), {}, follow=True)
    assert "already queued or running" in response.content.decode()
    assert SyncRun.objects.filter(kind=services.INVENTORY_KIND).count() == 1


def test_resource_page_shows_its_monthly_cost_to_cost_viewers_only(world):
    from datetime import date
    from decimal import Decimal

    from apps.costs.models import TopResource
    from tests.infra.factories import ResourceFactory

    resource = ResourceFactory(owner_team=world.teams["alpha"])
    TopResource.objects.create(month=date(2026, 10, 1), provider="AWS", billing_account_id=resource.account.account_id,
                               resource_id=resource.arn, service="Amazon EC2", team=world.teams["alpha"],
                               cost=Decimal("812.40"), currency="USD")
    url = reverse("infra:resource-detail", args=[resource.pk])
    assert "Oct 2026: 812.40 USD" in world.client("cto").get(url).content.decode()
    assert "Oct 2026: 812.40 USD" in world.client("em").get(url).content.decode()  # alpha is in the EM's chain
    engineer_page = world.client("engineer").get(url).content.decode()
    assert "812.40" not in engineer_page
    assert "Visible to finance" in engineer_page
