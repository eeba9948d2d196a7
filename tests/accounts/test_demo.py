import io

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import demo
from tests.accounts.mfa import code_for


@pytest.mark.django_db
def test_demo_enrols_the_roles_that_need_two_factor_with_the_published_secret(world, settings):
    settings.DEBUG = True
    out = io.StringIO()
    demo.seed_demo(people=world.people, teams=world.teams, stdout=out)
    demo.seed_demo(people=world.people, teams=world.teams, stdout=out)  # idempotent
    assert sorted(TOTPDevice.objects.values_list("user__username", flat=True)) == ["cto", "finance", "hr"]
    assert demo.demo_secret_base32() in out.getvalue() and "DEMO ONLY" in out.getvalue()
    client = Client()
    client.post(reverse("login"), {"username": "finance", "password": "pw-for-tests-1"})
    assert client.post(reverse("accounts:mfa-verify"), {"code": code_for(demo.DEMO_TOTP_KEY_HEX)}).status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_without_debug_no_demo_secret_is_set_up(world, settings):
    settings.DEBUG = False
    settings.TESTING = False
    demo.seed_demo(people=world.people, teams=world.teams, stdout=io.StringIO())
    assert not TOTPDevice.objects.exists()
