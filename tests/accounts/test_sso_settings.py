"""Single sign-on settings: a half or malformed configuration stops the start with a clear message."""
import pytest

from tests.core.test_settings import run_manage

OK = {"OIDC_CLIENT_ID": "portal", "OIDC_CLIENT_SECRET": "secret"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OIDC_ISSUER_URL": "https://idp.example.com"},
         "Single sign-on is half configured: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET missing"),
        ({"OIDC_CLIENT_ID": "portal"}, "half configured: OIDC_ISSUER_URL, OIDC_CLIENT_SECRET missing"),
        ({"OIDC_ISSUER_URL": "idp.example.com", **OK}, "OIDC_ISSUER_URL='idp.example.com' is not a URL"),
        ({"OIDC_ISSUER_URL": "http://idp.example.com", **OK}, "must be an https:// URL (plain http only for localhost)"),
        ({"OIDC_ISSUER_URL": "https://idp.example.com/?x=1", **OK}, "must not carry a query"),
        ({"OIDC_ISSUER_URL": "https://idp.example.com", "OIDC_SCOPES": "email", **OK}, "must include 'openid'"),
        ({"OIDC_TRUST_IDP_MFA": "perhaps"}, "OIDC_TRUST_IDP_MFA='perhaps' is not a boolean"),
    ],
)
def test_misconfigured_sso_stops_the_start(env, message):
    result = run_manage("check", DEBUG="1", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_a_complete_sso_configuration_starts():
    result = run_manage("check", DEBUG="1", OIDC_ISSUER_URL="https://idp.example.com/realms/acme", **OK)
    assert result.returncode == 0, result.stderr
