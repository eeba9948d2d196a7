"""Every read of the security app, scoped to the asking actor."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.core.access import Actor, get_visible_or_404
from apps.org.models import Person, Team
from apps.security.access import is_participant, is_security_manager
from apps.security.models import (
    AmaQuestion,
    AmaSession,
    AmaVote,
    Bulletin,
    BulletinAcknowledgement,
    Control,
    EvidenceItem,
    Training,
    TrainingSession,
    TrainingStatus,
)
from apps.security.services import audience_people


# -- AMA -------------------------------------------------------------------------------------
def ama_session_list(*, actor: Actor) -> QuerySet[AmaSession]:
    if not actor.is_authenticated:
        return AmaSession.objects.none()
    return AmaSession.objects.select_related("host").annotate(
        published_count=Count("questions", filter=Q(questions__status=AmaQuestion.Status.PUBLISHED), distinct=True),
        attendee_count=Count("attendances", distinct=True),
    ).order_by("-starts_at", "-id")


def ama_session_get(*, actor: Actor, pk: int) -> AmaSession:
    return get_visible_or_404(ama_session_list(actor=actor), pk=pk)


def ama_question_list(
    *, actor: Actor, session: AmaSession | None = None, status: str | None = None, faq: bool = False
) -> QuerySet[AmaQuestion]:
    """Published questions for everyone; security managers also see pending and hidden ones.
    Annotated with ``vote_count`` and ``has_voted`` (the actor's own vote)."""
    if not actor.is_authenticated:
        return AmaQuestion.objects.none()
    qs = AmaQuestion.objects.select_related("session", "asker", "answered_by")
    if not is_security_manager(actor):
        qs = qs.filter(status=AmaQuestion.Status.PUBLISHED)
    if session is not None:
        qs = qs.filter(session=session)
    if status:
        qs = qs.filter(status=status)
    if faq:
        qs = qs.filter(in_faq=True)
    person_id = actor.person_id if is_participant(actor) else None
    qs = qs.annotate(
        vote_count=Count("votes", distinct=True),
        has_voted=Exists(AmaVote.objects.filter(question=OuterRef("pk"), person_id=person_id)),
    )
    return qs.order_by("-vote_count", "created_at", "id")


def ama_question_get(*, actor: Actor, pk: int) -> AmaQuestion:
    return get_visible_or_404(ama_question_list(actor=actor), pk=pk)


def ama_moderation_counts(*, session: AmaSession) -> dict[str, int]:
    """Counts per status; the hidden count is shown to everyone (moderation is visible)."""
    counts = dict.fromkeys(AmaQuestion.Status.values, 0)
    for row in AmaQuestion.objects.filter(session=session).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def faq_list(*, actor: Actor) -> QuerySet[AmaQuestion]:
    if not actor.is_authenticated:
        return AmaQuestion.objects.none()
    return AmaQuestion.objects.filter(in_faq=True, status=AmaQuestion.Status.PUBLISHED).exclude(answer="") \
        .select_related("session").order_by("-answered_at", "-id")


# -- Bulletins --------------------------------------------------------------------------------
def bulletin_list(*, actor: Actor) -> QuerySet[Bulletin]:
    """Managers and service accounts see every bulletin; a person sees those addressed to them,
    annotated with ``acknowledged`` (their own acknowledgement)."""
    if not actor.is_authenticated:
        return Bulletin.objects.none()
    qs = Bulletin.objects.select_related("author").prefetch_related("audience_teams").annotate(
        ack_count=Count("acknowledgements", distinct=True),
        acknowledged=Exists(BulletinAcknowledgement.objects.filter(bulletin=OuterRef("pk"), person_id=actor.person_id)),
    )
    if is_security_manager(actor) or actor.is_service:
        return qs.order_by("-published_at", "-id")
    person = actor.person
    if person is None:
        return qs.none()
    ids = [b.pk for b in Bulletin.objects.prefetch_related("audience_teams").only("id", "audience_roles")
           if _in_audience(b, person)]
    return qs.filter(pk__in=ids).order_by("-published_at", "-id")


def _in_audience(obj, person: Person) -> bool:
    team_ids = {t.pk for t in obj.audience_teams.all()}
    if team_ids and person.team_id not in team_ids:
        return False
    return not obj.audience_roles or person.role in obj.audience_roles


def bulletins_to_acknowledge(*, actor: Actor) -> list[Bulletin]:
    """Bulletins addressed to the actor that ask for an acknowledgement they have not given
    (managers see every bulletin, but only their own audience counts here)."""
    if actor.person is None:
        return []
    return [b for b in bulletin_list(actor=actor).filter(requires_ack=True)
            if not b.acknowledged and _in_audience(b, actor.person)]


def bulletin_audience_sizes(bulletins) -> dict[int, int]:
    """Audience size per bulletin in one query over active people (bulletins must have
    their audience teams prefetched, as ``bulletin_list`` does)."""
    people = list(Person.objects.filter(is_active=True).values_list("team_id", "role"))
    sizes: dict[int, int] = {}
    for b in bulletins:
        team_ids = {t.pk for t in b.audience_teams.all()}
        sizes[b.pk] = sum(1 for team_id, role in people
                          if (not team_ids or team_id in team_ids) and (not b.audience_roles or role in b.audience_roles))
    return sizes


def bulletin_get(*, actor: Actor, pk: int) -> Bulletin:
    return get_visible_or_404(bulletin_list(actor=actor), pk=pk)


@dataclass
class TeamCompletion:
    team: str
    audience: int
    done: int

    @property
    def percent(self) -> int:
        return round(self.done * 100 / self.audience) if self.audience else 0


def bulletin_completion(*, bulletin: Bulletin) -> list[TeamCompletion]:
    """Per team (people without a team under "No team"): audience size and acknowledgements."""
    acked = set(BulletinAcknowledgement.objects.filter(bulletin=bulletin).values_list("person_id", flat=True))
    rows: dict[str, TeamCompletion] = {}
    for pid, team_name in audience_people(bulletin).values_list("id", "team__name"):
        row = rows.setdefault(team_name or "No team", TeamCompletion(team_name or "No team", 0, 0))
        row.audience += 1
        row.done += pid in acked
    return sorted(rows.values(), key=lambda r: r.team)


def bulletin_pending_people(*, bulletin: Bulletin) -> QuerySet[Person]:
    acked = BulletinAcknowledgement.objects.filter(bulletin=bulletin).values("person_id")
    return audience_people(bulletin).exclude(pk__in=acked).select_related("team").order_by("full_name")


# -- Trainings --------------------------------------------------------------------------------
def training_list(*, actor: Actor) -> QuerySet[Training]:
    if not actor.is_authenticated:
        return Training.objects.none()
    qs = Training.objects.prefetch_related("audience_teams").annotate(session_count=Count("sessions", distinct=True))
    if is_security_manager(actor) or actor.is_service:
        return qs.order_by("title", "id")
    if actor.person is None:
        return qs.none()
    ids = [t.pk for t in Training.objects.prefetch_related("audience_teams").only("id", "audience_roles")
           if _in_audience(t, actor.person)]
    return qs.filter(pk__in=ids, is_active=True).order_by("title", "id")


def training_get(*, actor: Actor, pk: int) -> Training:
    return get_visible_or_404(training_list(actor=actor), pk=pk)


def training_session_list(*, actor: Actor) -> QuerySet[TrainingSession]:
    """Sessions and their attendance are run by security managers only."""
    if not is_security_manager(actor):
        return TrainingSession.objects.none()
    return TrainingSession.objects.select_related("training").order_by("-held_on", "-id")


def training_session_get(*, actor: Actor, pk: int) -> TrainingSession:
    return get_visible_or_404(training_session_list(actor=actor), pk=pk)


def my_training_statuses(*, actor: Actor) -> QuerySet[TrainingStatus]:
    if actor.person is None:
        return TrainingStatus.objects.none()
    return TrainingStatus.objects.filter(person=actor.person, training__is_active=True).select_related("training")


def training_status_list(*, actor: Actor, training: Training) -> QuerySet[TrainingStatus]:
    if not is_security_manager(actor):
        return TrainingStatus.objects.none()
    return TrainingStatus.objects.filter(training=training).select_related("person__team").order_by("state", "due_on")


@dataclass
class Heatmap:
    trainings: list[Training]
    rows: list[tuple[str, list[TeamCompletion | None]]]


def training_heatmap(*, actor: Actor, today: date | None = None) -> Heatmap:
    """Teams x active trainings: the share of each team's audience with a current completion
    (completed, and not past due), from the nightly TrainingStatus rows."""
    today = today or timezone.localdate()
    trainings = list(Training.objects.filter(is_active=True).order_by("title", "id"))
    cells: dict[tuple[str, int], TeamCompletion] = {}
    statuses = TrainingStatus.objects.filter(training__in=trainings, person__is_active=True) \
        .values_list("training_id", "person__team__name", "last_completed_on", "due_on")
    for training_id, team_name, last, due_on in statuses:
        team = team_name or "No team"
        cell = cells.setdefault((team, training_id), TeamCompletion(team, 0, 0))
        cell.audience += 1
        cell.done += last is not None and due_on >= today
    teams = sorted({team for team, _ in cells})
    rows = [(team, [cells.get((team, t.pk)) for t in trainings]) for team in teams]
    return Heatmap(trainings=trainings, rows=rows)


# -- Controls and evidence ------------------------------------------------------------------------
def control_list(*, actor: Actor, q: str | None = None, theme: str | None = None) -> QuerySet[Control]:
    if not is_security_manager(actor):
        return Control.objects.none()
    qs = Control.objects.select_related("owner").annotate(evidence_count=Count("evidence", distinct=True))
    if q:
        qs = qs.filter(Q(code__startswith=q) | Q(title__icontains=q))
    if theme:
        qs = qs.filter(theme=theme)
    return qs.order_by("sort_key", "id")


def control_get(*, actor: Actor, code: str) -> Control:
    return get_visible_or_404(control_list(actor=actor), code=code)


def evidence_list(*, actor: Actor, control: Control | None = None) -> QuerySet[EvidenceItem]:
    if not is_security_manager(actor):
        return EvidenceItem.objects.none()
    qs = EvidenceItem.objects.select_related("owner").prefetch_related(
        Prefetch("controls", queryset=Control.objects.order_by("sort_key"))
    )
    if control is not None:
        qs = qs.filter(controls=control)
    return qs.order_by("-collected_on", "-id")


def evidence_get(*, actor: Actor, pk: int) -> EvidenceItem:
    return get_visible_or_404(evidence_list(actor=actor), pk=pk)


def security_team_leads() -> QuerySet[Person]:
    return Person.objects.filter(is_active=True, team__kind=Team.Kind.SECURITY, role="tl")


@dataclass
class SecuritySummary:
    """What the dashboard shows about security for one person (and for managers, the org)."""

    bulletins_to_acknowledge: int
    trainings_due: int
    trainings_overdue: int
    next_ama: AmaSession | None
    questions_pending: int | None  # managers only
    evidence_expiring: int | None  # managers only: within 30 days or expired


def security_summary(*, actor: Actor, today: date | None = None) -> SecuritySummary:
    """For the dashboard app (reads only through this selector)."""
    today = today or timezone.localdate()
    to_ack = len(bulletins_to_acknowledge(actor=actor))
    states = list(my_training_statuses(actor=actor).values_list("state", flat=True))
    manager = is_security_manager(actor)
    return SecuritySummary(
        bulletins_to_acknowledge=to_ack,
        trainings_due=states.count(TrainingStatus.State.DUE),
        trainings_overdue=states.count(TrainingStatus.State.OVERDUE),
        next_ama=ama_session_list(actor=actor).filter(starts_at__gte=timezone.now()).order_by("starts_at").first(),
        questions_pending=AmaQuestion.objects.filter(status=AmaQuestion.Status.PENDING).count() if manager else None,
        evidence_expiring=EvidenceItem.objects.filter(
            expires_on__isnull=False, expires_on__lte=today + timedelta(days=30)).count() if manager else None,
    )
