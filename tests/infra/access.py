"""Access matrix rows for infra.

Policy (apps/infra/policy.py): the CTO sees and decides everything and alone runs the sync;
finance and service accounts read everything; EMs and TLs see their teams' resources and all
their teams' requests; engineers and PMs see their own team's inventory and their own
requests; HR has no access (403). Hidden objects answer 404. Fixtures: a resource and a
request of team alpha (the em/tl/engineer chain); the PM is in team data."""
from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from apps.costs.models import AwsAccount
from apps.infra.models import Finding, InfraRequest, Resource
from tests.access import Case, api, override, page

PAGES = ("engineer", "tl", "em", "pm", "finance", "cto")
REQUESTERS = ("engineer", "tl", "em", "pm", "cto")
READERS = (*PAGES, "service")


def _objects(world):
    account, _ = AwsAccount.objects.get_or_create(account_id="123456789012", defaults={"name": "Production"})
    now = timezone.now()
    resource, _ = Resource.objects.get_or_create(
        arn="arn:aws:ec2:us-east-1:123456789012:instance/i-0matrix", defaults={
            "resource_id": "i-0matrix", "kind": Resource.Kind.EC2_INSTANCE, "name": "matrix", "account": account,
            "region": "us-east-1", "state": "running", "owner_team": world.teams["alpha"], "tags": {"team": "alpha"},
        })
    finding, _ = Finding.objects.get_or_create(resource=resource, kind=Finding.Kind.UNTAGGED,
                                               defaults={"team": world.teams["alpha"]})
    requests = {}
    for key in ("view", "page-approve", "approve", "reject", "provision", "link", "comment"):
        requests[key], _ = InfraRequest.objects.get_or_create(
            title=f"matrix {key}", defaults={
                "requester": world.engineer, "team": world.teams["alpha"], "kind": InfraRequest.Kind.CAPACITY,
                "description": "More", "estimated_monthly_cost": Decimal("10"), "due_at": now,
            })
    return resource, finding, requests


def cases(world):
    resource, finding, reqs = _objects(world)
    # Detail of a team-alpha object: the PM (team data) does not see it.
    page_detail = override(page(allowed=PAGES), pm=404)
    api_detail = override(api(allowed=READERS), pm=404)
    # A workflow step on the engineer's alpha request: only the CTO may; the PM cannot see it;
    # finance, HR and services may not write.
    step = override(api(allowed=()), pm=404)
    return [
        Case("infra:resource-list", page(allowed=PAGES)),
        Case("infra:resource-detail", page_detail, kwargs={"pk": resource.pk}),
        Case("infra:finding-list", page(allowed=PAGES)),
        Case("infra:request-list", page(allowed=PAGES)),
        Case("infra:request-create", page(allowed=REQUESTERS)),
        Case("infra:request-report", page(allowed=PAGES)),
        Case("infra:request-detail", page_detail, kwargs={"pk": reqs["view"].pk}),
        # POST-only steps: a GET is refused (405) once signed in.
        Case("infra:request-approve", page(ok=405, denied=405), kwargs={"pk": reqs["view"].pk}),
        Case("infra:request-reject", page(ok=405, denied=405), kwargs={"pk": reqs["view"].pk}),
        Case("infra:request-provision", page(ok=405, denied=405), kwargs={"pk": reqs["view"].pk}),
        Case("infra:request-link", page(ok=405, denied=405), kwargs={"pk": reqs["view"].pk}),
        Case("infra:request-comment", page(ok=405, denied=405), kwargs={"pk": reqs["view"].pk}),
        # The page's approve: the CTO is sent back to the request; the rest are refused.
        Case("infra:request-approve", override(page(allowed=("cto",), ok=302), pm=404), method="post",
             kwargs={"pk": reqs["page-approve"].pk}),
        Case("infra:sync", page(allowed=("cto",))),
        Case("api:infra-resource-list", api(allowed=READERS)),
        Case("api:infra-resource-detail", api_detail, kwargs={"pk": resource.pk}),
        Case("api:infra-finding-list", api(allowed=READERS)),
        Case("api:infra-finding-detail", api_detail, kwargs={"pk": finding.pk}),
        Case("api:infra-request-list", api(allowed=READERS)),
        Case("api:infra-request-detail", api_detail, kwargs={"pk": reqs["view"].pk}),
        # Create with no fields: 400 for those who may file; finance, HR and services 403.
        Case("api:infra-request-list", api(allowed=REQUESTERS, ok=400), method="post", data={}),
        Case("api:infra-request-approve", override(step, cto=200), method="post", data={},
             kwargs={"pk": reqs["approve"].pk}),
        Case("api:infra-request-reject", override(step, cto=400), method="post", data={},  # a reason is required
             kwargs={"pk": reqs["reject"].pk}),
        Case("api:infra-request-provision", override(step, cto=409), method="post", data={},  # not approved yet
             kwargs={"pk": reqs["provision"].pk}),
        Case("api:infra-request-link-resources", override(step, cto=409), method="post", data={},
             kwargs={"pk": reqs["link"].pk}),
        # An empty comment: 400 for everyone who sees the request.
        Case("api:infra-request-comment", override(step, cto=400, em=400, tl=400, engineer=400), method="post",
             data={}, kwargs={"pk": reqs["comment"].pk}),
        Case("api:infra-sync-list", api(allowed=("cto",))),
        Case("api:infra-sync-detail", api(allowed=("cto",), ok=404), kwargs={"pk": 999999}),
        Case("api:infra-sync-list", api(allowed=("cto",), ok=400), method="post", data={"accounts": ["000000000000"]}),
    ]
