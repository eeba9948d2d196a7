"""The two-step sign-in, kept in the session.

Step one (password, or single sign-on) proves who the user is but does NOT sign them in when
a second factor is due: it only records a *pending* sign-in (user id, method, where to go next,
when it started). Step two (a TOTP or recovery code, or enrolling an authenticator) turns it
into a real Django login. So no code path reaches ``django.contrib.auth.login`` for a user who
owes a second factor without passing :func:`login_complete` with ``mfa=True``.

Every real sign-in also stores ``portal_auth`` (method and whether a second factor was given);
:class:`apps.accounts.middleware.MfaEnforcementMiddleware` signs out a session whose user's
role later comes to require one."""
from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login

PENDING_KEY = "accounts_pending_login"
AUTH_KEY = "portal_auth"
ENROL_KEY = "accounts_enrol_secret"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def pending_start(request, user, *, method: str, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user_id": user.pk, "method": method, "next": next_url, "started": int(time.time()),
    }
    request.session.pop(ENROL_KEY, None)


def pending_user(request):
    """The user half-way through signing in, or None (none, expired, or deactivated)."""
    data = request.session.get(PENDING_KEY)
    if not data:
        return None
    if time.time() - data.get("started", 0) > settings.MFA_PENDING_SECONDS:
        pending_clear(request)
        return None
    user = get_user_model().objects.filter(pk=data.get("user_id"), is_active=True).first()
    if user is None:
        pending_clear(request)
    return user


def pending_data(request) -> dict:
    return request.session.get(PENDING_KEY) or {}


def pending_clear(request) -> None:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(ENROL_KEY, None)


def login_complete(request, user, *, method: str, mfa: bool) -> None:
    """The only place the portal signs a user in (password, SSO, after the second factor)."""
    pending_clear(request)
    auth_login(request, user, backend=BACKEND)  # rotates the session key
    request.session[AUTH_KEY] = {"method": method, "mfa": bool(mfa)}
