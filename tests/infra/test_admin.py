"""The inventory and the requests keep their history: the Django admin cannot hard-delete a
resource (the sync marks it gone), a finding (the sync resolves it) or a request (rejected, with
its decision trail)."""
import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from apps.infra.models import Finding, InfraRequest, Resource
from tests.infra.factories import InfraRequestFactory, ResourceFactory

pytestmark = pytest.mark.django_db



def _objects(world) -> dict:
    resource = ResourceFactory(name="billing-db", state="stopped")
    finding = Finding.objects.create(resource=resource, kind=Finding.Kind.UNTAGGED, detail="No owner tag")
    request = InfraRequestFactory(requester=world.engineer, team=world.teams["data"])
    return {Resource: resource, Finding: finding, InfraRequest: request}


@pytest.mark.parametrize("model", [Resource, Finding, InfraRequest])
def test_the_admin_cannot_delete_inventory_findings_or_requests(world, superuser_client, model):
    objects = _objects(world)
    obj, opts = objects[model], model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])

    assert superuser_client.post(url, {"post": "yes"}).status_code == 403
    superuser_client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                          {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})

    assert all(type(o).objects.filter(pk=o.pk).exists() for o in objects.values())
    request = RequestFactory().get("/")
    request.user = world.users["cto"]
    assert "delete_selected" not in admin.site._registry[model].get_actions(request)
