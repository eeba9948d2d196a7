"""API plumbing shared by every app: consistent JSON errors, the 409 conflict, and the
router each app's ``api.py`` registers on. Auth and permissions: ``apps.core.api_auth``."""
from __future__ import annotations

import hashlib
import json
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, routers, status
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.api_auth import IsPortalUser, Pagination, RolePermission, ServiceTokenAuthentication, role_permission

__all__ = [
    "ConditionalUpdateMixin", "Conflict", "IsPortalUser", "Pagination", "RolePermission", "ServiceTokenAuthentication",
    "build_router", "etag_of", "exception_handler", "role_permission",
]


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.api_auth.ServiceTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A service account token (ctop_...)."}


class Conflict(exceptions.APIException):
    """409: the write lost a race (stale version) or clashes with existing data."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource was changed by someone else."
    default_code = "conflict"

    def __init__(self, detail=None, *, extra: dict | None = None):
        super().__init__(detail)
        self.extra = extra or {}


def etag_of(data) -> str:
    """A strong ETag for a representation: the hash of its canonical JSON."""
    blob = json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()
    return f'"{hashlib.sha256(blob).hexdigest()[:32]}"'


class ETagMixin:
    """Conflict detection for API objects (optimistic, HTTP style): ``GET`` of one object
    answers with an ``ETag``; write actions (``@action`` endpoints such as a triage or an
    answer) call :meth:`check_if_match` inside their transaction, before writing, so one sent
    with a stale ``If-Match`` answers 409 with the current ``etag`` and changes nothing. Without
    ``If-Match`` a write applies as before (last write wins): clients that care send it."""

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_of(response.data)
        return response

    def current_etag(self, instance) -> str:
        """The ETag ``GET`` gives this object now (the retrieve serializer, whatever the action)."""
        action, self.action = getattr(self, "action", None), "retrieve"
        try:
            return etag_of(self.get_serializer(instance).data)
        finally:
            self.action = action

    def check_if_match(self, request) -> None:
        """Inside a transaction: lock the object and raise 409 when ``If-Match`` names a version
        it no longer has (no header, or ``*``: nothing to check). The row stays locked until
        the transaction ends, so two writers holding the same ETag cannot both win."""
        if_match = [tag.strip() for tag in request.headers.get("If-Match", "").split(",") if tag.strip()]
        if not if_match or "*" in if_match:
            return
        instance = self.get_object()
        # Lock the row, then read it as GET does (same queryset, annotations and all).
        list(type(instance)._default_manager.select_for_update().filter(pk=instance.pk).values_list("pk"))
        current = self.current_etag(self.get_object())
        if current not in if_match:
            raise Conflict("The object was changed since you read it: read it again, then apply your change.",
                           extra={"etag": current})


class ConditionalUpdateMixin(ETagMixin):
    """:class:`ETagMixin` for viewsets with ``UpdateModelMixin``: ``PUT``/``PATCH`` check
    ``If-Match`` the same way. (Only for those: this ``update`` would make the router offer a
    ``PUT`` on a viewset that cannot update.)"""

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            self.check_if_match(request)
            response = super().update(request, *args, **kwargs)
        if response.status_code < 300 and isinstance(response.data, dict):
            response["ETag"] = etag_of(response.data)
        return response


def _validation_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {field or "non_field_errors": [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    return {"non_field_errors": list(exc.messages)}


def exception_handler(exc, context):
    """DRF's handler plus: Django ValidationError -> 400 with field messages, Conflict -> 409
    with its extra payload, and every error body carries a ``detail`` or field map."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, IntegrityError):
        # A safety net: a database rule the input validation missed is the client's error, not a 500.
        exc = exceptions.ValidationError({"non_field_errors": ["The data breaks a rule of the portal's records."]})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Conflict) and exc.extra:
        response.data = {"detail": str(exc.detail), **exc.extra}
    return response


def build_router() -> routers.DefaultRouter:
    """One router for /api/v1/: each app in PORTAL_APPS with an ``api`` module exposing
    ``register(router)`` adds its viewsets."""
    router = routers.DefaultRouter()
    for app in settings.PORTAL_APPS:
        module_name = f"{app}.api"
        if find_spec(module_name) is None:
            continue
        module = import_module(module_name)
        register = getattr(module, "register", None)
        if register is not None:
            register(router)
    return router


def api_extra_urls() -> list:
    """Non-viewset API paths an app exposes as ``API_URLS`` in its ``api`` module."""
    patterns: list = []
    for app in settings.PORTAL_APPS:
        module_name = f"{app}.api"
        if find_spec(module_name) is None:
            continue
        patterns.extend(getattr(import_module(module_name), "API_URLS", []))
    return patterns
