"""REST API of the reviews app: cycles (with stage actions and calibration data), reviews,
compensation records, raise proposals and pay bands — under the same rules as the pages.

Service accounts get 403 on every endpoint here, whatever their role: no API client has a
business reading reviews or pay (``Actor.can_view_sensitive_person_data`` is False for them).
Reads that return pay, or a review to someone other than its subject, are access-logged.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.access import get_actor
from apps.core.api import ETagMixin, IsPortalUser, etag_of
from apps.core.roles import Role
from apps.org.models import Person
from apps.reviews import selectors, services
from apps.reviews.models import (
    CompensationRecord,
    CriterionScore,
    PayBand,
    RaiseProposal,
    Review,
    ReviewCycle,
    ReviewTemplate,
)

ADMIN_ROLES = frozenset({Role.CTO, Role.HR})


def _dec(value) -> str | None:
    """Decimals go out as strings with two places (JSON floats would lose cents)."""
    return None if value is None else f"{value:.2f}"


class PeopleOnly(IsPortalUser):
    """Signed-in people. Service accounts are refused here, whatever their role."""

    message = "Reviews and pay are not available to service accounts."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and not get_actor(request.user).is_service


class _ActorMixin:
    permission_classes = [PeopleOnly]
    filter_backends = [DjangoFilterBackend]

    @property
    def actor(self):
        return get_actor(self.request.user)

    def _require(self, *roles: str) -> None:
        if self.actor.role not in roles:
            raise PermissionDenied("Your role may not do this.")


def _with_etag(data) -> Response:
    """A write action's answer: the object as the caller's GET reads it, with the ETag that GET gives."""
    return Response(data, headers={"ETag": etag_of(data)})


# -- serializers -----------------------------------------------------------------------------------
class CriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=120)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class TemplateSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True)

    class Meta:
        model = ReviewTemplate
        fields = ["id", "name", "description", "is_active", "criteria"]
        read_only_fields = ["id", "is_active"]
        validators: list = []
        extra_kwargs = {"name": {"validators": []}}


class CycleSerializer(serializers.ModelSerializer):
    template = serializers.PrimaryKeyRelatedField(queryset=ReviewTemplate.objects.filter(is_active=True))
    next_stage = serializers.CharField(read_only=True, allow_null=True)
    budgets = serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=2), required=False,
                                    write_only=True)

    class Meta:
        model = ReviewCycle
        fields = ["id", "name", "template", "stage", "next_stage", "scope", "scope_teams", "scope_roles",
                  "self_review_due", "manager_review_due", "calibration_due", "share_date", "effective_date",
                  "budget_percent", "budgets", "target_distribution", "opened_at", "shared_at", "closed_at"]
        read_only_fields = ["id", "stage", "next_stage", "opened_at", "shared_at", "closed_at"]
        validators: list = []

    def validate(self, attrs):
        # The DB constraint on due dates must never become a 500: the service checks it too.
        return attrs


class AdvanceSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=ReviewCycle.Stage.choices, required=False)


class ScoreSerializer(serializers.ModelSerializer):
    criterion_name = serializers.CharField(source="criterion.name", read_only=True)
    weight = serializers.DecimalField(source="criterion.weight", max_digits=5, decimal_places=2, read_only=True)

    class Meta:
        model = CriterionScore
        fields = ["criterion", "criterion_name", "weight", "self_score", "manager_score"]


class ReviewSerializer(serializers.ModelSerializer):
    cycle_name = serializers.CharField(source="cycle.name", read_only=True)
    stage = serializers.CharField(source="cycle.stage", read_only=True)
    subject_name = serializers.CharField(source="subject.full_name", read_only=True)
    final_rating = serializers.IntegerField(read_only=True, allow_null=True)
    scores = ScoreSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = ["id", "cycle", "cycle_name", "stage", "subject", "subject_name", "reviewer", "team", "level",
                  "self_assessment", "self_submitted_at", "manager_assessment", "manager_submitted_at", "scores",
                  "derived_rating", "override_rating", "override_reason", "final_rating", "potential",
                  "promotion_recommended", "promotion_note", "acknowledged_at", "acknowledgement_comment"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and instance.subject_id == get_actor(request.user).person_id:
            data.pop("potential", None)  # the potential assessment is for managers, not its subject
        return data


class SelfScoreSerializer(serializers.ModelSerializer):
    criterion_name = serializers.CharField(source="criterion.name", read_only=True)
    weight = serializers.DecimalField(source="criterion.weight", max_digits=5, decimal_places=2, read_only=True)

    class Meta:
        model = CriterionScore
        fields = ["criterion", "criterion_name", "weight", "self_score"]


class SelfAssessmentSerializer(serializers.ModelSerializer):
    """The subject's own part of a review, which they read and write in every stage (the whole
    review only once it is shared): nothing of the manager's part."""

    stage = serializers.CharField(source="cycle.stage", read_only=True)
    scores = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "cycle", "stage", "self_assessment", "self_submitted_at", "scores"]
        read_only_fields = fields

    def get_scores(self, review) -> list[dict]:
        return SelfScoreSerializer(review.scores.select_related("criterion"), many=True).data


class SelfReviewInput(serializers.Serializer):
    self_assessment = serializers.CharField(allow_blank=True, required=False, default="")
    scores = serializers.DictField(child=serializers.IntegerField(allow_null=True), required=False, default=dict)
    submit = serializers.BooleanField(required=False, default=False)


class ManagerReviewInput(serializers.Serializer):
    manager_assessment = serializers.CharField(allow_blank=True, required=False, default="")
    scores = serializers.DictField(child=serializers.IntegerField(allow_null=True), required=False, default=dict)
    override_rating = serializers.IntegerField(required=False, allow_null=True, default=None)
    override_reason = serializers.CharField(allow_blank=True, required=False, default="")
    potential = serializers.ChoiceField(choices=[("", "")] + list(Review.Potential.choices), required=False, default="")
    promotion_recommended = serializers.BooleanField(required=False, default=False)
    promotion_note = serializers.CharField(allow_blank=True, required=False, default="")
    submit = serializers.BooleanField(required=False, default=False)


class CalibrateInput(serializers.Serializer):
    rating = serializers.IntegerField(required=False, allow_null=True, default=None)
    potential = serializers.ChoiceField(choices=[("", "")] + list(Review.Potential.choices), required=False, default="")
    reason = serializers.CharField()


class AcknowledgeInput(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class CompensationSerializer(serializers.ModelSerializer):
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    base_salary = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(max_length=3)
    level = serializers.CharField(max_length=32, required=False, allow_blank=True)
    location = serializers.ChoiceField(choices=CompensationRecord.Location.choices, required=False)
    country = serializers.CharField(max_length=2, required=False)

    class Meta:
        model = CompensationRecord
        fields = ["id", "person", "effective_date", "base_salary", "currency", "level", "location", "country",
                  "zone", "location_factor", "reason", "note", "cycle"]
        read_only_fields = ["id", "zone", "location_factor", "cycle"]
        validators: list = []


class RaiseSerializer(serializers.ModelSerializer):
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    percent = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True)
    current_salary = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    proposed_salary = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = RaiseProposal
        fields = ["id", "cycle", "person", "current_salary", "proposed_salary", "currency", "percent",
                  "current_level", "proposed_level", "zone", "reason", "justification", "out_of_band", "status",
                  "decided_at"]
        read_only_fields = ["id", "current_salary", "currency", "percent", "current_level", "zone", "out_of_band",
                            "status", "decided_at"]
        extra_kwargs = {"proposed_level": {"required": False, "allow_blank": True}}
        validators: list = []


class PayBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayBand
        fields = ["id", "level", "zone", "currency", "minimum", "midpoint", "maximum", "location_factor"]
        read_only_fields = ["id"]
        validators: list = []


# -- viewsets ---------------------------------------------------------------------------------------
class ReviewTemplateViewSet(_ActorMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                            viewsets.GenericViewSet):
    """Weighted review templates (criteria and weights). CTO and HR create them."""

    serializer_class = TemplateSerializer
    filterset_fields = ["is_active"]

    def get_queryset(self):
        return selectors.template_list(actor=self.actor)

    def create(self, request, *args, **kwargs):
        self._require(*ADMIN_ROLES)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.review_template_create(actor=self.actor, **serializer.validated_data)


CONFLICT = OpenApiResponse(description="If-Match names a version the object no longer has: read it again")


class ReviewCycleViewSet(ETagMixin, _ActorMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Review cycles. Stages move forward with ``POST .../advance/`` (CTO, HR); sent with the
    ``ETag`` of a ``GET`` in ``If-Match``, a cycle moved since answers 409 and stays put."""

    serializer_class = CycleSerializer
    filterset_fields = ["stage"]

    def get_queryset(self):
        return selectors.cycle_list(actor=self.actor).prefetch_related("scope_teams")

    def create(self, request, *args, **kwargs):
        self._require(*ADMIN_ROLES)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.review_cycle_create(actor=self.actor, **serializer.validated_data)

    @extend_schema(request=AdvanceSerializer, responses={200: CycleSerializer, 400: OpenApiResponse(description="Not allowed now"),
                                                         403: None, 404: None, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        self._require(*ADMIN_ROLES)
        with transaction.atomic():
            self.check_if_match(request)
            cycle = self.get_object()
            data = AdvanceSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.review_cycle_advance(actor=self.actor, cycle=cycle, to_stage=data.validated_data.get("to_stage"))
        return _with_etag(self.get_serializer(self.get_object()).data)

    @extend_schema(responses={200: OpenApiResponse(description="Distribution, outliers, 9-box"), 403: None, 404: None})
    @action(detail=True, methods=["get"])
    def calibration(self, request, pk=None):
        self._require(Role.CTO, Role.HR, Role.EM)
        cycle = self.get_object()
        data = selectors.calibration_data(actor=self.actor, cycle=cycle, request=request)

        def row(r):
            return {"label": r.label, "counts": r.counts, "total": r.total, "average": _dec(r.average),
                    "deviation": _dec(r.deviation), "flagged": r.flagged}

        return Response({
            "overall": row(data.overall), "target": {k: _dec(v) for k, v in data.target.items()},
            "by_manager": [row(r) for r in data.by_manager], "by_team": [row(r) for r in data.by_team],
            "nine_box": {pot: {perf: [r.pk for r in rs] for perf, rs in cells.items()}
                         for pot, cells in data.nine_box.items()},
            "unrated": data.unrated,
        })

    @extend_schema(responses={200: OpenApiResponse(description="Budget per currency"), 403: None, 404: None})
    @action(detail=True, methods=["get"])
    def budget(self, request, pk=None):
        self._require(*ADMIN_ROLES)
        cycle = self.get_object()
        return Response([{"currency": b.currency, "payroll": _dec(b.payroll), "limit": _dec(b.limit),
                          "approved": _dec(b.approved), "pending": _dec(b.pending), "over": b.over}
                         for b in selectors.cycle_budget(actor=self.actor, cycle=cycle, request=request)])


class ReviewViewSet(ETagMixin, _ActorMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):
    """Reviews the caller may read (their chain; their own once shared). Writes are actions.

    ``GET`` of one review gives an ``ETag`` of what that caller reads (the subject's omits the
    potential); every write action sent with it in ``If-Match`` answers 409 and changes
    nothing when the review changed since. The self assessment is versioned on its own: the
    subject reads it, and its ``ETag``, with ``GET .../self-assessment/``."""

    serializer_class = ReviewSerializer
    filterset_fields = ["cycle", "subject", "reviewer"]

    def get_queryset(self):
        return selectors.review_list(actor=self.actor).prefetch_related("scores__criterion")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.log_reads(actor=self.actor, request=request, object_type="reviews.review-list",
                            items=[(r.pk, r.subject) for r in page], skip_self=True)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self):
        if self.action == "self_assessment":
            return self._own_review()
        # One access-log row per request, however often it reads the review (an If-Match
        # check reads it again under the row lock, and a write answers with it).
        first = not getattr(self, "_read_logged", False)
        review = selectors.review_get(actor=self.actor, pk=self.kwargs["pk"], request=self.request, log=first)
        self._read_logged = True
        self.check_object_permissions(self.request, review)
        return review

    def _own_review(self) -> Review:
        """The caller's own review (for its self part); their chain gets 403, anyone else 404."""
        review = selectors.review_for_writing(actor=self.actor, pk=self.kwargs["pk"])
        if review.subject_id != self.actor.person_id:
            raise PermissionDenied("Only the person reviewed writes the self assessment.")
        return review

    def current_etag(self, instance) -> str:
        if self.action == "self_assessment":
            return etag_of(SelfAssessmentSerializer(instance).data)
        return super().current_etag(instance)

    def _written(self):
        """The review as the caller's GET reads it now, with that ETag (a write's answer)."""
        return _with_etag(self.get_serializer(self.get_object()).data)

    @extend_schema(methods=["GET"], request=None, responses={200: SelfAssessmentSerializer, 403: None, 404: None})
    @extend_schema(methods=["POST"], request=SelfReviewInput,
                   responses={200: SelfAssessmentSerializer, 400: None, 403: None, 404: None, 409: CONFLICT})
    @action(detail=True, methods=["get", "post"], url_path="self-assessment")
    def self_assessment(self, request, pk=None):
        """The subject's own part: ``GET`` reads it with its ``ETag``, ``POST`` saves a draft or
        submits (during the self-review stage)."""
        if request.method == "GET":
            review = self.get_object()
            if review.cycle.stage == ReviewCycle.Stage.DRAFT:
                raise Http404("No review matches the given query.")
            return _with_etag(SelfAssessmentSerializer(review).data)
        with transaction.atomic():
            self.check_if_match(request)
            review = self._writable()
            data = SelfReviewInput(data=request.data)
            data.is_valid(raise_exception=True)
            services.review_self_save(actor=self.actor, review=review, **data.validated_data)
        # The subject gets their own self part back, never the manager's.
        return _with_etag(SelfAssessmentSerializer(self._writable()).data)

    def _writable(self):
        return selectors.review_for_writing(actor=self.actor, pk=self.kwargs["pk"])

    @extend_schema(request=ManagerReviewInput, responses={200: ReviewSerializer, 400: None, 403: None, 404: None,
                                                          409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="manager-assessment")
    def manager_assessment(self, request, pk=None):
        with transaction.atomic():
            self.check_if_match(request)
            review = self.get_object()
            data = ManagerReviewInput(data=request.data)
            data.is_valid(raise_exception=True)
            services.review_manager_save(actor=self.actor, review=review, **data.validated_data)
        return self._written()

    @extend_schema(request=CalibrateInput, responses={200: ReviewSerializer, 400: None, 403: None, 404: None,
                                                      409: CONFLICT})
    @action(detail=True, methods=["post"])
    def calibrate(self, request, pk=None):
        with transaction.atomic():
            self.check_if_match(request)
            review = self.get_object()
            data = CalibrateInput(data=request.data)
            data.is_valid(raise_exception=True)
            services.review_calibrate(actor=self.actor, review=review, **data.validated_data)
        return self._written()

    @extend_schema(request=AcknowledgeInput, responses={200: ReviewSerializer, 400: None, 404: None, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        with transaction.atomic():
            self.check_if_match(request)
            review = self.get_object()  # unshared: 404 for the subject
            data = AcknowledgeInput(data=request.data)
            data.is_valid(raise_exception=True)
            services.review_acknowledge(actor=self.actor, review=review, **data.validated_data)
        return self._written()


class CompensationViewSet(_ActorMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          viewsets.GenericViewSet):
    """Pay history: the caller's own, their chain's, everyone's for CTO and HR. Every read is
    access-logged. HR and the CTO record pay."""

    serializer_class = CompensationSerializer
    filterset_fields = ["person", "currency", "zone"]

    def get_queryset(self):
        return selectors.compensation_records(actor=self.actor).order_by("person__full_name", "-effective_date", "-pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.log_reads(actor=self.actor, request=request, object_type="reviews.compensation",
                            items=[(r.pk, r.person) for r in page])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self):
        return selectors.compensation_record_get(actor=self.actor, pk=self.kwargs["pk"], request=self.request)

    def create(self, request, *args, **kwargs):
        self._require(*ADMIN_ROLES)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.compensation_record_create(actor=self.actor, **data)


class RaiseProposalViewSet(ETagMixin, _ActorMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Raise proposals. The CTO approves or rejects one; sent with the ``ETag`` of a ``GET`` in
    ``If-Match``, a proposal decided since answers 409 and keeps its decision."""

    serializer_class = RaiseSerializer
    filterset_fields = ["cycle", "person", "status"]

    def get_queryset(self):
        return selectors.raise_list(actor=self.actor)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.log_reads(actor=self.actor, request=request, object_type="reviews.raiseproposal",
                            items=[(p.pk, p.person) for p in page])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self):
        first = not getattr(self, "_read_logged", False)  # one access-log row per request (see ReviewViewSet)
        proposal = selectors.raise_get(actor=self.actor, pk=self.kwargs["pk"], request=self.request, log=first)
        self._read_logged = True
        return proposal

    def create(self, request, *args, **kwargs):
        self._require(Role.CTO, Role.HR, Role.EM, Role.TL)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        cycle = selectors.cycle_get(actor=self.actor, pk=data.pop("cycle").pk)
        serializer.instance = services.raise_propose(actor=self.actor, cycle=cycle, **data)

    def _decide(self, approve: bool):
        with transaction.atomic():
            self.check_if_match(self.request)
            services.raise_decide(actor=self.actor, proposal=self.get_object(), approve=approve)
        return _with_etag(self.get_serializer(self.get_object()).data)

    @extend_schema(request=None, responses={200: RaiseSerializer, 400: None, 403: None, 404: None, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        self._require(Role.CTO)
        return self._decide(True)

    @extend_schema(request=None, responses={200: RaiseSerializer, 400: None, 403: None, 404: None, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        self._require(Role.CTO)
        return self._decide(False)


class PayBandViewSet(_ActorMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Pay bands (CTO, HR, EMs read; CTO and HR write, upserting on level + zone)."""

    serializer_class = PayBandSerializer
    filterset_fields = ["zone", "level", "currency"]

    queryset = PayBand.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PayBand.objects.none()
        self._require(Role.CTO, Role.HR, Role.EM)
        return selectors.pay_band_list(actor=self.actor)

    def create(self, request, *args, **kwargs):
        self._require(*ADMIN_ROLES)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.pay_band_save(actor=self.actor, **serializer.validated_data)


def register(router) -> None:
    router.register("review-templates", ReviewTemplateViewSet, basename="review-template")
    router.register("review-cycles", ReviewCycleViewSet, basename="review-cycle")
    router.register("reviews", ReviewViewSet, basename="review")
    router.register("compensation-records", CompensationViewSet, basename="compensation-record")
    router.register("raise-proposals", RaiseProposalViewSet, basename="raise-proposal")
    router.register("pay-bands", PayBandViewSet, basename="pay-band")


