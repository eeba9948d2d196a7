import pytest
from django.core.management import call_command

from apps.infra.models import Finding, InfraRequest, InfraRequestEvent, Resource

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--quiet")
    counts = (Resource.objects.count(), InfraRequest.objects.count(), InfraRequestEvent.objects.count(),
              Finding.objects.count())
    assert counts[0] > 50 and counts[1] == 5
    assert Finding.objects.filter(kind="unattached_volume", resolved_at__isnull=True).count() == 2
    assert Resource.objects.get(name="warehouse").request.title.startswith("Aurora warehouse")
    call_command("seed_demo", "--quiet")
    assert (Resource.objects.count(), InfraRequest.objects.count(), InfraRequestEvent.objects.count(),
            Finding.objects.count()) == counts
