"""REST API for initiatives, their milestones and status updates. Other tools post status
updates with a service token (role ``service`` or ``cto``)."""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from apps.core.access import get_actor, get_visible_or_404
from apps.core.api import ConditionalUpdateMixin, IsPortalUser
from apps.initiatives import policy, selectors, services
from apps.initiatives.models import Health, Initiative, Milestone, StatusUpdate
from apps.org.models import Person, Team

ERRORS = {400: OpenApiResponse(description="Invalid fields (field -> messages)"),
          403: OpenApiResponse(description="Not allowed"), 404: OpenApiResponse(description="Not found")}


class InitiativeSerializer(serializers.ModelSerializer):
    # Unknown teams/people are reported by the service with a field message (400).
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    owner = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    sponsor = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), allow_null=True, required=False)
    team_name = serializers.CharField(source="team.name", read_only=True)
    owner_name = serializers.CharField(source="owner.full_name", read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Initiative
        fields = ["id", "title", "team", "team_name", "kind", "owner", "owner_name", "sponsor", "status", "health",
                  "problem", "goal", "start_date", "target_date", "shipped_on", "cost_tag", "replaces_process",
                  "hours_saved_estimated", "hours_saved_measured", "product_metric", "metric_baseline",
                  "metric_target", "metric_current", "last_update_on", "url", "created_at", "updated_at"]
        read_only_fields = ["id", "health", "shipped_on", "last_update_on", "created_at", "updated_at"]
        extra_kwargs = {"hours_saved_estimated": {"min_value": None}, "hours_saved_measured": {"min_value": None}}
        validators: list = []


class CloudCostFigureSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=24, decimal_places=2)
    currency = serializers.CharField()


class InitiativeDetailSerializer(InitiativeSerializer):
    """One initiative with its return: benefits (above) next to last month's cloud cost by tag."""

    cost_month = serializers.SerializerMethodField(help_text="The month the cloud cost is for (first day).")
    monthly_cloud_cost = serializers.SerializerMethodField(
        help_text="Cloud cost of that month for resources carrying the cost tag, per currency; "
                  "null when there is no cost data (never an invented 0) or the caller may not see "
                  "this team's costs (finance and the CTO see all, an EM their teams').")

    class Meta(InitiativeSerializer.Meta):
        fields = [*InitiativeSerializer.Meta.fields, "cost_month", "monthly_cloud_cost"]

    def get_cost_month(self, obj) -> str:
        return selectors.last_full_month()[0].isoformat()

    @extend_schema_field(CloudCostFigureSerializer(many=True, allow_null=True))
    def get_monthly_cloud_cost(self, obj) -> list | None:
        request = self.context.get("request")
        if request is None or not selectors.can_see_cloud_cost(_actor(request), obj):
            return None
        figures = selectors.monthly_cloud_cost(tag=obj.cost_tag)
        if figures is None:
            return None
        return [{"amount": str(f.amount.quantize(Decimal("0.01"))), "currency": f.currency} for f in figures]


class MilestoneSerializer(serializers.ModelSerializer):
    initiative = serializers.PrimaryKeyRelatedField(queryset=Initiative.objects.all())

    class Meta:
        model = Milestone
        fields = ["id", "initiative", "title", "due_date", "done_date", "description", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class StatusUpdateSerializer(serializers.ModelSerializer):
    initiative = serializers.PrimaryKeyRelatedField(queryset=Initiative.objects.all())
    health = serializers.ChoiceField(choices=Health.choices)
    status = serializers.ChoiceField(choices=Initiative.Status.choices, required=False, write_only=True,
                                     help_text="Optionally move the initiative in the same call.")
    author_name = serializers.CharField(source="author_label", read_only=True)
    date = serializers.DateField(required=False)

    class Meta:
        model = StatusUpdate
        fields = ["id", "initiative", "date", "health", "text", "status", "author", "author_name", "source",
                  "created_at"]
        read_only_fields = ["id", "author", "author_name", "source", "created_at"]


def _actor(request):
    return get_actor(request.user)


@extend_schema_view(create=extend_schema(responses={201: InitiativeSerializer, **ERRORS}),
                    partial_update=extend_schema(responses={200: InitiativeSerializer, **ERRORS}),
                    update=extend_schema(responses={200: InitiativeSerializer, **ERRORS}))
class InitiativeViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The portfolio. Everyone reads; owners, the team's EM/TL and the CTO write. Health is
    read-only: it follows the latest status update."""

    serializer_class = InitiativeSerializer
    permission_classes = [IsPortalUser]
    filterset_fields = ["status", "health", "kind", "team__slug", "owner"]
    search_fields = ["title", "cost_tag"]
    ordering_fields = ["title", "target_date", "start_date", "last_update_on"]

    def get_queryset(self):
        return selectors.initiative_list(actor=_actor(self.request))

    def get_serializer_class(self):
        return InitiativeDetailSerializer if self.action == "retrieve" else InitiativeSerializer

    def create(self, request, *args, **kwargs):
        # Refuse a role that may never open initiatives before reading its payload (403, not 400).
        if not policy.can_create(_actor(request)):
            raise PermissionDenied("Your role may not open initiatives.")
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        if not policy.can_edit(_actor(request), self.get_object()):
            raise PermissionDenied("Only the owner, the team's EM/TL and the CTO may change this initiative.")
        return super().update(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.initiative_create(actor=_actor(self.request), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.initiative_update(
            actor=_actor(self.request), initiative=serializer.instance, **serializer.validated_data
        )


@extend_schema_view(create=extend_schema(responses={201: MilestoneSerializer, **ERRORS}))
class MilestoneViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = MilestoneSerializer
    permission_classes = [IsPortalUser]
    filterset_fields = ["initiative"]
    ordering_fields = ["due_date", "done_date"]

    def get_queryset(self):
        return selectors.milestone_list(actor=_actor(self.request))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        initiative = get_visible_or_404(selectors.initiative_list(actor=_actor(self.request)),
                                        pk=data.pop("initiative").pk)
        serializer.instance = services.milestone_create(actor=_actor(self.request), initiative=initiative, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "initiative" in data and data.pop("initiative").pk != serializer.instance.initiative_id:
            raise serializers.ValidationError({"initiative": ["A milestone cannot move to another initiative."]})
        serializer.instance = services.milestone_update(actor=_actor(self.request), milestone=serializer.instance,
                                                        **data)

    def perform_destroy(self, instance):
        services.milestone_delete(actor=_actor(self.request), milestone=instance)


@extend_schema_view(create=extend_schema(responses={201: StatusUpdateSerializer, **ERRORS}))
class StatusUpdateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          viewsets.GenericViewSet):
    """Status updates. Posting one sets the initiative's health when it is the latest."""

    serializer_class = StatusUpdateSerializer
    permission_classes = [IsPortalUser]
    filterset_fields = ["initiative", "health"]
    ordering_fields = ["date", "created_at"]

    def get_queryset(self):
        return selectors.status_update_list(actor=_actor(self.request))

    def perform_create(self, serializer):
        actor = _actor(self.request)
        data = serializer.validated_data
        initiative = get_visible_or_404(selectors.initiative_list(actor=actor), pk=data["initiative"].pk)
        if not policy.can_post_update(actor, initiative):
            raise PermissionDenied("You may not post updates on this initiative.")
        serializer.instance = services.status_update_post(
            actor=actor, initiative=initiative, health=data["health"], text=data.get("text", ""),
            date=data.get("date"), status=data.get("status"),
        )


def register(router) -> None:
    router.register("initiatives", InitiativeViewSet, basename="initiative")
    router.register("initiative-milestones", MilestoneViewSet, basename="initiative-milestone")
    router.register("initiative-updates", StatusUpdateViewSet, basename="initiative-update")
