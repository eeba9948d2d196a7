from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core import selectors
from apps.core.access import get_actor, get_visible_or_404, require_role
from apps.core.forms import add_service_errors
from apps.core.roles import Role


def _zone_of(actor) -> ZoneInfo | None:
    name = getattr(actor.person, "time_zone", "") if actor.person is not None else ""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def portal_view(view):
    """Signed in, with a portal role (person record or superuser). Service accounts use the API."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        actor = get_actor(request.user)
        if not actor.is_authenticated or actor.is_service:
            raise PermissionDenied("Your account is not linked to a person in the portal.")
        request.actor = actor
        # Pages show times in the viewer's own zone (Person.time_zone); stored times stay UTC.
        with timezone.override(_zone_of(actor)):
            return view(request, *args, **kwargs)

    return wrapped


SEEN_FIELD = "_seen"
CONFLICT_MESSAGE = ("Someone else saved this after you opened the page. Reload to see their version, or save "
                    "again to replace it with yours.")


def state_token(obj) -> str:
    """What an object's stored fields read now, as a short hash (the edit form's conflict guard)."""
    values = [f"{f.attname}={f.value_from_object(obj)!s}" for f in obj._meta.concrete_fields]
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:24]


def _guard(form, instance=None):
    """The object the form edits (``instance``, else a ModelForm's; None when it creates one);
    adds the hidden field carrying what the object read when the page was opened."""
    instance = instance if instance is not None else getattr(form, "instance", None)
    if instance is None or getattr(instance, "pk", None) is None or not hasattr(instance, "_meta"):
        return None
    form.fields[SEEN_FIELD] = django_forms.CharField(widget=django_forms.HiddenInput, required=False,
                                                     initial=state_token(instance))
    layout = getattr(getattr(form, "helper", None), "layout", None)
    if layout is not None:  # a crispy layout renders only the fields it names
        layout.append(SEEN_FIELD)
    return instance


def submit_form(request, form, action: Callable[[dict], Any], *, message: str | Callable[[Any], str],
                to: str | Callable[[Any], Any] | None = None, guard=None) -> HttpResponse | None:
    """The portal's one form flow. On a valid POST, ``action(cleaned_data)`` calls the service; a
    ValidationError it raises lands on the form (field errors on their field), nothing is saved
    and None is returned so the view renders the form again. On success ``message`` (text, or a
    function of the result) is flashed and the browser goes to ``to`` (a URL, a function of the
    result, or by default the result's own page).

    A form that edits a stored object (a ModelForm with an instance, or ``guard=`` the object a
    plain form edits) detects concurrent edits: the page carries what the object read when it
    was opened, and a save after someone else's is refused with :data:`CONFLICT_MESSAGE` (nothing saved; saving again overwrites)."""
    guarded = _guard(form, guard)
    if request.method != "POST" or not form.is_bound or not form.is_valid():
        return None
    seen = form.cleaned_data.pop(SEEN_FIELD, "") if guarded is not None else ""
    try:
        with transaction.atomic():
            if guarded is not None and seen:
                current = type(guarded)._default_manager.select_for_update().get(pk=guarded.pk)
                token = state_token(current)
                if token != seen:
                    form.data = form.data.copy()
                    form.data[form.add_prefix(SEEN_FIELD)] = token  # a second save overwrites, knowingly
                    form.add_error(None, CONFLICT_MESSAGE)
                    return None
            result = action(form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, message(result) if callable(message) else message)
    target = to(result) if callable(to) else to
    return redirect(target if target is not None else result)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    cache.set("healthz", "1", 10)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache did not return the value just written")
    return "ok"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
@require_GET
def healthz(request):
    """Database, cache and broker: 200 when all answer, 503 naming what failed."""
    checks = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
    results: dict[str, str] = {}
    healthy = True
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure of a dependency is a 503, not a 500
            healthy = False
            results[name] = f"error: {type(exc).__name__}"
    return JsonResponse({"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503)


@portal_view
def audit(request):
    require_role(request.actor, Role.CTO)
    tab = request.GET.get("tab", "changes")
    if tab == "reads":
        qs = selectors.access_log_list(actor=request.actor)
    else:
        tab = "changes"
        qs = selectors.change_log_list(actor=request.actor)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit.html", {"page": page, "tab": tab})


@portal_view
def syncrun_detail(request, pk: int):
    run = get_visible_or_404(selectors.syncrun_list(actor=request.actor), pk=pk)
    template = "includes/syncrun_progress.html" if request.headers.get("HX-Request") else "core/syncrun_detail.html"
    return render(request, template, {"run": run})


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)
