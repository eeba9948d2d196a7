"""REST API for knowledge sharing: series, sessions, talks, proposals (with voting),
attendance and feedback. Reads come from the selectors, writes from the services."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.access import get_actor
from apps.core.api import ConditionalUpdateMixin
from apps.core.markdown import render_markdown
from apps.knowledge import policy, selectors, services
from apps.knowledge.models import (
    MAX_TALK_MINUTES,
    Attendance,
    Feedback,
    Proposal,
    Session,
    SessionSeries,
    Talk,
)
from apps.org.models import Person


def _actor(request):
    return get_actor(request.user)


def _url_field(**extra) -> serializers.CharField:
    """A link that may be empty. A CharField (not URLField) so the schema does not promise a URI
    for "": the services validate http(s) URLs and answer 400 with the field's name."""
    return serializers.CharField(allow_blank=True, required=False, max_length=200, **extra)


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


@extend_schema_serializer(component_name="KnowledgeSeries")
class SeriesSerializer(serializers.ModelSerializer):
    host = PersonRefSerializer(read_only=True, allow_null=True)
    call_url = _url_field(read_only=True)

    class Meta:
        model = SessionSeries
        fields = ["id", "name", "description", "cadence", "weekday", "week_of_month", "start_time", "time_zone",
                  "duration_minutes", "starts_on", "ends_on", "generate_ahead", "location", "call_url", "host",
                  "is_active"]


class SessionSerializer(serializers.ModelSerializer):
    host = serializers.PrimaryKeyRelatedField(queryset=Person.objects.filter(is_active=True), allow_null=True,
                                              required=False)
    host_name = serializers.CharField(source="host.full_name", read_only=True, default=None, allow_null=True)
    talk_count = serializers.IntegerField(read_only=True)
    attendance_count = serializers.IntegerField(read_only=True)
    booked_minutes = serializers.IntegerField(read_only=True)
    call_url = _url_field()
    recording_url = _url_field()

    class Meta:
        model = Session
        fields = ["id", "series", "occurrence_date", "title", "description", "starts_at", "duration_minutes",
                  "location", "call_url", "host", "host_name", "recording_url", "is_cancelled", "talk_count",
                  "attendance_count", "booked_minutes"]
        read_only_fields = ["id", "series", "occurrence_date", "host_name", "talk_count", "attendance_count",
                            "booked_minutes"]
        extra_kwargs = {"duration_minutes": {"min_value": 5, "max_value": 600}}


class TalkSerializer(serializers.ModelSerializer):
    speakers = PersonRefSerializer(many=True, read_only=True)
    speaker_ids = serializers.PrimaryKeyRelatedField(
        source="speakers", many=True, write_only=True, required=False,
        queryset=Person.objects.filter(is_active=True),
    )
    abstract_html = serializers.SerializerMethodField()
    session_title = serializers.CharField(source="session.title", read_only=True)
    starts_at = serializers.DateTimeField(source="session.starts_at", read_only=True)
    slides_url = _url_field()
    recording_url = _url_field()

    class Meta:
        model = Talk
        fields = ["id", "session", "session_title", "starts_at", "title", "abstract", "abstract_html", "track",
                  "speakers", "speaker_ids", "duration_minutes", "position", "slides_url", "recording_url",
                  "proposal", "given_again_from", "feedback_shared"]
        read_only_fields = ["id", "session", "session_title", "starts_at", "abstract_html", "speakers",
                            "position", "proposal", "given_again_from", "feedback_shared"]
        extra_kwargs = {"duration_minutes": {"min_value": 5, "max_value": MAX_TALK_MINUTES}}

    def get_abstract_html(self, obj) -> str:
        return str(render_markdown(obj.abstract))


class ProposalSerializer(serializers.ModelSerializer):
    proposer = PersonRefSerializer(read_only=True)
    co_speakers = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                                     queryset=Person.objects.filter(is_active=True))
    vote_count = serializers.IntegerField(read_only=True, default=0)
    voted = serializers.BooleanField(read_only=True, default=False)
    talk = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Proposal
        fields = ["id", "title", "abstract", "track", "duration_minutes", "proposer", "co_speakers", "status",
                  "decision_note", "decided_at", "vote_count", "voted", "talk", "repeat_of", "created_at"]
        read_only_fields = ["id", "proposer", "status", "decision_note", "decided_at", "vote_count", "voted",
                            "talk", "repeat_of", "created_at"]
        extra_kwargs = {"duration_minutes": {"min_value": 5, "max_value": MAX_TALK_MINUTES}}


class SessionInputSerializer(serializers.Serializer):
    session = serializers.PrimaryKeyRelatedField(queryset=Session.objects.all())


class RejectInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class VoteSerializer(serializers.Serializer):
    proposal = serializers.IntegerField()
    voted = serializers.BooleanField()
    vote_count = serializers.IntegerField()
    created = serializers.BooleanField()


class AttendanceSerializer(serializers.ModelSerializer):
    person = PersonRefSerializer(read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "session", "person", "source", "checked_in_at"]
        read_only_fields = ["id", "person", "source", "checked_in_at"]


class FeedbackSerializer(serializers.ModelSerializer):
    person = PersonRefSerializer(read_only=True, allow_null=True, help_text="null when you may not see the author")
    rating = serializers.IntegerField(min_value=1, max_value=5)

    class Meta:
        model = Feedback
        fields = ["id", "talk", "person", "rating", "comment", "created_at", "updated_at"]
        read_only_fields = ["id", "person", "created_at", "updated_at"]
        validators: list = []  # one per person: the service updates instead of failing

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not policy.can_see_feedback_author(_actor(request), instance):
            data["person"] = None  # speakers read feedback anonymously
        return data


class SeriesViewSet(viewsets.ReadOnlyModelViewSet):
    """Recurring series (Tech Monthly). Created and changed in the portal by the CTO."""

    serializer_class = SeriesSerializer
    filterset_fields = ["cadence", "is_active"]

    def get_queryset(self):
        return selectors.series_list(actor=_actor(self.request))


class SessionViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Sessions. ``?when=upcoming|past``. POST creates a one-off session (CTO and hosts)."""

    serializer_class = SessionSerializer
    filterset_fields = ["series", "is_cancelled", "host"]
    search_fields = ["title"]
    ordering_fields = ["starts_at"]

    def get_queryset(self):
        when = self.request.query_params.get("when")
        return selectors.session_list(actor=_actor(self.request), when=when if when in ("upcoming", "past") else None)

    def create(self, request, *args, **kwargs):
        policy.require(policy.can_curate(_actor(request)), "Only the CTO and session hosts may create sessions.")
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        session = services.session_create(actor=_actor(self.request), **serializer.validated_data)
        serializer.instance = selectors.session_get(actor=_actor(self.request), pk=session.pk)

    def perform_update(self, serializer):
        services.session_update(actor=_actor(self.request), session=serializer.instance, **serializer.validated_data)
        serializer.instance = selectors.session_get(actor=_actor(self.request), pk=serializer.instance.pk)

    @extend_schema(request=None, responses={200: AttendanceSerializer, 201: AttendanceSerializer,
                                            400: OpenApiResponse(description="Cancelled or not open yet")})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """Self check-in; idempotent (200 when already checked in, 201 the first time)."""
        attendance, created = services.attendance_check_in(actor=_actor(request), session=self.get_object())
        return Response(AttendanceSerializer(attendance).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class TalkViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                  viewsets.GenericViewSet):
    """Talks. ``?q=`` searches title, abstract, speakers; ``?past=1`` is the library."""

    serializer_class = TalkSerializer
    filterset_fields = ["track", "session"]

    def get_queryset(self):
        params = self.request.query_params
        year = params.get("year")
        return selectors.talk_list(
            actor=_actor(self.request), q=params.get("q") or None,
            year=int(year) if year and year.isdigit() and 1900 <= int(year) <= 2200 else None,
            past_only=params.get("past") == "1",
        )

    def perform_update(self, serializer):
        serializer.instance = services.talk_update(actor=_actor(self.request), talk=serializer.instance,
                                                   **serializer.validated_data)

    def _to_session(self, request, do, *, may):
        talk = self.get_object()
        policy.require(may(talk), "You may not schedule this talk elsewhere.")
        data = SessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return do(talk, data.validated_data["session"])

    @extend_schema(request=SessionInputSerializer, responses={200: TalkSerializer, 400: None, 403: None})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the talk to another session (must fit its length)."""
        actor = _actor(request)
        talk = self._to_session(request, lambda t, s: services.talk_move(actor=actor, talk=t, session=s),
                                may=lambda t: policy.can_manage_session(actor, t.session))
        return Response(TalkSerializer(selectors.talk_get(actor=actor, pk=talk.pk)).data)

    @extend_schema(request=SessionInputSerializer, responses={201: TalkSerializer, 400: None, 403: None})
    @action(detail=True, methods=["post"], url_path="give-again")
    def give_again(self, request, pk=None):
        """Give the talk again in another session: a new talk linked to this one."""
        actor = _actor(request)
        talk = self._to_session(request, lambda t, s: services.talk_give_again(actor=actor, talk=t, session=s),
                                may=lambda t: policy.can_curate(actor))
        return Response(TalkSerializer(selectors.talk_get(actor=actor, pk=talk.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: ProposalSerializer, 400: None, 403: None})
    @action(detail=True, methods=["post"], url_path="propose-again")
    def propose_again(self, request, pk=None):
        """A speaker offers the talk again: a backlog proposal that the CTO or a host schedules."""
        actor = _actor(request)
        proposal = services.talk_propose_again(actor=actor, talk=self.get_object())
        return Response(ProposalSerializer(selectors.proposal_get(actor=actor, pk=proposal.pk)).data,
                        status=status.HTTP_201_CREATED)


class ProposalViewSet(ConditionalUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Rolling proposals, most voted first. ``?status=backlog|scheduled|rejected|withdrawn``."""

    serializer_class = ProposalSerializer
    filterset_fields = ["status", "track"]

    def get_queryset(self):
        return selectors.proposal_list(actor=_actor(self.request), q=self.request.query_params.get("q") or None)

    def create(self, request, *args, **kwargs):
        policy.require_person(_actor(request))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        proposal = services.proposal_create(actor=_actor(self.request), **serializer.validated_data)
        serializer.instance = selectors.proposal_get(actor=_actor(self.request), pk=proposal.pk)

    def update(self, request, *args, **kwargs):
        actor, proposal = _actor(request), self.get_object()
        policy.require(actor.person_id == proposal.proposer_id or policy.can_curate(actor),
                       "Only the proposer, the CTO and hosts may edit a proposal.")
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        proposal = services.proposal_update(actor=_actor(self.request), proposal=serializer.instance,
                                            **serializer.validated_data)
        serializer.instance = selectors.proposal_get(actor=_actor(self.request), pk=proposal.pk)

    def _vote_response(self, request, pk, created: bool, code: int):
        proposal = selectors.proposal_get(actor=_actor(request), pk=pk)
        return Response({"proposal": proposal.pk, "voted": proposal.voted, "vote_count": proposal.vote_count,
                         "created": created}, status=code)

    @extend_schema(request=None, responses={200: VoteSerializer, 201: VoteSerializer, 400: None, 403: None})
    @action(detail=True, methods=["post", "delete"])
    def vote(self, request, pk=None):
        """POST upvotes (201 the first time, 200 when you had voted already: idempotent);
        DELETE withdraws your vote (200 either way)."""
        actor = _actor(request)
        proposal = self.get_object()
        if request.method == "DELETE":
            services.proposal_unvote(actor=actor, proposal=proposal)
            return self._vote_response(request, proposal.pk, False, status.HTTP_200_OK)
        _, created = services.proposal_vote(actor=actor, proposal=proposal)
        return self._vote_response(request, proposal.pk, created,
                                   status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=SessionInputSerializer,
                   responses={201: TalkSerializer, 400: OpenApiResponse(description="Would overrun the session"),
                              403: None})
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        """Schedule into a session (CTO, or that session's host); refused when it would overrun."""
        actor = _actor(request)
        policy.require(policy.can_curate(actor), "Only the CTO and session hosts may schedule proposals.")
        data = SessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        talk = services.proposal_schedule(actor=actor, proposal=self.get_object(), session=data.validated_data["session"])
        return Response(TalkSerializer(selectors.talk_get(actor=actor, pk=talk.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RejectInputSerializer, responses={200: ProposalSerializer, 400: None, 403: None})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        actor = _actor(request)
        policy.require(policy.can_curate(actor), "Only the CTO and session hosts may reject proposals.")
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.proposal_reject(actor=actor, proposal=self.get_object(), note=data.validated_data["note"])
        return Response(ProposalSerializer(selectors.proposal_get(actor=actor, pk=proposal.pk)).data)


class AttendanceViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Who attended which session. POST ``{"session": id}`` checks yourself in (idempotent)."""

    serializer_class = AttendanceSerializer
    filterset_fields = ["session", "person", "source"]

    def get_queryset(self):
        return selectors.attendance_list(actor=_actor(self.request))

    @extend_schema(responses={201: AttendanceSerializer, 200: AttendanceSerializer, 400: None})
    def create(self, request, *args, **kwargs):
        policy.require_person(_actor(request))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attendance, created = services.attendance_check_in(actor=_actor(request),
                                                           session=serializer.validated_data["session"])
        return Response(AttendanceSerializer(attendance).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class FeedbackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    """Feedback you may read: your own, on talks you give or host, all for the CTO, and on
    talks whose speakers shared it. POST gives (or updates) your one rating for a talk."""

    serializer_class = FeedbackSerializer
    filterset_fields = ["talk"]
    # Not by person: a hidden author would still sort (and so be told apart from the others).
    ordering_fields = ["created_at", "rating"]

    def get_queryset(self):
        return selectors.feedback_list(actor=_actor(self.request))

    @extend_schema(responses={201: FeedbackSerializer, 200: FeedbackSerializer, 400: None})
    def create(self, request, *args, **kwargs):
        actor = _actor(request)
        policy.require_person(actor)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        talk = serializer.validated_data["talk"]
        feedback, created = services.feedback_give(
            actor=actor, talk=selectors.talk_get(actor=actor, pk=talk.pk),
            rating=serializer.validated_data["rating"], comment=serializer.validated_data.get("comment", ""),
        )
        return Response(FeedbackSerializer(feedback, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def register(router) -> None:
    router.register("knowledge-series", SeriesViewSet, basename="knowledge-series")
    router.register("knowledge-sessions", SessionViewSet, basename="knowledge-session")
    router.register("knowledge-talks", TalkViewSet, basename="knowledge-talk")
    router.register("knowledge-proposals", ProposalViewSet, basename="knowledge-proposal")
    router.register("knowledge-attendance", AttendanceViewSet, basename="knowledge-attendance")
    router.register("knowledge-feedback", FeedbackViewSet, basename="knowledge-feedback")

