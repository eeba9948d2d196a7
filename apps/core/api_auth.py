"""Authentication, base permissions and pagination for the API.

Kept apart from ``apps.core.api`` because DRF imports these while it is itself being
imported (settings), so this module must not import ``rest_framework.views``."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import exceptions, pagination, permissions, throttling
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from apps.core.access import get_actor
from apps.core.models import ApiToken


class ServiceTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer ctop_...`` (or ``Token ctop_...``). Tokens are stored hashed;
    expired, revoked or inactive ones answer 401."""

    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in self.keywords:
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Bearer <token>'.")
        try:
            key = auth[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = (
            ApiToken.objects.select_related("service_account__user")
            .filter(key_hash=ApiToken.hash_key(key))
            .first()
        )
        now = timezone.now()
        if token is None or not token.is_valid(now):
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        account = token.service_account
        if not account.is_active or not account.user.is_active:
            raise exceptions.AuthenticationFailed("This service account is disabled.")
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            # Throttled bookkeeping: one write a minute per token, not one per request.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return account.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class IsPortalUser(permissions.BasePermission):
    """Signed in and holding a portal role (a person record or a service account)."""

    message = "Your account has no role in the portal."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return get_actor(request.user).is_authenticated


class RolePermission(IsPortalUser):
    """Subclass with ``roles = {...}`` (all methods) or ``write_roles`` (unsafe methods only)."""

    roles: frozenset[str] | None = None
    write_roles: frozenset[str] | None = None

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        role = get_actor(request.user).role
        if self.roles is not None and role not in self.roles:
            return False
        if self.write_roles is not None and request.method not in permissions.SAFE_METHODS:
            return role in self.write_roles
        return True


def role_permission(*, roles=None, write_roles=None) -> type[RolePermission]:
    return type(
        "RolePermission",
        (RolePermission,),
        {"roles": frozenset(roles) if roles else None, "write_roles": frozenset(write_roles) if write_roles else None},
    )


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500




class TokenRateThrottle(throttling.SimpleRateThrottle):
    """A request budget per API token (per user for browser sessions), counted in the cache —
    Redis in production, so every gunicorn worker shares the count."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken):
            ident = f"t{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = f"a{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
