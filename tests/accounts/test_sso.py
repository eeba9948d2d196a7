"""Single sign-on against a real OpenID Connect provider (django-oauth-toolkit, OIDC on, a fresh
RSA key) that the test starts in its own process on a free port. The portal discovers it through
/.well-known/openid-configuration, sends the user there with state, nonce and PKCE, exchanges
the code over HTTP and checks the ID token against the provider's JWKS."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from apps.accounts import flow
from tests.accounts.mfa import enrol, fresh_code

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "cto-portal", "provider-secret-for-tests-only"
IDP_PASSWORD = "idp-pass-1"
USERS = [
    {"username": "eng", "email": "Engineer@example.com", "amr": ["pwd"]},  # case differs from the portal's
    {"username": "cto", "email": "cto@example.com", "amr": ["pwd"]},
    {"username": "hr-mfa", "email": "hr@example.com", "amr": ["pwd", "mfa"]},
    {"username": "stranger", "email": "stranger@elsewhere.example"},
    {"username": "unverified", "email": "tl@example.com", "email_verified": False},
]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("oidc")
    config = {"db": str(workdir / "idp.sqlite3"), "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "redirect_uri": "http://testserver/accounts/sso/callback/",
              "users": [{**u, "password": IDP_PASSWORD} for u in USERS]}
    (workdir / "config.json").write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "tests.accounts.oidc_provider.serve", str(workdir / "config.json")],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith("READY"):
            proc.kill()
            pytest.fail(f"OIDC provider did not start: {line}{proc.stderr.read()}")
        port = int(line.split()[1])
        print(f"OIDC provider ready in {time.monotonic() - started:.2f}s on port {port}")
        yield f"http://127.0.0.1:{port}/o"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def sso(provider, settings):
    settings.OIDC_ISSUER_URL = provider
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    return provider


def sign_in_at_provider(authorize_url: str, username: str) -> str:
    """A browser at the provider: follow to its login page, sign in, come back with the redirect
    to the portal's callback (not followed: the portal is the Django test client)."""
    browser = requests.Session()
    browser.trust_env = False
    page = browser.get(authorize_url, timeout=10)
    assert page.status_code == 200 and "/login/" in page.url, page.text[:300]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    nxt = re.search(r"name='next' value='([^']+)'", page.text).group(1).replace("&amp;", "&")
    login = browser.post(page.url, data={"csrfmiddlewaretoken": csrf, "username": username,
                                         "password": IDP_PASSWORD, "next": nxt},
                         headers={"Referer": page.url}, allow_redirects=False, timeout=10)
    assert login.status_code == 302, login.text[:300]
    location = login.headers["Location"]
    authorize = browser.get(requests.compat.urljoin(page.url, location), allow_redirects=False, timeout=10)
    assert authorize.status_code == 302, authorize.text[:500]
    return authorize.headers["Location"]


def start(client: Client, next_url: str = "") -> str:
    response = client.get(reverse("accounts:sso-login") + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def callback(client: Client, redirect: str):
    parts = urlsplit(redirect)
    assert parts.netloc == "testserver" and parts.path == reverse("accounts:sso-callback")
    return client.get(parts.path, parse_qs(parts.query))


@pytest.mark.django_db
def test_the_login_page_offers_sso_only_when_configured(world, settings, provider):
    assert b"sso-login" not in Client().get(reverse("login")).content
    settings.OIDC_ISSUER_URL, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = provider, CLIENT_ID, CLIENT_SECRET
    assert b"Sign in with" in Client().get(reverse("login")).content


@pytest.mark.django_db
def test_full_code_flow_signs_in_the_matching_user(world, sso):
    client = Client()
    authorize_url = start(client, next_url="/costs/")
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(sso + "/authorize/")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["client_id"] == [CLIENT_ID]

    response = callback(client, sign_in_at_provider(authorize_url, "eng"))
    assert response.status_code == 302 and response["Location"] == "/costs/"
    assert int(client.session["_auth_user_id"]) == world.users["engineer"].pk
    assert client.session[flow.AUTH_KEY] == {"method": "sso", "mfa": False}
    assert client.get(reverse("dashboard:home")).status_code == 200


@pytest.mark.django_db
def test_a_tampered_state_is_refused(world, sso):
    client = Client()
    redirect = sign_in_at_provider(start(client), "eng")
    tampered = re.sub(r"state=([^&]+)", lambda m: "state=" + m.group(1)[::-1], redirect)
    response = callback(client, tampered)
    assert response.status_code == 400
    assert b"Single sign-on failed" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_id_token_not_signed_by_the_providers_key_is_refused(world, sso):
    """The portal checks the ID token's signature against the JWKS: with a different key under
    the provider's key id in its cached key set, the genuine token no longer verifies."""
    from joserfc.jwk import RSAKey

    from apps.accounts import oidc

    client = Client()
    redirect = sign_in_at_provider(start(client), "eng")
    kid = requests.get(sso + "/.well-known/jwks.json", timeout=10).json()["keys"][0]["kid"]
    impostor = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
    sso_client = oidc.client()
    sso_client.server_metadata["jwks"] = {"keys": [impostor.as_dict(private=False)]}
    try:
        response = callback(client, redirect)
    finally:
        sso_client.server_metadata.pop("jwks", None)
    assert response.status_code == 400
    assert b"not accepted" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_callback_cannot_be_replayed(world, sso):
    client = Client()
    redirect = sign_in_at_provider(start(client), "eng")
    assert callback(client, redirect).status_code == 302
    client.post(reverse("logout"))
    assert callback(client, redirect).status_code == 400  # the state was used up
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_unknown_email_is_refused_with_a_clear_message(world, sso):
    client = Client()
    response = callback(client, sign_in_at_provider(start(client), "stranger"))
    assert response.status_code == 403
    assert b"No portal user has the e-mail address stranger@elsewhere.example" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_unverified_email_is_refused(world, sso):
    client = Client()
    response = callback(client, sign_in_at_provider(start(client), "unverified"))
    assert response.status_code == 403
    assert b"no verified e-mail" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sso_does_not_replace_the_portal_totp_for_the_cto(world, sso):
    enrol(world.users["cto"])
    client = Client()
    response = callback(client, sign_in_at_provider(start(client), "cto"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:mfa-verify")
    assert "_auth_user_id" not in client.session
    done = client.post(reverse("accounts:mfa-verify"), {"code": fresh_code(world.users["cto"])})
    assert done.status_code == 302
    assert client.session[flow.AUTH_KEY] == {"method": "sso", "mfa": True}


@pytest.mark.django_db
@pytest.mark.parametrize(("trust", "signed_in"), [(False, False), (True, True)])
def test_the_idp_mfa_counts_only_when_trusted(world, sso, settings, trust, signed_in):
    settings.OIDC_TRUST_IDP_MFA = trust
    client = Client()
    response = callback(client, sign_in_at_provider(start(client), "hr-mfa"))
    assert ("_auth_user_id" in client.session) is signed_in
    if signed_in:
        assert client.session[flow.AUTH_KEY] == {"method": "sso", "mfa": True}
    else:
        assert response["Location"] == reverse("accounts:mfa-enrol")


@pytest.mark.django_db
def test_the_user_can_still_use_the_local_password_login(world, sso):
    client = Client()
    response = client.post(reverse("login"), {"username": "engineer", "password": "pw-for-tests-1"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_an_account_locked_by_wrong_passwords_cannot_sign_in_through_sso_either(world, sso, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": "engineer", "password": "not-the-password"})
    client = Client()
    response = callback(client, sign_in_at_provider(start(client), "eng"))
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
