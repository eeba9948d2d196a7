"""Sign-in pages: password step, second factor (TOTP or recovery code), enrolment, SSO."""
from __future__ import annotations

import logging

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from joserfc.errors import JoseError
from requests import RequestException

from apps.accounts import flow, oidc, selectors, services
from apps.accounts.forms import CodeForm, EnrolForm

log = logging.getLogger(__name__)


def _after_first_step(request, user, *, method: str, next_url: str, idp_mfa: bool = False):
    """Password or SSO accepted: sign in now, or ask for the second factor first."""
    if idp_mfa and settings.OIDC_TRUST_IDP_MFA:
        flow.login_complete(request, user, method=method, mfa=True)
        return HttpResponseRedirect(next_url)
    if not selectors.second_factor_due(user=user):
        flow.login_complete(request, user, method=method, mfa=False)
        return HttpResponseRedirect(next_url)
    flow.pending_start(request, user, method=method, next_url=next_url)
    if selectors.totp_device_get(user=user) is None:
        return redirect("accounts:mfa-enrol")
    return redirect("accounts:mfa-verify")


class PortalLoginView(auth_views.LoginView):
    """Django's LoginView (django-axes counts its failures) with a second step for MFA."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = oidc.is_configured()
        context["sso_name"] = settings.OIDC_PROVIDER_NAME
        return context

    def form_valid(self, form):
        return _after_first_step(self.request, form.get_user(), method="password", next_url=self.get_success_url())


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def _refuse_if_locked(request, user):
    """The second step shares django-axes' lock-out with the password step."""
    if AxesProxyHandler.is_locked(request, _credentials(user)):
        flow.pending_clear(request)
        return get_lockout_response(request, _credentials(user))
    return None


def _count_failure(request, user):
    """A wrong code counts as a failed sign-in for django-axes (same limit as passwords)."""
    AxesProxyHandler.user_login_failed(sender=__name__, credentials=_credentials(user), request=request)
    return _refuse_if_locked(request, user)


def _no_pending(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    messages.info(request, "Please sign in (the sign-in expired or was not started).")
    return redirect("login")


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    user = flow.pending_user(request)
    if user is None:
        return _no_pending(request)
    if selectors.totp_device_get(user=user) is None:
        return redirect("accounts:mfa-enrol")
    locked = _refuse_if_locked(request, user)
    if locked is not None:
        return locked
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            how = services.mfa_verify(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            locked = _count_failure(request, user)
            if locked is not None:
                return locked
            form.add_error("code", exc.messages[0])
        else:
            data = flow.pending_data(request)
            flow.login_complete(request, user, method=data.get("method", "password"), mfa=True)
            if how == "recovery":
                left = selectors.recovery_codes_left(user=user)
                messages.warning(request, f"You signed in with a recovery code; {left} left. "
                                          "If your phone is lost, ask the CTO to reset your two-factor.")
            return HttpResponseRedirect(data.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/mfa_verify.html", {"form": form, "pending_user": user})


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_enrol(request):
    """Set up an authenticator: for a user half-way through signing in who must have one, or
    for a signed-in user who wants one. The secret lives in the session until the first code
    confirms it; the recovery codes are shown once, in the answer to that confirmation."""
    pending = flow.pending_user(request)
    user = pending or (request.user if request.user.is_authenticated else None)
    if user is None:
        return _no_pending(request)
    if selectors.totp_device_get(user=user) is not None:
        if pending is not None:
            return redirect("accounts:mfa-verify")
        return _recovery_codes_renew(request, user)
    if pending is not None:
        locked = _refuse_if_locked(request, user)
        if locked is not None:
            return locked
    key = request.session.get(flow.ENROL_KEY)
    if not key:
        key = request.session[flow.ENROL_KEY] = services.totp_secret_new()
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.mfa_enrol(user=user, key_hex=key, code=form.cleaned_data["code"])
        except ValidationError as exc:
            locked = _count_failure(request, user)
            if locked is not None:
                return locked
            form.add_error("code", exc.messages[0])
        else:
            request.session.pop(flow.ENROL_KEY, None)
            next_url = resolve_url(settings.LOGIN_REDIRECT_URL)
            if pending is not None:
                data = flow.pending_data(request)
                next_url = data.get("next") or next_url
                flow.login_complete(request, user, method=data.get("method", "password"), mfa=True)
            else:
                request.session[flow.AUTH_KEY] = {**request.session.get(flow.AUTH_KEY, {}), "mfa": True}
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url})
    provisioning = services.totp_provisioning(user=user, key_hex=key)
    return render(request, "accounts/mfa_enrol.html", {
        "form": form, "secret": provisioning["secret"], "uri": provisioning["uri"],
        "qr_data_uri": provisioning["qr_data_uri"],
        "pending": pending is not None,
    })


def _recovery_codes_renew(request, user):
    """Signed in with an authenticator: the page offers new recovery codes against a current
    TOTP code (not a recovery code: a lost set must not be able to renew itself)."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].replace(" ", "")
        try:
            if not (code.isdigit() and len(code) == 6):
                raise ValidationError("Enter the 6-digit code from your authenticator app.")
            services.mfa_verify(user=user, code=code)
        except ValidationError as exc:
            locked = _count_failure(request, user)
            if locked is not None:
                return locked
            form.add_error("code", exc.messages[0])
        else:
            codes = services.recovery_codes_regenerate(user=user)
            return render(request, "accounts/recovery_codes.html", {
                "codes": codes, "next_url": resolve_url(settings.LOGIN_REDIRECT_URL), "renewed": True})
    return render(request, "accounts/mfa_enrol.html", {
        "enrolled": True, "form": form, "codes_left": selectors.recovery_codes_left(user=user)})


# -- Single sign-on -----------------------------------------------------------------------------
SSO_NEXT_KEY = "accounts_sso_next"


def _sso_refused(request, message: str, status: int = 403):
    log.warning("SSO sign-in refused: %s", message)
    return render(request, "registration/sso_refused.html", {"message": message}, status=status)


@never_cache
@require_GET
def sso_login(request):
    if not oidc.is_configured():
        raise Http404("Single sign-on is not configured.")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = resolve_url(settings.LOGIN_REDIRECT_URL)
    request.session[SSO_NEXT_KEY] = next_url
    client = oidc.client()
    try:
        metadata = client.load_server_metadata()
    except (RequestException, ValueError) as exc:
        return _sso_refused(request, f"The sign-on provider cannot be reached ({exc.__class__.__name__}).", 502)
    if str(metadata.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER_URL.rstrip("/"):
        return _sso_refused(request, "The sign-on provider announces a different issuer than configured.", 502)
    return client.authorize_redirect(request, request.build_absolute_uri(reverse("accounts:sso-callback")))


@never_cache
@require_GET
def sso_callback(request):
    if not oidc.is_configured():
        raise Http404("Single sign-on is not configured.")
    try:
        token = oidc.client().authorize_access_token(request)
    except OAuthError as exc:
        reason = str(exc.description or exc.error).rstrip(".")
        return _sso_refused(request, f"Single sign-on failed: {reason}.", 400)
    except (AuthlibBaseError, JoseError, RequestException, RuntimeError, ValueError) as exc:
        # the provider is down, or the ID token fails a check (signature, iss, aud, exp, nonce)
        return _sso_refused(request, f"Single sign-on failed: the provider's answer was not accepted "
                                     f"({exc.__class__.__name__}).", 400)
    claims = token.get("userinfo")
    if not claims:
        return _sso_refused(request, "Single sign-on failed: the provider sent no ID token.", 400)
    identity = oidc.identity_from_claims(claims)
    if not identity.email or not identity.email_verified:
        return _sso_refused(request, "Your sign-on account has no verified e-mail address, so it cannot be "
                                     "matched to a portal user.")
    user = oidc.user_for_email(identity.email)
    if user is None:
        return _sso_refused(request, f"No portal user has the e-mail address {identity.email}. Ask HR or the CTO "
                                     "to add you to the org first.")
    locked = _refuse_if_locked(request, user)  # a lock-out (wrong passwords or codes) holds for SSO too
    if locked is not None:
        return locked
    next_url = request.session.pop(SSO_NEXT_KEY, "") or resolve_url(settings.LOGIN_REDIRECT_URL)
    return _after_first_step(request, user, method="sso", next_url=next_url, idp_mfa=identity.idp_mfa)
