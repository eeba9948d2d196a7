"""The request workflow: who may file, approve, reject, provision; every step audited."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.core.access import get_actor
from apps.infra import selectors, services
from apps.infra.models import InfraRequest, Resource
from tests.infra.factories import InfraRequestFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def actor(world, key):
    return get_actor(world.users[key])


def _file(world, who="engineer", **overrides):
    fields = {"title": "GPU node for training", "team": world.teams["alpha"], "kind": InfraRequest.Kind.NEW_RESOURCE,
              "description": "A g5.xlarge for two weeks.", "estimated_monthly_cost": Decimal("730.50"),
              "currency": "usd", "needed_by": timezone.localdate() + timedelta(days=10)}
    fields.update(overrides)
    return services.infra_request_create(actor=actor(world, who), **fields)


def test_engineer_files_a_request_for_their_team(world):
    req = _file(world)
    assert (req.status, req.requester, req.team, req.currency) == ("submitted", world.engineer, world.teams["alpha"], "USD")
    assert req.estimated_monthly_cost == Decimal("730.50")
    assert list(req.events.values_list("action", "to_status", "actor_label")) == [
        ("submitted", "submitted", "Engineer Person")]


@pytest.mark.parametrize("overrides, field", [
    ({"title": "  "}, "title"),
    ({"description": ""}, "description"),
    ({"kind": "gpu"}, "kind"),
    ({"estimated_monthly_cost": Decimal("-1")}, "estimated_monthly_cost"),
    ({"estimated_monthly_cost": "abc"}, "estimated_monthly_cost"),
    ({"currency": "dollars"}, "currency"),
    ({"needed_by": timezone.localdate() - timedelta(days=1)}, "needed_by"),
    ({"team": None}, "team"),
])
def test_bad_input_gets_field_errors(world, overrides, field):
    with pytest.raises(ValidationError) as exc:
        _file(world, **overrides)
    assert field in exc.value.message_dict
    assert InfraRequest.objects.count() == 0


def test_cannot_file_for_another_team(world):
    with pytest.raises(ValidationError) as exc:
        _file(world, team=world.teams["beta"])
    assert exc.value.message_dict == {"team": ["You may only file requests for your own team(s)."]}
    assert InfraRequest.objects.count() == 0


@pytest.mark.parametrize("who", ["finance", "hr"])
def test_roles_that_may_not_file(world, who):
    with pytest.raises(PermissionDenied):
        _file(world, who=who)
    assert InfraRequest.objects.count() == 0


def test_cto_approves_and_it_is_audited(world):
    req = _file(world)
    approved = services.infra_request_approve(actor=actor(world, "cto"), request=req, note="Go ahead")
    assert (approved.status, approved.decided_by, approved.decision_note) == ("approved", world.cto, "Go ahead")
    assert approved.decided_at is not None
    assert list(req.events.values_list("action", "from_status", "to_status", "actor_label", "note")) == [
        ("submitted", "", "submitted", "Engineer Person", ""),
        ("approved", "submitted", "approved", "Cto Person", "Go ahead"),
    ]


@pytest.mark.parametrize("who", ["engineer", "tl", "em", "finance", "pm"])
def test_only_the_cto_approves(world, who):
    req = _file(world)
    with pytest.raises(PermissionDenied):
        services.infra_request_approve(actor=actor(world, who), request=req)
    req.refresh_from_db()
    assert (req.status, req.decided_at, req.events.count()) == ("submitted", None, 1)


def test_requester_cannot_approve_their_own_request(world):
    req = _file(world, who="cto", team=world.teams["alpha"])
    with pytest.raises(PermissionDenied, match="your own request"):
        services.infra_request_approve(actor=actor(world, "cto"), request=req)
    req.refresh_from_db()
    assert req.status == "submitted"
    assert req.events.count() == 1


def test_reject_needs_a_reason_and_is_final(world):
    req = _file(world)
    cto = actor(world, "cto")
    with pytest.raises(ValidationError) as exc:
        services.infra_request_reject(actor=cto, request=req, note=" ")
    assert exc.value.message_dict == {"note": ["Say why the request is rejected."]}
    services.infra_request_reject(actor=cto, request=req, note="Use the shared cluster")
    req.refresh_from_db()
    assert (req.status, req.decision_note) == ("rejected", "Use the shared cluster")
    with pytest.raises(services.WorkflowConflict):
        services.infra_request_approve(actor=cto, request=req)
    with pytest.raises(services.WorkflowConflict):
        services.infra_request_provision(actor=cto, request=req)
    req.refresh_from_db()
    assert req.status == "rejected"


def test_provision_links_resources_and_report(world):
    cto = actor(world, "cto")
    req = _file(world)
    other = _file(world, title="Access to the lake", kind=InfraRequest.Kind.ACCESS)
    node = ResourceFactory(owner_team=world.teams["alpha"], name="gpu-node")
    orphan = ResourceFactory(owner_team=world.teams["alpha"], tags={"infra-request": "REQ-9999"})
    with pytest.raises(services.WorkflowConflict):
        services.infra_request_provision(actor=cto, request=req, resources=[node])
    services.infra_request_approve(actor=cto, request=req)
    services.infra_request_approve(actor=cto, request=other)

    report = selectors.request_fulfilment_report(actor=cto)
    assert {r.pk for r in report.approved_without_resources} == {req.pk, other.pk}
    assert [r.pk for r in report.tagged_without_request] == [orphan.pk]

    services.infra_request_provision(actor=cto, request=req, resources=[node], note="Done")
    req.refresh_from_db()
    node.refresh_from_db()
    assert (req.status, req.provisioned_by) == ("provisioned", world.cto)
    assert (node.request_id, node.request_link) == (req.pk, Resource.Link.MANUAL)
    assert [e for e in req.events.values_list("action", flat=True)] == ["submitted", "approved", "linked", "provisioned"]
    report = selectors.request_fulfilment_report(actor=cto)
    assert [r.pk for r in report.approved_without_resources] == [other.pk]
    # A resource already serving a request cannot be linked to another.
    with pytest.raises(ValidationError) as exc:
        services.infra_request_link_resources(actor=cto, request=other, resources=[node])
    assert "resources" in exc.value.message_dict
    node.refresh_from_db()
    assert node.request_id == req.pk


def test_comment(world):
    req = _file(world)
    comment = services.infra_request_comment(actor=actor(world, "tl"), request=req, body="Which region?")
    assert (comment.author, comment.body) == (world.tl, "Which region?")
    with pytest.raises(ValidationError):
        services.infra_request_comment(actor=actor(world, "tl"), request=req, body="  ")
    assert list(req.events.values_list("action", flat=True)) == ["submitted", "commented"]


def test_working_days_service_level():
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert services.add_working_days(friday, 5) == datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert services.add_working_days(monday, 5) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_overdue_requests_are_flagged(world):
    late = InfraRequestFactory(requester=world.engineer, team=world.teams["alpha"],
                               due_at=timezone.now() - timedelta(hours=1))
    InfraRequestFactory(requester=world.engineer, team=world.teams["alpha"])
    assert late.is_overdue() is True
    overdue = selectors.infra_request_list(actor=actor(world, "cto"), overdue=True)
    assert [r.pk for r in overdue] == [late.pk]


def test_request_visibility(world):
    mine = InfraRequestFactory(requester=world.engineer, team=world.teams["alpha"])
    beta = InfraRequestFactory(requester=world.engineer2, team=world.teams["beta"])
    tl_own = InfraRequestFactory(requester=world.tl, team=world.teams["alpha"])

    def visible(who):
        return set(selectors.infra_request_visible(actor=actor(world, who)).values_list("pk", flat=True))

    assert visible("cto") == visible("finance") == {mine.pk, beta.pk, tl_own.pk}
    assert visible("em") == visible("tl") == {mine.pk, tl_own.pk}
    assert visible("em2") == {beta.pk}
    assert visible("engineer") == {mine.pk}
    assert visible("pm") == set()
    assert visible("hr") == set()


def test_resource_visibility(world):
    alpha = ResourceFactory(owner_team=world.teams["alpha"])
    beta = ResourceFactory(owner_team=world.teams["beta"])
    none = ResourceFactory(owner_team=None)

    def visible(who):
        return set(selectors.resource_visible(actor=actor(world, who)).values_list("pk", flat=True))

    assert visible("cto") == visible("finance") == {alpha.pk, beta.pk, none.pk}
    assert visible("em") == visible("tl") == visible("engineer") == {alpha.pk}
    assert visible("em2") == {beta.pk}
    assert visible("pm") == set() and visible("hr") == set()
