"""Links from other apps' objects (sync decisions, action items, infra requests), stored
generically. Those apps are not on this branch, so the tests allow linking org teams."""
from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.core.access import get_actor
from apps.initiatives import selectors, services
from apps.initiatives.models import InitiativeLink
from tests.initiatives.factories import InitiativeFactory


@pytest.fixture
def linkable_org(settings):
    settings.INITIATIVE_LINK_APPS = ("syncs", "infra", "org")


@pytest.fixture
def initiative(world):
    return InitiativeFactory(team=world.teams["alpha"], owner=world.tl, title="Invoice OCR")


def test_link_shown_both_ways(world, initiative, linkable_org):
    beta = world.teams["beta"]
    link = services.initiative_link_create(actor=get_actor(world.users["pm"]), initiative=initiative,
                                           app_label="org", model="Team", object_id=beta.pk, label="Decided in Product Sync")
    assert (link.content_type.model, link.object_id, link.label) == ("team", beta.pk, "Decided in Product Sync")
    # On the initiative page ...
    response = world.client("engineer").get(reverse("initiatives:detail", args=[initiative.pk]))
    assert response.status_code == 200
    assert f'<a href="{beta.get_absolute_url()}">Decided in Product Sync</a>' in response.content.decode()
    # ... and from the object's side, for the other app's page.
    linked = selectors.initiatives_linked_to(actor=get_actor(world.users["engineer"]), target=beta)
    assert list(linked) == [initiative]


def test_linking_twice_is_idempotent(world, initiative, linkable_org):
    kwargs = {"actor": get_actor(world.users["tl"]), "initiative": initiative, "app_label": "org", "model": "team",
              "object_id": world.teams["beta"].pk}
    first = services.initiative_link_create(**kwargs, label="Beta")
    second = services.initiative_link_create(**kwargs, label="Other label")
    assert first.pk == second.pk
    assert InitiativeLink.objects.count() == 1


@pytest.mark.parametrize("app_label, model, object_id, field, message", [
    ("org", "team", 999999, "object_id", "No team #999999."),
    ("org", "nosuchmodel", 1, "target", "Unknown object type org.nosuchmodel."),
    ("reviews", "review", 1, "target", "Objects of 'reviews' cannot be linked to initiatives."),
    ("syncs", "decision", 999999, "object_id", "No decision #999999."),
])
def test_link_target_must_exist(world, initiative, linkable_org, app_label, model, object_id, field, message):
    with pytest.raises(ValidationError) as exc:
        services.initiative_link_create(actor=get_actor(world.users["cto"]), initiative=initiative,
                                        app_label=app_label, model=model, object_id=object_id)
    assert exc.value.message_dict[field] == [message]
    assert InitiativeLink.objects.count() == 0


@pytest.mark.parametrize("key", ["engineer", "finance", "hr"])
def test_who_may_not_link(world, initiative, linkable_org, key):
    with pytest.raises(PermissionDenied):
        services.initiative_link_create(actor=get_actor(world.users[key]), initiative=initiative, app_label="org",
                                        model="team", object_id=world.teams["beta"].pk)
    assert InitiativeLink.objects.count() == 0


def test_link_to_an_app_not_installed_is_kept_but_not_shown(world, initiative):
    decision_type, _ = ContentType.objects.get_or_create(app_label="syncs", model="decision")
    InitiativeLink.objects.create(initiative=initiative, content_type=decision_type, object_id=7, label="Decision 7")
    views = selectors.initiative_links(actor=get_actor(world.users["cto"]), initiative=initiative)
    assert views == []
    response = world.client("cto").get(reverse("initiatives:detail", args=[initiative.pk]))
    assert "Decision 7" not in response.content.decode()


def test_link_form_and_delete_through_pages(world, initiative, linkable_org):
    client = world.client("tl")
    beta = world.teams["beta"]
    response = client.post(reverse("initiatives:link-create", args=[initiative.pk]),
                           {"target": "org.team", "object_id": beta.pk, "label": "Beta team"})
    assert response.status_code == 302
    link = InitiativeLink.objects.get()
    assert link.label == "Beta team"
    # An engineer may not remove it.
    assert world.client("engineer").post(reverse("initiatives:link-delete", args=[link.pk])).status_code == 403
    assert InitiativeLink.objects.count() == 1
    assert client.post(reverse("initiatives:link-delete", args=[link.pk])).status_code == 302
    assert InitiativeLink.objects.count() == 0


def test_linked_initiatives_template_tag_for_other_apps(world, initiative, linkable_org, rf):
    from django.template import Context, Template

    beta = world.teams["beta"]
    services.initiative_link_create(actor=get_actor(world.users["cto"]), initiative=initiative, app_label="org",
                                    model="team", object_id=beta.pk)
    request = rf.get("/")
    request.user = world.users["engineer"]
    html = Template("{% load initiatives %}{% linked_initiatives target %}").render(
        Context({"request": request, "target": beta}))
    assert f'<a href="{initiative.get_absolute_url()}">Invoice OCR</a>' in html
    empty = Template("{% load initiatives %}{% linked_initiatives target %}").render(
        Context({"request": request, "target": world.teams["alpha"]}))
    assert empty.strip() == ""


def test_a_sync_decision_links_to_an_initiative(world, initiative):
    """The syncs app is installed: its decisions are real link targets."""
    from apps.syncs import services as sync_services
    from tests.syncs.builders import build

    data = build(world)
    decision = sync_services.decision_record(actor=get_actor(world.users["cto"]), series=data.em_sync,
                                             text="Fund the churn model", owner=world.cto)
    link = services.initiative_link_create(actor=get_actor(world.users["cto"]), initiative=initiative,
                                           app_label="syncs", model="decision", object_id=decision.pk)
    assert link.target == decision
