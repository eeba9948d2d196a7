"""REST API for infra: resources (filterable), findings, requests with their workflow actions,
and the inventory sync (trigger and status)."""
from __future__ import annotations

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
from apps.core.api import Conflict, role_permission
from apps.core.models import SyncRun
from apps.core.roles import Role
from apps.infra import policy, selectors, services
from apps.infra.models import Finding, InfraRequest, InfraRequestEvent, Resource
from apps.org.models import Team

ReadInfra = role_permission(roles=policy.READ_ROLES)
Requests = role_permission(roles=policy.READ_ROLES, write_roles=policy.REQUEST_ROLES)
SyncOnly = role_permission(roles={Role.CTO})


# -- serializers ------------------------------------------------------------------------------------
class ResourceSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.account_id", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    owner_team = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Resource
        fields = ["id", "arn", "resource_id", "kind", "name", "account", "account_name", "region", "state", "size",
                  "tags", "details", "owner_team", "request", "request_link", "first_seen", "last_seen", "gone_at"]
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    resource_arn = serializers.CharField(source="resource.arn", read_only=True)
    resource_name = serializers.CharField(source="resource.name", read_only=True)
    resource_kind = serializers.CharField(source="resource.kind", read_only=True)
    account = serializers.CharField(source="resource.account.account_id", read_only=True)
    region = serializers.CharField(source="resource.region", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "kind", "detail", "team", "resource", "resource_arn", "resource_name", "resource_kind",
                  "account", "region", "first_detected_at", "resolved_at"]
        read_only_fields = fields


class InfraRequestEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = InfraRequestEvent
        fields = ["action", "actor_label", "from_status", "to_status", "note", "created_at"]
        read_only_fields = fields


class InfraRequestSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.filter(is_active=True))
    requester_name = serializers.CharField(source="requester.full_name", read_only=True)
    reference = serializers.CharField(read_only=True)
    overdue = serializers.BooleanField(read_only=True)
    estimated_monthly_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    currency = serializers.CharField(max_length=3, required=False)

    class Meta:
        model = InfraRequest
        fields = ["id", "reference", "title", "requester", "requester_name", "team", "kind", "description",
                  "estimated_monthly_cost", "currency", "needed_by", "status", "due_at", "overdue", "decided_by",
                  "decided_at", "decision_note", "provisioned_by", "provisioned_at", "created_at"]
        read_only_fields = ["id", "reference", "requester", "requester_name", "status", "due_at", "overdue",
                            "decided_by", "decided_at", "decision_note", "provisioned_by", "provisioned_at",
                            "created_at"]


class InfraRequestDetailSerializer(InfraRequestSerializer):
    events = InfraRequestEventSerializer(many=True, read_only=True)
    resources = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(InfraRequestSerializer.Meta):
        fields = [*InfraRequestSerializer.Meta.fields, "resources", "events"]
        read_only_fields = [*InfraRequestSerializer.Meta.read_only_fields, "resources", "events"]


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CommentSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True)


class ResourceIdsSerializer(serializers.Serializer):
    resources = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list,
                                      max_length=500)
    note = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="InfraSyncRun")
class SyncRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = SyncRun
        fields = ["id", "status", "done", "total", "percent", "rows_written", "aws_calls", "message", "error",
                  "result", "params", "created_at", "started_at", "finished_at"]
        read_only_fields = fields


class SyncStartSerializer(serializers.Serializer):
    accounts = serializers.ListField(child=serializers.CharField(max_length=12), required=False, default=list,
                                     help_text="12-digit account ids; empty: every enabled account")


# -- viewsets ---------------------------------------------------------------------------------------
RESOURCE_PARAMS = [OpenApiParameter(name, str, description=desc) for name, desc in [
    ("account", "12-digit account id"), ("region", "e.g. eu-west-1"), ("kind", "ec2_instance, s3_bucket, ..."),
    ("team", "owner team slug, or 'none'"), ("state", "e.g. running, stopped"),
    ("tag", "key, or key=value"), ("q", "name, id or ARN contains"), ("include_gone", "1 to include gone resources"),
]]


@extend_schema_view(list=extend_schema(parameters=RESOURCE_PARAMS))
class ResourceViewSet(viewsets.ReadOnlyModelViewSet):
    """The inventory, scoped to the caller (CTO, finance and services: all; others: their teams)."""

    serializer_class = ResourceSerializer
    permission_classes = [ReadInfra]
    ordering_fields = ["name", "last_seen", "first_seen", "kind", "region"]

    def get_queryset(self):
        actor = get_actor(self.request.user)
        if self.action != "list":
            return selectors.resource_visible(actor=actor)
        p = self.request.query_params
        return selectors.resource_list(
            actor=actor, include_gone=p.get("include_gone") in ("1", "true"),
            **{name: (p.get(name) or "").strip() or None for name in
               ("account", "region", "kind", "team", "state", "tag", "q")},
        )


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("team", str, description="team slug or 'none'"), OpenApiParameter("kind", str),
    OpenApiParameter("include_resolved", str, description="1 to include resolved findings")]))
class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Untagged and idle resources with their owner team (what the costs app reads as savings)."""

    serializer_class = FindingSerializer
    permission_classes = [ReadInfra]

    def get_queryset(self):
        p = self.request.query_params
        return selectors.finding_list(actor=get_actor(self.request.user), team=p.get("team") or None,
                                      kind=p.get("kind") or None,
                                      include_resolved=self.action != "list" or p.get("include_resolved") in ("1", "true"))


def _conflict(exc: services.WorkflowConflict) -> Conflict:
    return Conflict(" ".join(exc.messages))


@extend_schema_view(create=extend_schema(responses={201: InfraRequestSerializer,
                                                    400: OpenApiResponse(description="Invalid fields")}))
class InfraRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          viewsets.GenericViewSet):
    """Infrastructure requests. Workflow: POST .../approve/, .../reject/ (note required),
    .../provision/ (resources), .../link-resources/, .../comment/. Only the CTO decides, never
    on their own request; a step in the wrong state answers 409."""

    permission_classes = [Requests]

    def get_serializer_class(self):
        return InfraRequestDetailSerializer if self.action == "retrieve" else InfraRequestSerializer

    def get_queryset(self):
        actor = get_actor(self.request.user)
        p = self.request.query_params
        if self.action == "retrieve":
            return selectors.infra_request_visible(actor=actor).prefetch_related("events", "resources")
        if self.action != "list":
            return selectors.infra_request_visible(actor=actor)
        return selectors.infra_request_list(actor=actor, status=p.get("status") or None, team=p.get("team") or None,
                                            kind=p.get("kind") or None, overdue=p.get("overdue") in ("1", "true"))

    def perform_create(self, serializer):
        serializer.instance = services.infra_request_create(actor=get_actor(self.request.user),
                                                            **serializer.validated_data)

    def _respond(self, instance, code=status.HTTP_200_OK):
        fresh = selectors.infra_request_visible(actor=get_actor(self.request.user)).prefetch_related(
            "events", "resources").get(pk=instance.pk)
        return Response(InfraRequestDetailSerializer(fresh).data, status=code)

    def _resources(self, ids: list[int]) -> list[Resource]:
        found = list(selectors.resource_visible(actor=get_actor(self.request.user)).filter(pk__in=ids,
                                                                                           gone_at__isnull=True))
        missing = sorted(set(ids) - {r.pk for r in found})
        if missing:
            raise serializers.ValidationError({"resources": [f"No live resource with id {', '.join(map(str, missing))}."]})
        return found

    @extend_schema(request=NoteSerializer, responses={200: InfraRequestDetailSerializer, 403: None, 404: None, 409: None})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        obj = self.get_object()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            obj = services.infra_request_approve(actor=get_actor(request.user), request=obj,
                                                 note=data.validated_data["note"])
        except services.WorkflowConflict as exc:
            raise _conflict(exc) from None
        return self._respond(obj)

    @extend_schema(request=NoteSerializer, responses={200: InfraRequestDetailSerializer, 400: None, 403: None, 409: None})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        obj = self.get_object()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            obj = services.infra_request_reject(actor=get_actor(request.user), request=obj,
                                                note=data.validated_data["note"])
        except services.WorkflowConflict as exc:
            raise _conflict(exc) from None
        return self._respond(obj)

    @extend_schema(request=ResourceIdsSerializer, responses={200: InfraRequestDetailSerializer, 400: None, 409: None})
    @action(detail=True, methods=["post"])
    def provision(self, request, pk=None):
        obj = self.get_object()
        data = ResourceIdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = get_actor(request.user)
        if not policy.can_decide(actor):
            return Response({"detail": "Only the CTO marks requests provisioned."}, status=status.HTTP_403_FORBIDDEN)
        try:
            obj = services.infra_request_provision(actor=actor, request=obj,
                                                   resources=self._resources(data.validated_data["resources"]),
                                                   note=data.validated_data["note"])
        except services.WorkflowConflict as exc:
            raise _conflict(exc) from None
        return self._respond(obj)

    @extend_schema(request=ResourceIdsSerializer, responses={200: InfraRequestDetailSerializer, 400: None, 409: None})
    @action(detail=True, methods=["post"], url_path="link-resources")
    def link_resources(self, request, pk=None):
        obj = self.get_object()
        data = ResourceIdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = get_actor(request.user)
        if not policy.can_decide(actor):
            return Response({"detail": "Only the CTO links resources to requests."}, status=status.HTTP_403_FORBIDDEN)
        try:
            services.infra_request_link_resources(actor=actor, request=obj,
                                                  resources=self._resources(data.validated_data["resources"]))
        except services.WorkflowConflict as exc:
            raise _conflict(exc) from None
        return self._respond(obj)

    @extend_schema(request=CommentSerializer, responses={201: InfraRequestDetailSerializer, 400: None})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        obj = self.get_object()
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.infra_request_comment(actor=get_actor(request.user), request=obj, body=data.validated_data["body"])
        return self._respond(obj, status.HTTP_201_CREATED)


class InventorySyncViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           viewsets.GenericViewSet):
    """Inventory sync runs (CTO): POST starts one (409 while one is running); GET polls its status."""

    serializer_class = SyncRunSerializer
    permission_classes = [SyncOnly]

    def get_queryset(self):
        return selectors.inventory_runs(actor=get_actor(self.request.user))

    @extend_schema(request=SyncStartSerializer, responses={202: SyncRunSerializer, 400: None, 409: None})
    def create(self, request, *args, **kwargs):
        data = SyncStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            run = services.inventory_sync_start(actor=get_actor(request.user),
                                                account_ids=data.validated_data["accounts"] or None)
        except services.WorkflowConflict as exc:
            raise _conflict(exc) from None
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    router.register("infra-resources", ResourceViewSet, basename="infra-resource")
    router.register("infra-findings", FindingViewSet, basename="infra-finding")
    router.register("infra-requests", InfraRequestViewSet, basename="infra-request")
    router.register("infra-syncs", InventorySyncViewSet, basename="infra-sync")
