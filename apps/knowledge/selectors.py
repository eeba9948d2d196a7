"""Every read of knowledge sharing, already scoped to the asking actor."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.access import Actor, get_visible_or_404
from apps.core.roles import Role
from apps.knowledge.models import (
    Attendance,
    CalendarFeed,
    Feedback,
    Proposal,
    ProposalVote,
    Session,
    SessionSeries,
    Talk,
    Track,
)
from apps.org.models import Person

# People who are expected to speak some day: the ones who build things.
SPEAKER_ROLES = (Role.ENGINEER, Role.TL, Role.EM)
NUDGE_MIN_TENURE_DAYS = 180


def _signed_in(actor: Actor) -> bool:
    return actor.is_authenticated


# -- Series and sessions ----------------------------------------------------------------------
def series_list(*, actor: Actor) -> QuerySet[SessionSeries]:
    if not _signed_in(actor):
        return SessionSeries.objects.none()
    return SessionSeries.objects.select_related("host").order_by("name")


def series_get(*, actor: Actor, pk: int) -> SessionSeries:
    return get_visible_or_404(series_list(actor=actor), pk=pk)


def _booked_minutes_subquery():
    return Coalesce(
        Subquery(
            Talk.objects.filter(session=OuterRef("pk")).order_by().values("session")
            .annotate(total=Sum("duration_minutes")).values("total")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def session_list(
    *, actor: Actor, when: str | None = None, series: int | None = None, include_cancelled: bool = True,
) -> QuerySet[Session]:
    """Sessions with their talk count, booked minutes and attendance; ``when`` is
    "upcoming" (not yet ended, soonest first) or "past" (latest first)."""
    if not _signed_in(actor):
        return Session.objects.none()
    qs = Session.objects.select_related("series", "host").annotate(
        talk_count=Count("talks", distinct=True),
        attendance_count=Count("attendances", distinct=True),
        booked_minutes=_booked_minutes_subquery(),
    )
    now = timezone.now()
    if series:
        qs = qs.filter(series_id=series)
    if not include_cancelled:
        qs = qs.filter(is_cancelled=False)
    if when == "upcoming":
        return qs.filter(starts_at__gte=now - timedelta(hours=12)).order_by("starts_at", "pk")
    if when == "past":
        return qs.filter(starts_at__lt=now - timedelta(hours=12)).order_by("-starts_at", "-pk")
    return qs.order_by("-starts_at", "-pk")


def session_get(*, actor: Actor, pk: int) -> Session:
    return get_visible_or_404(session_list(actor=actor), pk=pk)


def session_choices(*, actor: Actor, for_scheduling: bool = False) -> QuerySet[Session]:
    """Sessions a talk may go to: not cancelled, not over; a host only sees the ones they host."""
    qs = session_list(actor=actor, when="upcoming", include_cancelled=False)
    if for_scheduling and not actor.is_cto:
        qs = qs.filter(Q(host_id=actor.person_id) | Q(series__host_id=actor.person_id))
    return qs


def session_agenda(*, session: Session) -> list[Talk]:
    return list(
        Talk.objects.filter(session=session).prefetch_related("speakers")
        .annotate(feedback_count=Count("feedback"), rating_sum=Coalesce(Sum("feedback__rating"), Value(0)))
        .order_by("position", "pk")
    )


def has_checked_in(*, actor: Actor, session: Session) -> bool:
    return bool(actor.person_id) and Attendance.objects.filter(session=session, person_id=actor.person_id).exists()


# -- Talks and the library -------------------------------------------------------------------
def talk_list(
    *, actor: Actor, q: str | None = None, track: str | None = None, year: int | None = None,
    speaker: int | None = None, past_only: bool = False,
) -> QuerySet[Talk]:
    if not _signed_in(actor):
        return Talk.objects.none()
    qs = Talk.objects.select_related("session", "session__series").prefetch_related(
        Prefetch("speakers", queryset=Person.objects.select_related("team").order_by("full_name"))
    )
    if past_only:
        qs = qs.filter(session__starts_at__lt=timezone.now(), session__is_cancelled=False)
    if q:
        words = q.split()[:8]
        for word in words:
            qs = qs.filter(
                Q(title__icontains=word) | Q(abstract__icontains=word) | Q(speakers__full_name__icontains=word)
                | Q(session__title__icontains=word)
            )
        qs = qs.distinct()
    if track:
        qs = qs.filter(track=track)
    if year:
        qs = qs.filter(session__starts_at__year=year)
    if speaker:
        qs = qs.filter(speakers__id=speaker)
    return qs.order_by("-session__starts_at", "position", "-pk")


def library(*, actor: Actor, q: str | None = None, track: str | None = None, year: int | None = None):
    """The searchable archive: talks of sessions that took place, newest first."""
    return talk_list(actor=actor, q=q, track=track, year=year, past_only=True)


def talk_get(*, actor: Actor, pk: int) -> Talk:
    return get_visible_or_404(talk_list(actor=actor).select_related("session__host", "given_again_from"), pk=pk)


# -- Proposals -------------------------------------------------------------------------------
def proposal_list(*, actor: Actor, status: str | None = None, q: str | None = None,
                  track: str | None = None) -> QuerySet[Proposal]:
    """Proposals with their vote count and whether the actor voted, most voted first."""
    if not _signed_in(actor):
        return Proposal.objects.none()
    qs = Proposal.objects.select_related("proposer", "proposer__team", "decided_by", "talk").prefetch_related(
        "co_speakers"
    ).annotate(
        vote_count=Count("votes", distinct=True),
        voted=Exists(ProposalVote.objects.filter(proposal=OuterRef("pk"), person_id=actor.person_id or 0)),
    )
    if status:
        qs = qs.filter(status=status)
    if track:
        qs = qs.filter(track=track)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(abstract__icontains=q) | Q(proposer__full_name__icontains=q))
    return qs.order_by("-vote_count", "-created_at", "-pk")


def proposal_get(*, actor: Actor, pk: int) -> Proposal:
    return get_visible_or_404(proposal_list(actor=actor), pk=pk)


# -- Feedback and attendance -------------------------------------------------------------------
def feedback_list(*, actor: Actor, talk: Talk | None = None) -> QuerySet[Feedback]:
    """Feedback the actor may read: their own, feedback on talks they give or host, all for the
    CTO, and everything on talks whose speakers shared their feedback."""
    if not _signed_in(actor):
        return Feedback.objects.none()
    qs = Feedback.objects.select_related("talk__session__series", "person")
    if talk is not None:
        qs = qs.filter(talk=talk)
    if actor.is_cto:
        return qs
    pid = actor.person_id or 0
    return qs.filter(
        Q(person_id=pid) | Q(talk__speakers__id=pid) | Q(talk__session__host_id=pid)
        | Q(talk__session__series__host_id=pid) | Q(talk__feedback_shared=True)
    ).distinct()


def feedback_summary(*, talk: Talk) -> dict:
    """Count and average rating: public (ratings carry no comment and no name)."""
    rows = list(Feedback.objects.filter(talk=talk).values_list("rating", flat=True))
    return {"count": len(rows), "average": round(sum(rows) / len(rows), 1) if rows else None}


def my_feedback(*, actor: Actor, talk: Talk) -> Feedback | None:
    if not actor.person_id:
        return None
    return Feedback.objects.filter(talk=talk, person_id=actor.person_id).first()


def attendance_list(*, actor: Actor, session: Session | None = None) -> QuerySet[Attendance]:
    """Who attended is not secret: everyone signed in may see it."""
    if not _signed_in(actor):
        return Attendance.objects.none()
    qs = Attendance.objects.select_related("person", "person__team", "session")
    if session is not None:
        qs = qs.filter(session=session)
    return qs.order_by("-checked_in_at", "-pk")


def attendance_trend(*, actor: Actor, months: int = 12, today: date | None = None) -> list[dict]:
    """Attendance per calendar month (of session start) for the last ``months`` months,
    oldest first, months without a session included as zeros."""
    if not _signed_in(actor):
        return []
    today = today or timezone.localdate()
    keys: list[tuple[int, int]] = []
    y, m = today.year, today.month
    for _ in range(months):
        keys.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    keys.reverse()
    start = timezone.make_aware(datetime.combine(date(keys[0][0], keys[0][1], 1), time.min))
    rows = (
        Session.objects.filter(starts_at__gte=start, is_cancelled=False)
        .annotate(n=Count("attendances")).values_list("starts_at", "n")
    )
    totals: Counter = Counter()
    sessions: Counter = Counter()
    for starts_at, n in rows:
        local = timezone.localtime(starts_at)
        totals[(local.year, local.month)] += n
        sessions[(local.year, local.month)] += 1
    return [
        {"month": f"{y:04d}-{m:02d}", "attendees": totals[(y, m)], "sessions": sessions[(y, m)]}
        for y, m in keys
    ]


# -- Balance -----------------------------------------------------------------------------------
def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    first_month = 3 * (quarter - 1) + 1
    start = date(year, first_month, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, first_month + 3, 1)
    return (timezone.make_aware(datetime.combine(start, time.min)),
            timezone.make_aware(datetime.combine(end, time.min)))


@dataclass
class Balance:
    year: int
    quarter: int
    talks: int = 0
    per_track: list[tuple[str, str, int]] = field(default_factory=list)  # (value, label, count)
    frontend: int = 0
    backend: int = 0
    never_spoke_by_team: list[tuple[str, list[Person]]] = field(default_factory=list)
    nudge: list[Person] = field(default_factory=list)

    @property
    def fe_share(self) -> int | None:
        """Front-end share of FE+BE talks, in percent (None when neither was given)."""
        both = self.frontend + self.backend
        return round(self.frontend * 100 / both) if both else None

    @property
    def fe_be_label(self) -> str:
        if self.frontend == self.backend:
            return "balanced"
        return "more front-end" if self.frontend > self.backend else "more back-end"


def balance(*, actor: Actor, year: int, quarter: int, today: date | None = None) -> Balance:
    """Talks per track and the FE/BE split in a quarter (cancelled sessions excluded); people
    (engineers, TLs, EMs) who never gave a talk, by team; and the nudge list: of those, the
    ones here for six months or more who attend, most attended first."""
    result = Balance(year=year, quarter=quarter)
    if not _signed_in(actor):
        return result
    start, end = quarter_bounds(year, quarter)
    counts = dict(
        Talk.objects.filter(session__starts_at__gte=start, session__starts_at__lt=end, session__is_cancelled=False)
        .order_by().values_list("track").annotate(n=Count("pk")).values_list("track", "n")
    )
    result.per_track = [(value, label, counts.get(value, 0)) for value, label in Track.choices]
    result.talks = sum(counts.values())
    result.frontend = counts.get(Track.FRONTEND, 0)
    result.backend = counts.get(Track.BACKEND, 0)

    spoke = Talk.speakers.through.objects.filter(
        person_id=OuterRef("pk"), talk__session__is_cancelled=False
    )
    never = list(
        Person.objects.filter(is_active=True, role__in=SPEAKER_ROLES).exclude(Exists(spoke))
        .select_related("team").annotate(attended=Count("knowledge_attendances")).order_by("full_name", "pk")
    )
    by_team: dict[str, list[Person]] = defaultdict(list)
    for person in never:
        by_team[person.team.name if person.team else "No team"].append(person)
    result.never_spoke_by_team = sorted(by_team.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    today = today or timezone.localdate()
    result.nudge = sorted(
        (p for p in never if p.attended > 0 and (p.tenure_days(today) or 0) >= NUDGE_MIN_TENURE_DAYS),
        key=lambda p: (-p.attended, p.full_name),
    )
    return result


# -- Calendar -------------------------------------------------------------------------------------
def calendar_feed_for(*, actor: Actor) -> CalendarFeed | None:
    if not actor.person_id:
        return None
    return CalendarFeed.objects.filter(person_id=actor.person_id).first()


def calendar_sessions(*, days_back: int = 90) -> list[Session]:
    """Sessions in the feed: from ``days_back`` ago on, with their agenda. The feed is reached
    by its secret token, not a login, so it carries nothing beyond what every employee sees."""
    since = timezone.now() - timedelta(days=days_back)
    return list(
        Session.objects.filter(starts_at__gte=since).select_related("host", "series")
        .prefetch_related(Prefetch("talks", queryset=Talk.objects.prefetch_related("speakers").order_by("position", "pk")))
        .order_by("starts_at", "pk")
    )
