"""REST API for the org: teams, people, direct reports and the current user."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from apps.core.access import get_actor
from apps.core.api import ConditionalUpdateMixin, IsPortalUser, role_permission
from apps.core.roles import Role
from apps.org import selectors, services
from apps.org.models import Person, Team

ManagePeople = role_permission(write_roles={Role.CTO, Role.HR})


class TeamSerializer(serializers.ModelSerializer):
    headcount = serializers.IntegerField(read_only=True)
    lead = serializers.PrimaryKeyRelatedField(queryset=Person.objects.filter(is_active=True), allow_null=True, required=False)

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "kind", "lead", "description", "is_active", "headcount"]
        read_only_fields = ["id", "is_active", "headcount"]
        extra_kwargs = {"slug": {"required": False}}


class PersonSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), allow_null=True, required=False)
    manager = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), allow_null=True, required=False)
    team_name = serializers.CharField(source="team.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Person
        fields = ["id", "full_name", "email", "title", "role", "level", "team", "team_name", "manager",
                  "location", "country", "time_zone", "start_date", "end_date", "is_active"]
        read_only_fields = ["id", "team_name", "end_date", "is_active"]
        # Uniqueness is checked by the service (case-insensitively), not here.
        validators: list = []


class DirectReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="person.id")
    full_name = serializers.CharField(source="person.full_name")
    role = serializers.CharField(source="person.role")
    title = serializers.CharField(source="person.title")
    team = serializers.CharField(source="person.team.name", default=None, allow_null=True)
    location = serializers.CharField(source="person.location")
    country = serializers.CharField(source="person.country")
    start_date = serializers.DateField(source="person.start_date", allow_null=True)
    headcount = serializers.IntegerField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    person = PersonSerializer(allow_null=True)
    service_account = serializers.CharField(allow_null=True)


@extend_schema_view(
    create=extend_schema(responses={201: TeamSerializer, 400: OpenApiResponse(description="Invalid fields")}),
)
class TeamViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = TeamSerializer
    permission_classes = [ManagePeople]
    lookup_field = "slug"
    filterset_fields = ["kind"]
    search_fields = ["name"]
    ordering_fields = ["name", "headcount"]

    def get_queryset(self):
        return selectors.team_list(actor=get_actor(self.request.user))

    def perform_create(self, serializer):
        team = services.team_create(actor=get_actor(self.request.user), **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=team.pk)  # with its headcount

    def perform_update(self, serializer):
        team = services.team_update(
            actor=get_actor(self.request.user), team=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=team.pk)


class PersonViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """People. DELETE deactivates (people who leave are never deleted)."""

    serializer_class = PersonSerializer
    permission_classes = [ManagePeople]
    filterset_fields = ["role", "location", "team__slug", "manager", "is_active"]
    search_fields = ["full_name", "email", "title"]
    ordering_fields = ["full_name", "start_date"]

    def get_queryset(self):
        actor = get_actor(self.request.user)
        return selectors.person_list(actor=actor, include_inactive=self.action != "list"
                                     or self.request.query_params.get("is_active") == "false")

    def perform_create(self, serializer):
        serializer.instance = services.person_create(actor=get_actor(self.request.user), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.person_update(
            actor=get_actor(self.request.user), person=serializer.instance, **serializer.validated_data
        )

    @extend_schema(responses={204: None, 403: OpenApiResponse(description="Not CTO/HR"), 404: None})
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.person_deactivate(actor=get_actor(self.request.user), person=instance)


@extend_schema(responses=DirectReportSerializer(many=True))
@api_view(["GET"])
@permission_classes([IsPortalUser])
def direct_reports_view(request):
    """The caller's direct reports (the CTO's EMs and TLs for the CTO), with headcount below each."""
    nodes = selectors.direct_reports(actor=get_actor(request.user))
    return Response(DirectReportSerializer(nodes, many=True).data)


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
@permission_classes([IsPortalUser])
def me_view(request):
    actor = get_actor(request.user)
    return Response(MeSerializer({
        "username": request.user.get_username(),
        "role": actor.role,
        "person": actor.person,
        "service_account": actor.service_account.name if actor.service_account else None,
    }).data)


def register(router) -> None:
    router.register("teams", TeamViewSet, basename="team")
    router.register("people", PersonViewSet, basename="person")


API_URLS = [
    path("direct-reports/", direct_reports_view, name="direct-reports"),
    path("me/", me_view, name="me"),
]
