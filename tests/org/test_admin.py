"""The Django admin never hard-deletes people or teams: they are deactivated (is_active), and
a delete would take or re-attribute their history."""
import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from apps.org.models import Person, Team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]



@pytest.mark.parametrize(("model", "key"), [(Team, "beta"), (Person, "engineer2")])
def test_the_admin_refuses_to_delete_people_and_teams(world, superuser_client, model, key):
    obj = world.teams[key] if model is Team else world.people[key]
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])

    assert superuser_client.get(url).status_code == 403
    assert superuser_client.post(url, {"post": "yes"}).status_code == 403
    changelist = superuser_client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                                       {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})

    assert model.objects.filter(pk=obj.pk).exists()
    assert changelist.status_code in (200, 302)
    request = RequestFactory().get("/")
    request.user = world.users["cto"]
    assert "delete_selected" not in admin.site._registry[model].get_actions(request)
