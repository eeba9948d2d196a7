from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core import services
from apps.core.models import ApiToken, ServiceAccount
from apps.core.roles import Role

pytestmark = pytest.mark.django_db


def client_with(key: str) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return c


def test_token_is_stored_hashed_and_works(world):
    token = ApiToken.objects.get(service_account=world.service_account)
    assert world.token not in token.key_hash
    assert token.key_hash == ApiToken.hash_key(world.token)
    response = client_with(world.token).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {"username": "svc-test-tool", "role": "service", "person": None,
                               "service_account": "test-tool"}


def test_expired_revoked_and_unknown_tokens_get_401(world):
    account = world.service_account
    _, expired = services.api_token_issue(service_account=account, expires_at=timezone.now() + timedelta(seconds=1))
    ApiToken.objects.filter(key_hash=ApiToken.hash_key(expired)).update(expires_at=timezone.now() - timedelta(days=1))
    revoked_token, revoked = services.api_token_issue(service_account=account)
    services.api_token_revoke(token=revoked_token)
    for key in (expired, revoked, "ctop_not-a-real-token"):
        response = client_with(key).get("/api/v1/people/")
        assert response.status_code == 401, key
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_disabled_service_account_gets_401(world):
    ServiceAccount.objects.filter(pk=world.service_account.pk).update(is_active=False)
    assert client_with(world.token).get("/api/v1/people/").status_code == 401


def test_issue_with_past_expiry_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.api_token_issue(service_account=world.service_account, expires_at=timezone.now() - timedelta(hours=1))
    assert "expiry" in str(exc.value)


def test_issue_token_command_creates_account_and_prints_key_once(db, capsys):
    call_command("issue_token", "jira-bridge", "--role", Role.PM, "--days", "30")
    key = capsys.readouterr().out.strip()
    account = ServiceAccount.objects.get(name="jira-bridge")
    assert account.role == Role.PM
    token = account.tokens.get()
    assert token.key_hash == ApiToken.hash_key(key)
    assert token.expires_at > timezone.now() + timedelta(days=29)
    assert client_with(key).get("/api/v1/me/").json()["role"] == "pm"
    call_command("revoke_token", "--account", "jira-bridge")
    assert client_with(key).get("/api/v1/me/").status_code == 401
