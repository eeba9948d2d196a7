"""OpenID Connect single sign-on (authorization code flow) through Authlib.

Authlib reads the provider's ``/.well-known/openid-configuration`` on first use, sends the user
to the authorization endpoint with ``state``, ``nonce`` and a PKCE ``S256`` challenge (kept in
the session), exchanges the code at the token endpoint, and checks the ID token: its signature
against the provider's JWKS, ``iss``, ``aud``, ``exp`` and the ``nonce``."""
from __future__ import annotations

from dataclasses import dataclass

from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

# IdP authentication methods (RFC 8176) that already are a second factor.
MFA_AMR_VALUES = frozenset({"mfa", "otp", "hwk", "swk", "sms", "fpt", "face", "iris", "retina", "sc"})

_clients: dict[tuple, object] = {}


def is_configured() -> bool:
    return bool(settings.OIDC_ISSUER_URL and settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET)


def client():
    """The Authlib client for the configured provider (one per configuration, so the
    discovery document and the JWKS are fetched once and cached)."""
    key = (settings.OIDC_ISSUER_URL, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET, settings.OIDC_SCOPES)
    if key not in _clients:
        oauth = OAuth()
        issuer = settings.OIDC_ISSUER_URL.rstrip("/")
        _clients[key] = oauth.register(
            "portal_sso",
            client_id=settings.OIDC_CLIENT_ID,
            client_secret=settings.OIDC_CLIENT_SECRET,
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": settings.OIDC_SCOPES, "code_challenge_method": "S256",
                           "default_timeout": settings.OIDC_TIMEOUT_SECONDS},
        )
    return _clients[key]


@dataclass
class SsoIdentity:
    email: str
    email_verified: bool
    subject: str
    amr: list[str]

    @property
    def idp_mfa(self) -> bool:
        return bool(MFA_AMR_VALUES & set(self.amr))


def identity_from_claims(claims: dict) -> SsoIdentity:
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    verified = claims.get("email_verified")
    if isinstance(verified, str):  # some providers send "true"
        verified = verified.lower() == "true"
    return SsoIdentity(email=(claims.get("email") or "").strip(), email_verified=verified is True,
                       subject=str(claims.get("sub") or ""), amr=[str(a) for a in amr])


def user_for_email(email: str):
    """The one active portal user with this e-mail (the person's work e-mail, or the login's own).
    None when there is none, or more than one (ambiguous: refused rather than guessed)."""
    if not email:
        return None
    User = get_user_model()
    matches = list(
        User.objects.filter(is_active=True, service_account__isnull=True)
        .filter(Q(person__email__iexact=email) | Q(email__iexact=email))
        .distinct()[:2])
    if len(matches) != 1:
        return None
    user = matches[0]
    person = getattr(user, "person", None)
    if person is not None and not person.is_active:
        return None
    return user
