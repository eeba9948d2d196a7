"""REST API for costs: the aggregate endpoint, entries, budgets, anomalies (with triage),
subscriptions, savings opportunities, sync trigger and run status. Scoped by the same
selectors as the pages (see apps.costs.selectors for who sees what)."""
from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.urls import path
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response

from apps.core import services as core_services
from apps.core.access import get_actor, get_visible_or_404
from apps.core.api import ConditionalUpdateMixin, ETagMixin, role_permission
from apps.core.models import SyncRun
from apps.costs import selectors, services, tasks
from apps.costs.forms import MAX_RANGE_DAYS
from apps.costs.models import (
    AwsAccount,
    Budget,
    CostAnomaly,
    CostEntry,
    SavingsOpportunity,
    ToolSubscription,
)
from apps.org.models import Person, Team

CostReaders = role_permission(roles=selectors.COST_VIEW_ROLES, write_roles=selectors.COST_ADMIN_ROLES)
AnomalyReaders = role_permission(roles=selectors.COST_VIEW_ROLES)
CostAdmins = role_permission(roles=selectors.COST_ADMIN_ROLES)


def _actor(request):
    return get_actor(request.user)


# -- Serializers ---------------------------------------------------------------------------------------------
class CostEntrySerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = CostEntry
        fields = ["id", "date", "billing_period", "provider", "billing_account_id", "sub_account_id",
                  "sub_account_name", "service", "service_category", "region", "team", "cost", "amortized_cost",
                  "currency", "source"]
        read_only_fields = fields


class AggregateQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    group_by = serializers.ChoiceField(choices=selectors.GROUP_BY, default="service")
    granularity = serializers.ChoiceField(choices=selectors.GRANULARITIES, default="daily")
    team = serializers.CharField(required=False)
    service = serializers.CharField(required=False)
    account = serializers.CharField(required=False)
    provider = serializers.CharField(required=False)

    def validate(self, data):
        end = data.get("end") or date.today()
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            raise serializers.ValidationError({"start": "The start is after the end."})
        if (end - start).days > MAX_RANGE_DAYS:
            raise serializers.ValidationError({"start": "At most three years at a time."})
        data["start"], data["end"] = start, end
        return data


class AggregateGroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    total = serializers.DecimalField(max_digits=24, decimal_places=2)
    values = serializers.DictField(child=serializers.DecimalField(max_digits=24, decimal_places=2))


class AggregateSerializer(serializers.Serializer):
    currency = serializers.CharField()
    group_by = serializers.CharField()
    granularity = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    total = serializers.DecimalField(max_digits=24, decimal_places=2)
    amortized_total = serializers.DecimalField(max_digits=24, decimal_places=2)
    periods = serializers.ListField(child=serializers.DateField())
    groups = AggregateGroupSerializer(many=True)
    unconverted = serializers.ListField(child=serializers.CharField(),
                                        help_text="Currencies with no FX rate: their costs are not in the total.")
    unconverted_totals = serializers.DictField(
        child=serializers.DecimalField(max_digits=24, decimal_places=2),
        help_text="Per currency with no FX rate, its costs in that currency (not in the total).")


class BudgetSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), allow_null=True, required=False)
    account = serializers.SlugRelatedField(slug_field="account_id", queryset=AwsAccount.objects.all(), allow_null=True,
                                           required=False)
    spent = serializers.SerializerMethodField(
        help_text="This period's spend in the budget's currency; null when it cannot be expressed in it (no FX "
                  "rate for the budget's currency, see fx_note).")
    forecast = serializers.SerializerMethodField(help_text="The period-end forecast; null like spent.")
    forecast_source = serializers.SerializerMethodField(
        help_text="\"Cost Explorer\" or \"run-rate\" (empty when there is no forecast).")
    unconverted = serializers.SerializerMethodField(
        help_text="Currencies of spend with no FX rate, left out of spent and forecast.")
    fx_note = serializers.SerializerMethodField(
        help_text="What spent and forecast cannot show, e.g. \"No FX rate for EUR: ...\"; empty when nothing.")

    class Meta:
        model = Budget
        fields = ["id", "name", "scope", "team", "account", "service", "period", "amount", "currency", "thresholds",
                  "alert_on_forecast", "is_active", "spent", "forecast", "forecast_source", "unconverted", "fx_note"]
        read_only_fields = ["id", "spent", "forecast", "forecast_source", "unconverted", "fx_note"]
        validators: list = []

    def _status(self, obj):
        cache = self.context.setdefault("_status", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.budget_status(budget=obj, today=date.today(), fx=self.context.get("fx"))
        return cache[obj.pk]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_spent(self, obj) -> str | None:
        spent = self._status(obj).spent
        return None if spent is None else str(spent)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_forecast(self, obj) -> str | None:
        forecast = self._status(obj).forecast
        return None if forecast is None else str(forecast)

    def get_forecast_source(self, obj) -> str:
        return self._status(obj).forecast_source

    def get_unconverted(self, obj) -> list[str]:
        return self._status(obj).unconverted

    def get_fx_note(self, obj) -> str:
        return self._status(obj).fx_note


class AnomalySerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    owner_name = serializers.CharField(source="owner.full_name", read_only=True, default=None)

    class Meta:
        model = CostAnomaly
        fields = ["id", "date", "dimension", "key", "team", "owner", "owner_name", "expected", "actual", "impact",
                  "currency", "status", "note", "triaged_at"]
        read_only_fields = fields


class TriageSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CostAnomaly.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SubscriptionSerializer(serializers.ModelSerializer):
    owner_team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), allow_null=True,
                                              required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=Person.objects.filter(is_active=True), allow_null=True,
                                               required=False)
    monthly_cost = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    cost_per_seat = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    notice_deadline = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = ToolSubscription
        fields = ["id", "vendor", "product", "category", "owner_team", "owner", "amount", "currency",
                  "billing_period", "seats_purchased", "seats_used", "renewal_date", "notice_days", "notes",
                  "is_active", "monthly_cost", "cost_per_seat", "notice_deadline"]
        read_only_fields = ["id", "monthly_cost", "cost_per_seat", "notice_deadline"]
        validators: list = []
        extra_kwargs = {"amount": {"min_value": 0}, "seats_purchased": {"min_value": 0}, "seats_used": {"min_value": 0}}


class OpportunitySerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), allow_null=True, required=False)
    account = serializers.SlugRelatedField(slug_field="account_id", queryset=AwsAccount.objects.all(), allow_null=True,
                                           required=False)

    class Meta:
        model = SavingsOpportunity
        fields = ["id", "title", "source", "external_id", "account", "service", "team", "estimated_monthly",
                  "estimate_source", "realised_monthly", "currency", "status", "notes"]
        read_only_fields = ["id", "estimate_source"]
        validators: list = []
        extra_kwargs = {"estimated_monthly": {"min_value": 0}, "realised_monthly": {"min_value": 0}}


@extend_schema_serializer(component_name="CostSyncRun")
class SyncRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = ["id", "kind", "status", "done", "total", "percent", "rows_written", "aws_calls", "message", "error",
                  "result", "created_at", "started_at", "finished_at"]
        read_only_fields = fields

    percent = serializers.IntegerField(read_only=True)


class SyncRequestSerializer(serializers.Serializer):
    accounts = serializers.ListField(child=serializers.RegexField(r"^\d{12}$"), required=False, default=list)


# -- Viewsets ---------------------------------------------------------------------------------------------------
class CostEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """Daily cost facts (EMs: their teams' only). Filters: start, end, team, service, account, provider."""

    serializer_class = CostEntrySerializer
    permission_classes = [AnomalyReaders]
    ordering_fields = ["date", "cost"]

    def get_queryset(self):
        params = self.request.query_params
        dates: dict[str, date | None] = {"start": None, "end": None}
        for name in dates:
            if params.get(name):
                try:
                    dates[name] = date.fromisoformat(params[name])
                except ValueError:
                    raise serializers.ValidationError({name: "A date as YYYY-MM-DD."}) from None
        return selectors.cost_entry_list(
            actor=_actor(self.request), **dates, team=params.get("team") or None,
            service=params.get("service") or None, account=params.get("account") or None,
            provider=params.get("provider") or None,
        )


class BudgetViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Budgets with this period's spend and forecast. Finance and the CTO write."""

    serializer_class = BudgetSerializer
    permission_classes = [CostReaders]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "fx": selectors.FxTable()}

    def get_serializer(self, *args, **kwargs):
        if kwargs.get("many") and args:  # a page of budgets: their statuses in a fixed number of queries
            budgets = list(args[0])
            context = self.get_serializer_context()
            context["_status"] = {s.budget.pk: s for s in selectors.budget_statuses_for(
                budgets, today=date.today(), fx=context["fx"])}
            kwargs["context"] = context
            args = (budgets, *args[1:])
        return super().get_serializer(*args, **kwargs)

    def get_queryset(self):
        return selectors.budget_list(actor=_actor(self.request), include_inactive=self.action != "list")

    def perform_create(self, serializer):
        serializer.instance = services.budget_create(actor=_actor(self.request), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.budget_update(actor=_actor(self.request), budget=serializer.instance,
                                                     **serializer.validated_data)


class AnomalyViewSet(ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    """Anomalies (EMs: their teams'). GET of one gives an ETag; a triage that sends it back in
    If-Match is refused with 409 when someone triaged the anomaly since."""

    serializer_class = AnomalySerializer
    permission_classes = [AnomalyReaders]
    filterset_fields = ["status", "dimension"]

    def get_queryset(self):
        return selectors.anomaly_list(actor=_actor(self.request))

    @extend_schema(request=TriageSerializer, responses={200: AnomalySerializer, 400: OpenApiResponse(description="Invalid"),
                                                        403: OpenApiResponse(description="Not yours to triage"),
                                                        409: OpenApiResponse(description="If-Match names a version "
                                                                             "the anomaly no longer has")})
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        """Set the anomaly's status (and note). Send the ``ETag`` of your GET in ``If-Match``: an
        anomaly triaged since answers 409 with its current ``etag`` and keeps its triage."""
        anomaly = self.get_object()
        data = TriageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            self.check_if_match(request)
            anomaly = services.cost_anomaly_triage(actor=_actor(request), anomaly=self.get_object(),
                                                   **data.validated_data)
        response = Response(AnomalySerializer(anomaly).data)
        response["ETag"] = self.current_etag(anomaly)
        return response


class SubscriptionViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = SubscriptionSerializer
    permission_classes = [CostReaders]
    search_fields = ["vendor", "product", "category"]

    def get_queryset(self):
        return selectors.subscription_list(actor=_actor(self.request), include_inactive=self.action != "list")

    def perform_create(self, serializer):
        serializer.instance = services.tool_subscription_create(actor=_actor(self.request), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.tool_subscription_update(
            actor=_actor(self.request), subscription=serializer.instance, **serializer.validated_data)


class OpportunityViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = OpportunitySerializer
    permission_classes = [CostReaders]
    filterset_fields = ["status", "source"]

    def get_queryset(self):
        return selectors.opportunity_list(actor=_actor(self.request))

    def perform_create(self, serializer):
        serializer.instance = services.savings_opportunity_create(actor=_actor(self.request),
                                                                  **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.savings_opportunity_update(
            actor=_actor(self.request), opportunity=serializer.instance, **serializer.validated_data)


# -- Plain endpoints --------------------------------------------------------------------------------------------
@extend_schema(parameters=[AggregateQuerySerializer], responses={200: AggregateSerializer,
                                                                 400: OpenApiResponse(description="Invalid query")})
@api_view(["GET"])
@permission_classes([AnomalyReaders])
def aggregate_view(request):
    """Costs in the reporting currency grouped by service, account, team, provider or region, per
    day or month. EMs get their teams' costs only."""
    query = AggregateQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    agg = selectors.cost_aggregate(actor=_actor(request), **query.validated_data)
    data = {
        "currency": agg.currency, "group_by": agg.group_by, "granularity": agg.granularity, "start": agg.start,
        "end": agg.end, "total": agg.total, "amortized_total": agg.amortized_total, "periods": agg.periods,
        "groups": [{**g, "values": {p.isoformat(): v for p, v in g["values"].items()}} for g in agg.groups],
        "unconverted": agg.unconverted, "unconverted_totals": agg.unconverted_totals,
    }
    return Response(AggregateSerializer(data).data)


@extend_schema(request=SyncRequestSerializer, responses={202: SyncRunSerializer})
@api_view(["POST"])
@permission_classes([CostAdmins])
def sync_view(request):
    """Start a Cost Explorer pull (all enabled accounts, or ``accounts``); poll the run."""
    data = SyncRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    run = core_services.syncrun_create(kind=tasks.COST_SYNC, user=request.user,
                                       params={"accounts": data.validated_data["accounts"]})
    transaction.on_commit(lambda: tasks.cost_explorer_sync_task.delay(run.pk))
    return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(responses={200: SyncRunSerializer, 404: OpenApiResponse(description="Not found")},
               parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)])
@api_view(["GET"])
@permission_classes([CostAdmins])
def run_view(request, pk: int):
    """A cost import or sync run (finance and the CTO)."""
    qs = SyncRun.objects.filter(kind__in=[tasks.COST_IMPORT, tasks.COST_SYNC])
    return Response(SyncRunSerializer(get_visible_or_404(qs, pk=pk)).data)


def register(router) -> None:
    router.register("cost-entries", CostEntryViewSet, basename="cost-entry")
    router.register("cost-budgets", BudgetViewSet, basename="cost-budget")
    router.register("cost-anomalies", AnomalyViewSet, basename="cost-anomaly")
    router.register("tool-subscriptions", SubscriptionViewSet, basename="tool-subscription")
    router.register("savings-opportunities", OpportunityViewSet, basename="savings-opportunity")


API_URLS = [
    path("cost-aggregates/", aggregate_view, name="cost-aggregate"),
    path("cost-sync/", sync_view, name="cost-sync"),
    path("cost-runs/<int:pk>/", run_view, name="cost-run"),
]
