"""REST API of syncs: series, meetings (with their notes and version), agenda items,
decisions and action items. Every queryset comes from the selectors, so a private series is
a 404 here exactly as on the pages; every write goes through a service."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.access import get_actor
from apps.core.api import ConditionalUpdateMixin, Conflict, role_permission
from apps.core.markdown import render_markdown
from apps.org.models import Person
from apps.syncs import selectors, services
from apps.syncs.models import MAX_NOTES_CHARS, ActionItem, AgendaItem, Decision, Meeting, SyncSeries

ACTIVE_PEOPLE = Person.objects.filter(is_active=True)
# Creating and editing series is for leadership roles (and tools); the service then checks
# that the caller owns the series or is the CTO.
ManageSeries = role_permission(write_roles=set(services.SERIES_CREATE_ROLES))


class VisibleSeriesField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return selectors.series_visible(actor=get_actor(self.context["request"].user))


class VisibleMeetingField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return selectors.meeting_list(actor=get_actor(self.context["request"].user))


class VisibleDecisionField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return selectors.decision_list(actor=get_actor(self.context["request"].user))


def _int_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({name: f"{raw!r} is not a number."})


def _date_param(request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError({name: f"{raw!r} is not a date (YYYY-MM-DD)."})
    return value


def _choice_param(request, name: str, choices) -> str | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw not in choices:
        raise ValidationError({name: f"{raw!r} is not one of {', '.join(choices)}."})
    return raw


# -- Series -------------------------------------------------------------------------------------
@extend_schema_serializer(component_name="SyncSeries")
class SeriesSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, required=False)
    participants = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, many=True, required=False)

    class Meta:
        model = SyncSeries
        fields = ["id", "kind", "title", "owner", "participants", "cadence", "weekday", "start_time", "time_zone",
                  "duration_minutes", "starts_on", "agenda_template", "is_private", "is_active"]
        read_only_fields = ["id"]
        extra_kwargs = {"start_time": {"required": False}, "starts_on": {"required": False}}


SERIES_PARAMS = [OpenApiParameter("kind", str, enum=SyncSeries.Kind.values), OpenApiParameter("q", str)]


@extend_schema_view(list=extend_schema(parameters=SERIES_PARAMS),
                    create=extend_schema(responses={201: SeriesSerializer, 400: OpenApiResponse(description="Invalid fields"),
                                                    403: OpenApiResponse(description="Role may not create syncs")}))
class SeriesViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Sync series. Private series (every 1:1) exist only for their participants."""

    serializer_class = SeriesSerializer
    permission_classes = [ManageSeries]
    ordering_fields = ["title", "kind"]

    def get_queryset(self):
        actor = get_actor(self.request.user)
        if self.action != "list":
            return selectors.series_visible(actor=actor).prefetch_related("participants")
        return selectors.series_list(actor=actor, kind=_choice_param(self.request, "kind", SyncSeries.Kind.values),
                                     q=self.request.query_params.get("q") or None, include_inactive=True)

    def perform_create(self, serializer):
        serializer.instance = services.series_create(actor=get_actor(self.request.user), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.series_update(actor=get_actor(self.request.user), series=serializer.instance,
                                                     **serializer.validated_data)


# -- Meetings and notes -----------------------------------------------------------------------------
class MeetingSerializer(serializers.ModelSerializer):
    series = VisibleSeriesField()
    series_title = serializers.CharField(source="series.title", read_only=True)
    attendees = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, many=True, required=False)

    class Meta:
        model = Meeting
        fields = ["id", "series", "series_title", "scheduled_at", "duration_minutes", "status", "is_adhoc", "title",
                  "attendees", "version", "notes_updated_at"]
        read_only_fields = ["id", "series_title", "is_adhoc", "version", "notes_updated_at"]
        extra_kwargs = {"duration_minutes": {"required": False, "min_value": 5, "max_value": 480}}
        validators: list = []  # the (series, scheduled_at) clash is reported by the service

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            # A meeting cannot move to another series or time once created.
            for name in ("series", "scheduled_at", "duration_minutes"):
                fields[name].read_only = True
        return fields


class NotesSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(source="pk", read_only=True)
    body = serializers.CharField(source="notes", allow_blank=True, trim_whitespace=False, max_length=MAX_NOTES_CHARS)
    version = serializers.IntegerField(min_value=0,
                                       help_text="The version you started editing from; a stale one answers 409.")
    html = serializers.SerializerMethodField()
    updated_by = serializers.CharField(source="notes_updated_by.full_name", read_only=True, default=None)
    updated_at = serializers.DateTimeField(source="notes_updated_at", read_only=True)

    def get_html(self, obj) -> str:
        return str(render_markdown(obj.notes))


class NotesConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = NotesSerializer()
    yours = serializers.DictField()


MEETING_PARAMS = [OpenApiParameter("series", int), OpenApiParameter("status", str, enum=Meeting.Status.values),
                  OpenApiParameter("date_from", date), OpenApiParameter("date_to", date)]


@extend_schema_view(list=extend_schema(parameters=MEETING_PARAMS))
class MeetingViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Meetings. POST creates an ad-hoc meeting; PATCH changes status (held/cancelled carries
    unfinished agenda items forward), attendees and title. Notes: ``/notes/`` with a version."""

    serializer_class = MeetingSerializer
    ordering_fields = ["scheduled_at"]

    def get_queryset(self):
        r = self.request
        return selectors.meeting_list(
            actor=get_actor(r.user), series=_int_param(r, "series"),
            status=_choice_param(r, "status", Meeting.Status.values),
            date_from=_date_param(r, "date_from"), date_to=_date_param(r, "date_to"),
        ).prefetch_related("attendees").order_by("-scheduled_at", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.meeting_create_adhoc(
            actor=get_actor(self.request.user), series=data["series"], scheduled_at=data["scheduled_at"],
            title=data.get("title", ""), duration_minutes=data.get("duration_minutes"),
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.meeting_update(
            actor=get_actor(self.request.user), meeting=serializer.instance, status=data.get("status"),
            attendees=data.get("attendees"), title=data.get("title"),
        )

    @extend_schema(methods=["GET"], responses=NotesSerializer)
    @extend_schema(methods=["PUT"], request=NotesSerializer,
                   responses={200: NotesSerializer, 400: OpenApiResponse(description="Too long, or no version"),
                              409: NotesConflictSerializer})
    @action(detail=True, methods=["get", "put"], url_path="notes", url_name="notes")
    def notes(self, request, pk=None):
        meeting = self.get_object()
        if request.method == "GET":
            return Response(NotesSerializer(meeting).data)
        serializer = NotesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            meeting = services.meeting_notes_save(actor=get_actor(request.user), meeting=meeting,
                                                  body=serializer.validated_data["notes"],
                                                  version=serializer.validated_data["version"])
        except services.NotesConflict as conflict:
            current = selectors.meeting_get(actor=get_actor(request.user), pk=meeting.pk)
            raise Conflict(str(conflict), extra={
                "current": NotesSerializer(current).data,
                "yours": {"body": conflict.your_body, "version": conflict.your_version},
            })
        return Response(NotesSerializer(meeting).data, status=status.HTTP_200_OK)


# -- Agenda items ------------------------------------------------------------------------------------
class AgendaItemSerializer(serializers.ModelSerializer):
    series = VisibleSeriesField()
    meeting = VisibleMeetingField(allow_null=True, required=False)
    presenter = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, allow_null=True, required=False)

    class Meta:
        model = AgendaItem
        fields = ["id", "series", "meeting", "title", "description", "presenter", "minutes", "order", "status",
                  "carried_from"]
        read_only_fields = ["id", "carried_from"]
        extra_kwargs = {"order": {"required": False}, "status": {"required": False}}
        validators: list = []  # carried_from is set by the carry-forward service only

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["series"].read_only = True
            fields["meeting"].read_only = True
        return fields


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("series", int), OpenApiParameter("meeting", int),
                                                   OpenApiParameter("status", str, enum=AgendaItem.Status.values)]))
class AgendaItemViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Agenda items; without a meeting, an item is on the series backlog."""

    serializer_class = AgendaItemSerializer

    def get_queryset(self):
        r = self.request
        return selectors.agenda_item_list(
            actor=get_actor(r.user), series=_int_param(r, "series"), meeting=_int_param(r, "meeting"),
            status=_choice_param(r, "status", AgendaItem.Status.values),
        ).select_related("series").order_by("series_id", "meeting_id", "order", "id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("status", None)
        serializer.instance = services.agenda_item_add(actor=get_actor(self.request.user), **data)

    def perform_update(self, serializer):
        serializer.instance = services.agenda_item_update(actor=get_actor(self.request.user), item=serializer.instance,
                                                          **serializer.validated_data)


# -- Decisions -----------------------------------------------------------------------------------------
class DecisionSerializer(serializers.ModelSerializer):
    series = VisibleSeriesField()
    meeting = VisibleMeetingField(allow_null=True, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, required=False)
    supersedes = VisibleDecisionField(allow_null=True, required=False)
    superseded_by = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = ["id", "series", "meeting", "text", "rationale", "owner", "decided_on", "supersedes", "superseded_by"]
        read_only_fields = ["id", "superseded_by"]
        extra_kwargs = {"decided_on": {"required": False}}
        validators: list = []

    def get_superseded_by(self, obj) -> int | None:
        successor = getattr(obj, "superseded_by", None)
        return successor.pk if successor else None


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("series", int), OpenApiParameter("owner", int), OpenApiParameter("date_from", date),
    OpenApiParameter("date_to", date), OpenApiParameter("q", str),
]))
class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    """The decision register across every sync the caller sees. Decisions are not edited:
    record a new one that supersedes the old."""

    serializer_class = DecisionSerializer

    def get_queryset(self):
        r = self.request
        return selectors.decision_list(
            actor=get_actor(r.user), series=_int_param(r, "series"), person=_int_param(r, "owner"),
            date_from=_date_param(r, "date_from"), date_to=_date_param(r, "date_to"), q=r.query_params.get("q") or None,
        )

    def perform_create(self, serializer):
        serializer.instance = services.decision_record(actor=get_actor(self.request.user), **serializer.validated_data)


# -- Action items -----------------------------------------------------------------------------------------
class ActionItemSerializer(serializers.ModelSerializer):
    series = VisibleSeriesField()
    meeting = VisibleMeetingField(allow_null=True, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, required=False)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = ["id", "series", "meeting", "title", "owner", "due_date", "status", "completed_at", "is_overdue"]
        read_only_fields = ["id", "completed_at", "is_overdue"]
        extra_kwargs = {"status": {"required": False}}

    def get_is_overdue(self, obj) -> bool:
        return obj.is_overdue()

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["series"].read_only = True
            fields["meeting"].read_only = True
        return fields


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("series", int), OpenApiParameter("owner", int),
    OpenApiParameter("status", str, enum=ActionItem.Status.values), OpenApiParameter("due_before", date),
    OpenApiParameter("due_after", date), OpenApiParameter("overdue", bool),
]))
class ActionItemViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = ActionItemSerializer

    def get_queryset(self):
        r = self.request
        return selectors.action_item_list(
            actor=get_actor(r.user), series=_int_param(r, "series"), owner=_int_param(r, "owner"),
            status=_choice_param(r, "status", ActionItem.Status.values), due_before=_date_param(r, "due_before"),
            due_after=_date_param(r, "due_after"), overdue=r.query_params.get("overdue") in ("1", "true"),
        )

    def perform_create(self, serializer):
        serializer.instance = services.action_item_create(actor=get_actor(self.request.user), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.action_item_update(actor=get_actor(self.request.user), item=serializer.instance,
                                                          **serializer.validated_data)


def register(router) -> None:
    router.register("sync-series", SeriesViewSet, basename="sync-series")
    router.register("sync-meetings", MeetingViewSet, basename="sync-meeting")
    router.register("sync-agenda-items", AgendaItemViewSet, basename="sync-agenda-item")
    router.register("sync-decisions", DecisionViewSet, basename="sync-decision")
    router.register("sync-action-items", ActionItemViewSet, basename="sync-action-item")
