"""REST API of the security app. Reads come from the selectors (so the API and the pages
agree), writes and workflow actions call the services."""
from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response

from apps.core.access import get_actor
from apps.core.api import ConditionalUpdateMixin, Conflict, ETagMixin, IsPortalUser, etag_of
from apps.core.markdown import render_markdown
from apps.org.models import Person, Team
from apps.security import selectors, services
from apps.security.access import is_participant, is_security_manager
from apps.security.evidence_pack import evidence_pack_zip
from apps.security.models import (
    AmaQuestion,
    AmaSession,
    Bulletin,
    Control,
    EvidenceItem,
    Severity,
    Training,
    TrainingSession,
    TrainingStatus,
)

ERRORS = {400: OpenApiResponse(description="Invalid fields"), 403: OpenApiResponse(description="Not allowed"),
          404: OpenApiResponse(description="Not found")}


class IsSecurityManager(IsPortalUser):
    message = "Only the CTO and the security team's tech lead may use this."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and is_security_manager(get_actor(request.user))


class ManagerWrites(IsPortalUser):
    """Everyone with a portal role reads; security managers write (workflow actions that
    every participant may take check themselves in the service)."""

    open_actions: frozenset[str] = frozenset()

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        actor = get_actor(request.user)
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "action", None) in self.open_actions:
            return is_participant(actor)
        return is_security_manager(actor)


class QuestionPermission(ManagerWrites):
    open_actions = frozenset({"create", "vote"})


class SessionPermission(ManagerWrites):
    open_actions = frozenset({"check_in"})


class BulletinPermission(ManagerWrites):
    open_actions = frozenset({"acknowledge"})


def _actor(request):
    return get_actor(request.user)


# -- AMA -------------------------------------------------------------------------------------
class AmaSessionSerializer(serializers.ModelSerializer):
    host = serializers.PrimaryKeyRelatedField(queryset=Person.objects.filter(is_active=True), allow_null=True, required=False)
    host_name = serializers.CharField(source="host.full_name", read_only=True, default=None)
    published_count = serializers.IntegerField(read_only=True)
    attendee_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = AmaSession
        fields = ["id", "title", "starts_at", "host", "host_name", "description", "recording_url", "is_open",
                  "published_count", "attendee_count"]
        read_only_fields = ["id", "published_count", "attendee_count"]


class AttendanceInputSerializer(serializers.Serializer):
    people = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), many=True, allow_empty=False)


class AmaSessionViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = AmaSessionSerializer
    permission_classes = [SessionPermission]
    ordering_fields = ["starts_at"]
    search_fields = ["title"]

    def get_queryset(self):
        return selectors.ama_session_list(actor=_actor(self.request))

    def perform_create(self, serializer):
        session = services.ama_session_create(actor=_actor(self.request), **serializer.validated_data)
        serializer.instance = selectors.ama_session_get(actor=_actor(self.request), pk=session.pk)

    def perform_update(self, serializer):
        services.ama_session_update(actor=_actor(self.request), session=serializer.instance, **serializer.validated_data)
        serializer.instance = selectors.ama_session_get(actor=_actor(self.request), pk=serializer.instance.pk)

    @extend_schema(request=AttendanceInputSerializer, responses={200: OpenApiResponse(description="{added: n}"), **ERRORS})
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        session = self.get_object()
        data = AttendanceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        added = services.ama_attendance_record(actor=_actor(request), session=session, people=data.validated_data["people"])
        return Response({"added": added})


    @extend_schema(request=None, responses={200: OpenApiResponse(description="{session, person, recorded_at}"), **ERRORS})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """Record your own attendance (from 15 minutes before the start to a week after)."""
        attendance = services.ama_attendance_check_in(actor=_actor(request), session=self.get_object())
        return Response({"session": attendance.session_id, "person": attendance.person_id,
                         "recorded_at": attendance.recorded_at})


class AmaQuestionSerializer(serializers.ModelSerializer):
    """The asker is shown only for questions asked openly; anonymous ones have no asker to show."""

    session = serializers.PrimaryKeyRelatedField(queryset=AmaSession.objects.all())
    asker = serializers.SerializerMethodField()
    anonymous = serializers.BooleanField(source="is_anonymous", required=False, default=False)
    answer_html = serializers.SerializerMethodField()
    vote_count = serializers.IntegerField(read_only=True)
    has_voted = serializers.BooleanField(read_only=True)

    class Meta:
        model = AmaQuestion
        fields = ["id", "session", "body", "anonymous", "asker", "status", "answer", "answer_html", "answered_at",
                  "in_faq", "faq_title", "vote_count", "has_voted", "created_at"]
        read_only_fields = ["id", "asker", "status", "answer", "answer_html", "answered_at", "in_faq", "faq_title",
                            "vote_count", "has_voted", "created_at"]

    def get_asker(self, obj) -> str | None:
        if obj.is_anonymous or obj.asker is None:
            return None
        return obj.asker.full_name

    def get_answer_html(self, obj) -> str:
        return str(render_markdown(obj.answer))


class ModerateInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AmaQuestion.Status.choices)


class AnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=20000)
    publish = serializers.BooleanField(default=True)


class FaqInputSerializer(serializers.Serializer):
    in_faq = serializers.BooleanField()
    faq_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


CONFLICT_RESPONSE = {409: OpenApiResponse(description="If-Match names a version the question no longer has")}
LIVE_FIELDS = ("vote_count", "has_voted")  # change with every vote: not part of the question's version


class AmaQuestionViewSet(ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Questions. Everyone sees published ones; security managers also pending and hidden.
    POST asks (``anonymous: true`` stores no link to you).

    ``GET`` of one question gives an ``ETag``; the moderation actions (``moderate``, ``answer``,
    ``faq``) sent with it in ``If-Match`` answer 409 and change nothing when someone else has
    moderated or answered the question since. The ETag names the question as moderators edit
    it: votes (``vote_count``, ``has_voted``) do not change it."""

    serializer_class = AmaQuestionSerializer
    permission_classes = [QuestionPermission]
    filterset_fields = ["session", "status", "in_faq"]
    ordering_fields = ["created_at", "vote_count"]

    def get_queryset(self):
        return selectors.ama_question_list(actor=_actor(self.request))

    @staticmethod
    def _etag(data) -> str:
        return etag_of({k: v for k, v in data.items() if k not in LIVE_FIELDS})

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = self._etag(response.data)
        return response

    def current_etag(self, instance) -> str:
        return self._etag(self.get_serializer(instance).data)

    def perform_create(self, serializer):
        data = serializer.validated_data
        question = services.ama_question_submit(actor=_actor(self.request), session=data["session"], body=data["body"],
                                                anonymous=data.get("is_anonymous", False))
        # New questions are pending, so the asker cannot read them back through the list.
        question.vote_count, question.has_voted = 0, False
        serializer.instance = question

    def _fresh(self, pk):
        question = selectors.ama_question_list(actor=_actor(self.request)).get(pk=pk)
        data = self.get_serializer(question).data
        return Response(data, headers={"ETag": self._etag(data)})

    def _moderation(self, request, input_class, step):
        """One moderation step: the If-Match check and the write in one transaction, under the
        question's row lock; then the question as it reads now, with its new ETag."""
        with transaction.atomic():
            self.check_if_match(request)
            question = self.get_object()
            data = input_class(data=request.data)
            data.is_valid(raise_exception=True)
            step(actor=_actor(request), question=question, **data.validated_data)
        return self._fresh(question.pk)

    @extend_schema(request=None, responses={201: AmaQuestionSerializer, 204: None, 409: OpenApiResponse(description="Already voted"), **ERRORS})
    @action(detail=True, methods=["post", "delete"])
    def vote(self, request, pk=None):
        """POST upvotes (one per person; a second is 409), DELETE withdraws the vote."""
        question = self.get_object()
        if request.method == "DELETE":
            services.ama_question_unvote(actor=_actor(request), question=question)
            return Response(status=status.HTTP_204_NO_CONTENT)
        try:
            services.ama_question_vote(actor=_actor(request), question=question)
        except services.AlreadyVoted as exc:
            raise Conflict(str(exc)) from None
        response = self._fresh(question.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=ModerateInputSerializer, responses={200: AmaQuestionSerializer, **CONFLICT_RESPONSE, **ERRORS})
    @action(detail=True, methods=["post"])
    def moderate(self, request, pk=None):
        return self._moderation(request, ModerateInputSerializer, services.ama_question_moderate)

    @extend_schema(request=AnswerInputSerializer, responses={200: AmaQuestionSerializer, **CONFLICT_RESPONSE, **ERRORS})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        return self._moderation(request, AnswerInputSerializer, services.ama_question_answer)

    @extend_schema(request=FaqInputSerializer, responses={200: AmaQuestionSerializer, **CONFLICT_RESPONSE, **ERRORS})
    @action(detail=True, methods=["post"])
    def faq(self, request, pk=None):
        return self._moderation(request, FaqInputSerializer, services.ama_question_set_faq)


# -- Bulletins ----------------------------------------------------------------------------------------
class BulletinSerializer(serializers.ModelSerializer):
    body_html = serializers.SerializerMethodField()
    audience_teams = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), many=True, required=False)
    audience_roles = serializers.ListField(child=serializers.CharField(max_length=16), required=False,
                                           help_text="Role codes (engineer, tl, em, pm, cto, finance, hr); empty = every role.")
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    acknowledged = serializers.BooleanField(read_only=True)
    ack_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Bulletin
        fields = ["id", "title", "body", "body_html", "severity", "requires_ack", "due_date", "audience_teams",
                  "audience_roles", "published_at", "acknowledged", "ack_count"]
        read_only_fields = ["id", "body_html", "published_at", "acknowledged", "ack_count"]

    def get_body_html(self, obj) -> str:
        return str(render_markdown(obj.body))


class BulletinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = BulletinSerializer
    permission_classes = [BulletinPermission]
    filterset_fields = ["severity", "requires_ack"]

    def get_queryset(self):
        return selectors.bulletin_list(actor=_actor(self.request))

    def perform_create(self, serializer):
        bulletin = services.bulletin_publish(actor=_actor(self.request), **serializer.validated_data)
        serializer.instance = selectors.bulletin_get(actor=_actor(self.request), pk=bulletin.pk)

    @extend_schema(request=None, responses={200: OpenApiResponse(description="{acknowledged_at}"), **ERRORS})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        ack = services.bulletin_acknowledge(actor=_actor(request), bulletin=self.get_object())
        return Response({"bulletin": ack.bulletin_id, "acknowledged_at": ack.acknowledged_at})

    @extend_schema(responses={200: OpenApiResponse(description="[{team, audience, done, percent}]"), **ERRORS})
    @action(detail=True, methods=["get"], permission_classes=[IsSecurityManager])
    def completion(self, request, pk=None):
        rows = selectors.bulletin_completion(bulletin=self.get_object())
        return Response([{"team": r.team, "audience": r.audience, "done": r.done, "percent": r.percent} for r in rows])


# -- Trainings --------------------------------------------------------------------------------------
class TrainingSerializer(serializers.ModelSerializer):
    audience_teams = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), many=True, required=False)
    audience_roles = serializers.ListField(child=serializers.CharField(max_length=16), required=False,
                                           help_text="Role codes (engineer, tl, em, pm, cto, finance, hr); empty = every role.")
    session_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Training
        fields = ["id", "title", "kind", "description", "recurrence_months", "first_due_on", "pass_score",
                  "audience_teams", "audience_roles", "is_active", "session_count"]
        read_only_fields = ["id", "is_active", "session_count"]


class TrainingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = TrainingSerializer
    permission_classes = [ManagerWrites]
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self):
        return selectors.training_list(actor=_actor(self.request))

    def perform_create(self, serializer):
        training = services.training_create(actor=_actor(self.request), **serializer.validated_data)
        serializer.instance = selectors.training_get(actor=_actor(self.request), pk=training.pk)


class TrainingSessionSerializer(serializers.ModelSerializer):
    training = serializers.PrimaryKeyRelatedField(queryset=Training.objects.all())

    class Meta:
        model = TrainingSession
        fields = ["id", "training", "held_on", "trainer", "location"]
        read_only_fields = ["id"]


class TrainingAttendanceInputSerializer(serializers.Serializer):
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    score = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True, default=None)


class TrainingSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                             viewsets.GenericViewSet):
    """Training sessions and their attendance (security managers)."""

    serializer_class = TrainingSessionSerializer
    permission_classes = [IsSecurityManager]
    filterset_fields = ["training"]

    def get_queryset(self):
        return selectors.training_session_list(actor=_actor(self.request))

    def perform_create(self, serializer):
        serializer.instance = services.training_session_create(actor=_actor(self.request), **serializer.validated_data)

    @extend_schema(request=TrainingAttendanceInputSerializer, responses={200: OpenApiResponse(description="{person, score, passed}"), **ERRORS})
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        data = TrainingAttendanceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        a = services.training_attendance_record(actor=_actor(request), session=self.get_object(), **data.validated_data)
        return Response({"person": a.person_id, "score": a.score, "passed": a.passed})


class TrainingStatusSerializer(serializers.ModelSerializer):
    training_title = serializers.CharField(source="training.title", read_only=True)

    class Meta:
        model = TrainingStatus
        fields = ["training", "training_title", "last_completed_on", "due_on", "state", "computed_on"]


@extend_schema(responses=TrainingStatusSerializer(many=True))
@api_view(["GET"])
@permission_classes([IsPortalUser])
def my_trainings_view(request):
    """The caller's own trainings: last completion, due date, complete/due/overdue."""
    statuses = selectors.my_training_statuses(actor=_actor(request))
    return Response(TrainingStatusSerializer(statuses, many=True).data)


# -- Controls and evidence --------------------------------------------------------------------------------
class ControlSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=Person.objects.filter(is_active=True), allow_null=True, required=False)
    evidence_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Control
        fields = ["code", "title", "theme", "owner", "notes", "is_applicable", "evidence_count"]
        read_only_fields = ["code", "theme", "evidence_count"]


class ControlViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = ControlSerializer
    permission_classes = [IsSecurityManager]
    lookup_field = "code"
    lookup_value_regex = r"[0-9]+\.[0-9]+"
    filterset_fields = ["theme", "is_applicable"]
    search_fields = ["code", "title"]

    def get_queryset(self):
        return selectors.control_list(actor=_actor(self.request))

    def perform_update(self, serializer):
        control = Control.objects.get(pk=serializer.instance.pk)
        services.control_update(actor=_actor(self.request), control=control, **serializer.validated_data)
        serializer.instance = selectors.control_get(actor=_actor(self.request), code=control.code)


class EvidenceSerializer(serializers.ModelSerializer):
    controls = serializers.SlugRelatedField(slug_field="code", queryset=Control.objects.all(), many=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=Person.objects.filter(is_active=True), allow_null=True, required=False)

    class Meta:
        model = EvidenceItem
        fields = ["id", "title", "description", "controls", "owner", "url", "collected_on", "expires_on", "source",
                  "ama_session", "bulletin", "training_session"]
        read_only_fields = ["id", "source", "ama_session", "bulletin", "training_session"]


class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = EvidenceSerializer
    permission_classes = [IsSecurityManager]
    filterset_fields = ["source", "controls__code"]

    def get_queryset(self):
        return selectors.evidence_list(actor=_actor(self.request))

    def perform_create(self, serializer):
        item = services.evidence_create(actor=_actor(self.request), **serializer.validated_data)
        serializer.instance = selectors.evidence_get(actor=_actor(self.request), pk=item.pk)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


@extend_schema(parameters=[OpenApiParameter("start", str, required=True), OpenApiParameter("end", str, required=True)],
               responses={(200, "application/zip"): bytes, **ERRORS})
@api_view(["GET"])
@permission_classes([IsSecurityManager])
def evidence_pack_view(request):
    """The evidence pack (ZIP of CSVs + index) for ``start``..``end``."""
    period = PeriodSerializer(data=request.query_params)
    period.is_valid(raise_exception=True)
    start, end = period.validated_data["start"], period.validated_data["end"]
    content = evidence_pack_zip(actor=_actor(request), start=start, end=end)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="evidence-pack-{start}-{end}.zip"'
    return response


def register(router) -> None:
    router.register("ama-sessions", AmaSessionViewSet, basename="ama-session")
    router.register("ama-questions", AmaQuestionViewSet, basename="ama-question")
    router.register("security-bulletins", BulletinViewSet, basename="security-bulletin")
    router.register("security-trainings", TrainingViewSet, basename="security-training")
    router.register("security-training-sessions", TrainingSessionViewSet, basename="security-training-session")
    router.register("security-controls", ControlViewSet, basename="security-control")
    router.register("security-evidence", EvidenceViewSet, basename="security-evidence")


API_URLS = [
    path("security/my-trainings/", my_trainings_view, name="security-my-trainings"),
    path("security/evidence-pack/", evidence_pack_view, name="security-evidence-pack"),
]
