"""Two-factor sign-in: TOTP with recovery codes, required for the CTO, HR and finance."""
from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import flow, sealing, services
from apps.accounts.models import RecoveryCode
from apps.core.models import AccessLog
from apps.core.roles import Role
from tests.accounts.mfa import code_for, enrol, fresh_code, key_from_base32

PASSWORD = "pw-for-tests-1"
pytestmark = pytest.mark.django_db


def password_step(client: Client, username: str, next_url: str = ""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("role", ["cto", "hr", "finance"])
def test_password_alone_does_not_sign_in_a_role_that_needs_two_factor(world, role):
    client = Client()
    response = password_step(client, role)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:mfa-enrol")
    assert not signed_in(client)
    # Half-way signed in is not signed in: pages send to the login, the API answers 401/403.
    assert client.get(reverse("dashboard:home"))["Location"].startswith(reverse("login"))
    assert client.get("/api/v1/").status_code in (401, 403)


@pytest.mark.parametrize("role", ["engineer", "tl", "em", "pm"])
def test_other_roles_sign_in_with_the_password(world, role):
    client = Client()
    response = password_step(client, role)
    assert response["Location"] == reverse("dashboard:home")
    assert signed_in(client)
    assert client.session[flow.AUTH_KEY] == {"method": "password", "mfa": False}


def test_enrolment_shows_secret_and_qr_then_confirms_and_shows_recovery_codes_once(world):
    client = Client()
    password_step(client, "cto", next_url="/costs/")
    page = client.get(reverse("accounts:mfa-enrol"))
    assert page.status_code == 200
    html = page.content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert 'src="data:image/svg+xml' in html  # the QR code, drawn on the server
    key = key_from_base32(secret)
    assert key == client.session[flow.ENROL_KEY]
    assert TOTPDevice.objects.count() == 0  # nothing stored before the first code

    wrong = client.post(reverse("accounts:mfa-enrol"), {"code": "000000" if code_for(key) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert b"does not match" in wrong.content
    assert TOTPDevice.objects.count() == 0 and not signed_in(client)

    done = client.post(reverse("accounts:mfa-enrol"), {"code": code_for(key)})
    assert done.status_code == 200
    codes = re.findall(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert b'href="/costs/"' in done.content  # then on to where the user was going
    assert signed_in(client)
    assert client.session[flow.AUTH_KEY] == {"method": "password", "mfa": True}
    device = TOTPDevice.objects.get(user=world.users["cto"])
    # Sealed at rest: the column holds neither the hex nor the base32 secret.
    assert device.confirmed and device.key.startswith("sealed1:") and key not in device.key
    assert sealing.open_sealed(device.key, user_id=world.users["cto"].pk) == key
    # Only hashes are stored.
    stored = set(RecoveryCode.objects.filter(user=world.users["cto"]).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not any(c.replace("-", "") in h for c in codes for h in stored)
    assert stored == {RecoveryCode.hash_code(world.users["cto"].pk, c) for c in codes}
    # Shown once: the enrolment page now only says it is set up.
    again = client.get(reverse("accounts:mfa-enrol"))
    assert b"mfa-enrolled" in again.content and codes[0].encode() not in again.content


def test_with_an_authenticator_the_login_asks_for_the_code(world):
    enrol(world.users["hr"])
    client = Client()
    response = password_step(client, "hr", next_url="/reviews/")
    assert response["Location"] == reverse("accounts:mfa-verify")
    assert not signed_in(client)
    assert client.get(reverse("accounts:mfa-verify")).status_code == 200

    refused = client.post(reverse("accounts:mfa-verify"), {"code": "12345"})
    assert refused.status_code == 200 and not signed_in(client)

    ok = client.post(reverse("accounts:mfa-verify"), {"code": fresh_code(world.users["hr"])})
    assert ok.status_code == 302 and ok["Location"] == "/reviews/"
    assert signed_in(client)
    assert client.session[flow.AUTH_KEY] == {"method": "password", "mfa": True}


def test_a_used_totp_code_is_refused_the_second_time(world):
    enrol(world.users["finance"])
    code = fresh_code(world.users["finance"])
    first = Client()
    password_step(first, "finance")
    assert first.post(reverse("accounts:mfa-verify"), {"code": code}).status_code == 302
    second = Client()
    password_step(second, "finance")
    replay = second.post(reverse("accounts:mfa-verify"), {"code": code})
    assert replay.status_code == 200 and not signed_in(second)


def test_each_recovery_code_works_once(world):
    _, codes = enrol(world.users["cto"])
    client = Client()
    password_step(client, "cto")
    response = client.post(reverse("accounts:mfa-verify"), {"code": codes[3].lower()})
    assert response.status_code == 302 and signed_in(client)
    assert RecoveryCode.objects.filter(user=world.users["cto"], used_at__isnull=False).count() == 1

    again = Client()
    password_step(again, "cto")
    reused = again.post(reverse("accounts:mfa-verify"), {"code": codes[3]})
    assert reused.status_code == 200 and not signed_in(again)
    assert b"not valid" in reused.content
    # Another user's code is not this user's code.
    _, hr_codes = enrol(world.users["hr"])
    assert again.post(reverse("accounts:mfa-verify"), {"code": hr_codes[0]}).status_code == 200
    assert not signed_in(again)


def test_wrong_codes_count_toward_the_axes_lockout(world):
    enrol(world.users["cto"])
    client = Client()
    password_step(client, "cto")
    statuses = [client.post(reverse("accounts:mfa-verify"), {"code": "00000" + str(i)}).status_code
                for i in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert not signed_in(client)
    # Locked: even the right password and a right code are refused now.
    again = Client()
    assert password_step(again, "cto").status_code == 429
    assert again.post(reverse("accounts:mfa-verify"), {"code": fresh_code(world.users["cto"])}).status_code == 302
    assert not signed_in(again)  # (no pending sign-in: sent back to the login page)


def test_wrong_enrolment_codes_also_count_toward_the_lockout(world):
    client = Client()
    password_step(client, "finance")
    client.get(reverse("accounts:mfa-enrol"))
    key = client.session[flow.ENROL_KEY]
    wrong = "000000" if code_for(key) != "000000" else "111111"
    statuses = [client.post(reverse("accounts:mfa-enrol"), {"code": wrong}).status_code
                for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[-1] == 429
    assert TOTPDevice.objects.count() == 0 and not signed_in(client)


def test_the_pending_sign_in_expires(world, settings):
    enrol(world.users["cto"])
    client = Client()
    password_step(client, "cto")
    session = client.session
    session[flow.PENDING_KEY]["started"] = int(time.time()) - settings.MFA_PENDING_SECONDS - 1
    session.save()
    response = client.post(reverse("accounts:mfa-verify"), {"code": fresh_code(world.users["cto"])})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not signed_in(client)


def test_the_admin_login_is_not_a_way_around_the_second_factor(world):
    cto = world.users["cto"]
    cto.is_staff = cto.is_superuser = True
    cto.save()
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "cto", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_a_role_that_comes_to_need_two_factor_signs_the_session_out(world):
    client = Client()
    password_step(client, "engineer")
    assert client.get(reverse("dashboard:home")).status_code == 200
    world.engineer.role = Role.HR
    world.engineer.save()
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not signed_in(client)


def test_only_the_sign_in_flow_calls_django_login():
    """Test clients' force_login has no production twin: the only call of Django's login() in the
    portal's code is flow.login_complete, which the views reach after the second factor when
    one is due (the tests above), and the admin's own login view is not routed."""
    callers = []
    for path in Path(settings.BASE_DIR, "apps").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.contrib.auth":
                if any(alias.name == "login" for alias in node.names):
                    callers.append(str(path.relative_to(settings.BASE_DIR)))
    assert callers == ["apps/accounts/flow.py"]


def test_voluntary_enrolment_makes_the_next_login_ask_for_a_code(world):
    client = world.client("engineer")
    home = client.get("/").content.decode()
    assert f'href="{reverse("accounts:mfa-enrol")}" data-testid="mfa-link"' in home  # the user menu leads there
    client.get(reverse("accounts:mfa-enrol"))
    key = client.session[flow.ENROL_KEY]
    assert client.post(reverse("accounts:mfa-enrol"), {"code": code_for(key)}).status_code == 200
    fresh = Client()
    assert password_step(fresh, "engineer")["Location"] == reverse("accounts:mfa-verify")
    assert not signed_in(fresh)


def test_the_cto_resets_a_lost_authenticator_and_it_is_logged(world):
    enrol(world.users["hr"])
    with pytest.raises(Exception, match="Only the CTO"):
        services.mfa_reset(by=world.users["hr"], user=world.users["hr"])
    assert TOTPDevice.objects.filter(user=world.users["hr"]).count() == 1

    cto = world.users["cto"]
    cto.is_staff = cto.is_superuser = True
    cto.save()
    admin = world.client("cto")
    device = TOTPDevice.objects.get(user=world.users["hr"])
    response = admin.post(reverse("admin:otp_totp_totpdevice_changelist"),
                          {"action": "reset_two_factor", "_selected_action": [device.pk]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.users["hr"]).exists()
    assert not RecoveryCode.objects.filter(user=world.users["hr"]).exists()
    entry = AccessLog.objects.get(action="mfa-reset")
    assert entry.user == cto and entry.object_id == str(world.users["hr"].pk) and entry.subject_person_id == world.hr.pk
    assert b"mfa-reset" in admin.get(reverse("core:audit") + "?tab=reads").content
    # Next sign-in: enrol again.
    assert password_step(Client(), "hr")["Location"] == reverse("accounts:mfa-enrol")


def test_a_staff_user_who_is_not_the_cto_cannot_reset(world):
    hr = world.users["hr"]
    hr.is_staff = hr.is_superuser = True
    hr.save()
    enrol(world.users["finance"])
    device = TOTPDevice.objects.get(user=world.users["finance"])
    response = world.client("hr").post(reverse("admin:otp_totp_totpdevice_changelist"),
                                       {"action": "reset_two_factor", "_selected_action": [device.pk]})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not AccessLog.objects.filter(action="mfa-reset").exists()


def test_new_recovery_codes_need_a_current_totp_code_and_replace_the_old_ones(world):
    key, old_codes = enrol(world.users["finance"])
    client = world.client("finance")
    page = client.get(reverse("accounts:mfa-enrol"))
    assert "10 unused recovery codes" in " ".join(page.content.decode().split())
    # A recovery code cannot renew the set.
    refused = client.post(reverse("accounts:mfa-enrol"), {"code": old_codes[0]})
    assert refused.status_code == 200 and b"6-digit" in refused.content
    assert RecoveryCode.objects.filter(user=world.users["finance"], used_at__isnull=True).count() == 10
    response = client.post(reverse("accounts:mfa-enrol"), {"code": fresh_code(world.users["finance"])})
    new_codes = re.findall(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>", response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    stored = set(RecoveryCode.objects.filter(user=world.users["finance"]).values_list("code_hash", flat=True))
    assert stored == {RecoveryCode.hash_code(world.users["finance"].pk, c) for c in new_codes}
