"""The dashboard's data for other internal tools: one JSON endpoint per role view,
``GET /api/v1/dashboard/<view>/`` with view one of cto, em, tl, pm, engineer, finance, hr.

Who reads which view: a person (browser session) or a service account reads the view of its
own role (a service account's role is the view it has been granted: create it with
``issue_token NAME --role em`` to read the EM view); the CTO reads every view. Anything else is
403 — a plain ``service`` token has no dashboard. Every panel is read through its app's
selectors for the caller, so the API shows exactly what the page would show them.
Money is ``{"amount": "123.45", "currency": "USD"}`` (a decimal string, never a float)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.core.access import get_actor
from apps.core.api import IsPortalUser
from apps.dashboard.panels import VIEWS, may_read_view, panels_for

PANEL_DATA_HELP = (
    "The panel's figures and lists. Money is {amount (decimal string), currency}; dates are ISO 8601. "
    "Keys per panel: spend {month_to_date, month_forecast, tools_monthly, total_forecast, budget, chart}; "
    "anomalies {count, items}; overdue_actions {count, owner_count, owners}; week_syncs/my_syncs/product_syncs "
    "{meetings[{title, scheduled_at, open_agenda}]}; review_cycles {cycles}; security_completion {trainings, "
    "bulletins}; evidence {count, items}; initiatives {by_health, stale_count, attention, stale}; infra_requests "
    "{count, items}; renewals {items}; tech_monthly {session, talks}; ama {session, questions}; my_actions "
    "{open, overdue, items}; team_reviews {items, to_write}; team_findings {count, by_kind, items}; trainings_due, "
    "bulletins {items}; talks {sessions}."
)


class PanelSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    link = serializers.CharField(allow_null=True, help_text="The portal page the panel leads to.")
    data = serializers.JSONField(help_text=PANEL_DATA_HELP)


class DashboardSerializer(serializers.Serializer):
    view = serializers.ChoiceField(choices=VIEWS)
    generated_at = serializers.DateTimeField()
    panels = PanelSerializer(many=True)


def jsonable(value):
    """Panel data as JSON: Decimal as a string (money is never a float), dates ISO 8601."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _endpoint(view: str):
    @extend_schema(
        operation_id=f"dashboard_{view}_retrieve", tags=["dashboard"],
        summary=f"The {view.upper() if len(view) <= 3 else view} dashboard",
        description=f"The panels of the {view} home page, for the caller. Readable by the {view} role (people and "
                    "service accounts of that role) and the CTO.",
        responses={200: DashboardSerializer,
                   403: OpenApiResponse(description=f"The caller's role is not {view} (and not the CTO)")},
    )
    @api_view(["GET"])
    @permission_classes([IsPortalUser])
    def endpoint(request):
        actor = get_actor(request.user)
        if not may_read_view(actor, view):
            raise PermissionDenied(f"The {view} dashboard is for the {view} role.")
        now = timezone.now()
        panels = panels_for(actor=actor, view=view, now=now, request=request._request)
        return Response({
            "view": view,
            "generated_at": now.isoformat(),
            "panels": [{"key": p.key, "title": p.title, "link": p.link, "data": jsonable(p.data)} for p in panels],
        })

    endpoint.__name__ = endpoint.__qualname__ = f"dashboard_{view}"
    return endpoint


API_URLS = [path(f"dashboard/{view}/", _endpoint(view), name=f"dashboard-{view}") for view in VIEWS]
