from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect

from apps.accounts.flow import AUTH_KEY
from apps.accounts.selectors import mfa_required


class MfaEnforcementMiddleware:
    """Signs out a session that was opened without a second factor when its user's role now
    requires one (e.g. an engineer promoted to HR mid-session). Sessions opened by the portal's
    sign-in flow carry ``portal_auth``; the flow itself never opens one without the second factor
    for a role that needs it (see apps/accounts/flow.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            auth = request.session.get(AUTH_KEY)
            if auth is not None and not auth.get("mfa") and mfa_required(user=user):
                logout(request)
                messages.warning(request, "Your role now requires two-factor sign-in. Please sign in again.")
                return redirect("login")
        return self.get_response(request)
