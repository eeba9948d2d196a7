"""Every read of syncs, already scoped to the asking actor.

Visibility of a series (and so of its meetings, agenda, notes, decisions and action items):
- its participants (the owner is always one);
- the CTO and service accounts, unless the series is private;
- nobody else. Private series (every 1:1) are seen by their participants only, the CTO included
  only when a participant. Anything outside answers 404.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from apps.core.access import Actor, get_visible_or_404
from apps.org.models import Person
from apps.syncs.models import ActionItem, AgendaItem, CalendarFeed, Decision, Meeting, SyncSeries

Participation = SyncSeries.participants.through


def _participating_series_ids(person_id: int):
    return Participation.objects.filter(person_id=person_id).values("syncseries_id")


def series_visible(*, actor: Actor) -> QuerySet[SyncSeries]:
    if not actor.is_authenticated:
        return SyncSeries.objects.none()
    qs = SyncSeries.objects.all()
    mine = Q(pk__in=_participating_series_ids(actor.person_id)) if actor.person_id else Q(pk__in=[])
    if actor.is_cto or actor.is_service:
        return qs.filter(Q(is_private=False) | mine)
    if not actor.person_id:
        return SyncSeries.objects.none()
    return qs.filter(mine)


def visible_series_ids(*, actor: Actor):
    return series_visible(actor=actor).values("pk")


def series_list(*, actor: Actor, kind: str | None = None, q: str | None = None,
                include_inactive: bool = False) -> QuerySet[SyncSeries]:
    now = timezone.now()
    next_meeting = (
        Meeting.objects.filter(series=OuterRef("pk"), status=Meeting.Status.PLANNED, scheduled_at__gte=now)
        .order_by("scheduled_at").values("scheduled_at")[:1]
    )
    next_meeting_id = (
        Meeting.objects.filter(series=OuterRef("pk"), status=Meeting.Status.PLANNED, scheduled_at__gte=now)
        .order_by("scheduled_at").values("pk")[:1]
    )
    open_actions = (
        ActionItem.objects.filter(series=OuterRef("pk"), status=ActionItem.Status.OPEN)
        .order_by().values("series").annotate(n=Count("pk")).values("n")
    )
    qs = (
        series_visible(actor=actor)
        .select_related("owner")
        .prefetch_related(Prefetch("participants", queryset=Person.objects.order_by("full_name")))
        .annotate(
            next_meeting_at=Subquery(next_meeting),
            next_meeting_id=Subquery(next_meeting_id),
            open_action_count=Subquery(open_actions),
        )
    )
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.order_by("kind", "title", "pk")


def series_get(*, actor: Actor, pk: int) -> SyncSeries:
    return get_visible_or_404(series_visible(actor=actor).select_related("owner"), pk=pk)


def participant_ids(series: SyncSeries) -> set[int]:
    return set(Participation.objects.filter(syncseries_id=series.pk).values_list("person_id", flat=True))


# -- Meetings --------------------------------------------------------------------------------
def meeting_list(*, actor: Actor, series: int | None = None, status: str | None = None,
                 date_from: date | None = None, date_to: date | None = None) -> QuerySet[Meeting]:
    qs = Meeting.objects.filter(series_id__in=visible_series_ids(actor=actor)).select_related("series")
    if series:
        qs = qs.filter(series_id=series)
    if status:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(scheduled_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(scheduled_at__date__lte=date_to)
    return qs


def meeting_get(*, actor: Actor, pk: int) -> Meeting:
    return get_visible_or_404(
        meeting_list(actor=actor).select_related("series__owner", "notes_updated_by"), pk=pk
    )


def series_meetings(*, series: SyncSeries, upcoming: bool, limit: int = 12) -> list[Meeting]:
    now = timezone.now()
    qs = series.meetings.all()
    if upcoming:
        qs = qs.filter(scheduled_at__gte=now).order_by("scheduled_at")
    else:
        qs = qs.filter(scheduled_at__lt=now).order_by("-scheduled_at")
    return list(qs[:limit])


def series_backlog(*, series: SyncSeries) -> QuerySet[AgendaItem]:
    return series.agenda_items.filter(meeting__isnull=True, status=AgendaItem.Status.OPEN).select_related("presenter")


@dataclass
class MeetingPage:
    meeting: Meeting
    agenda: list[AgendaItem]
    overdue_actions: list[ActionItem]
    carried_actions: list[ActionItem]
    new_actions: list[ActionItem]
    decisions: list[Decision]
    participants: list[Person]
    attendee_ids: set[int]
    backlog: list[AgendaItem]
    previous: Meeting | None = None
    next: Meeting | None = None
    extra: dict = field(default_factory=dict)


def meeting_page(*, actor: Actor, meeting: Meeting) -> MeetingPage:
    """Everything the meeting page shows, in a fixed number of queries whatever the history.

    Action items: those raised in this meeting, plus every item of the series raised earlier
    that is still open (they follow the series until closed); the open ones due before the
    meeting's day are overdue and lead the agenda."""
    series = meeting.series
    agenda = list(
        meeting.agenda_items.select_related("presenter", "carried_from__meeting").order_by("order", "id")
    )
    day = timezone.localtime(meeting.scheduled_at).date()
    earlier_open = list(
        ActionItem.objects.filter(series=series, status=ActionItem.Status.OPEN)
        .filter(Q(meeting__scheduled_at__lt=meeting.scheduled_at) | Q(meeting__isnull=True, created_at__lt=meeting.scheduled_at))
        .select_related("owner", "meeting")
        .order_by(F("due_date").asc(nulls_last=True), "id")
    )
    overdue = [a for a in earlier_open if a.due_date is not None and a.due_date < day]
    carried = [a for a in earlier_open if not (a.due_date is not None and a.due_date < day)]
    new_actions = list(meeting.action_items.select_related("owner").order_by("id"))
    decisions = list(meeting.decisions.select_related("owner", "supersedes").order_by("id"))
    # A decision may supersede one of another series: its text is shown only to who sees that series.
    other = {d.supersedes.series_id for d in decisions if d.supersedes and d.supersedes.series_id != series.pk}
    seen = set(series_visible(actor=actor).filter(pk__in=other).values_list("pk", flat=True)) if other else set()
    for d in decisions:
        d.supersedes_hidden = bool(d.supersedes and d.supersedes.series_id != series.pk
                                   and d.supersedes.series_id not in seen)
    participants = list(series.participants.order_by("full_name"))
    attendee_ids = set(meeting.attendees.values_list("pk", flat=True))
    backlog = list(series_backlog(series=series))
    siblings = series.meetings.exclude(pk=meeting.pk)
    previous = siblings.filter(scheduled_at__lt=meeting.scheduled_at).order_by("-scheduled_at").first()
    nxt = siblings.filter(scheduled_at__gt=meeting.scheduled_at).order_by("scheduled_at").first()
    return MeetingPage(meeting=meeting, agenda=agenda, overdue_actions=overdue, carried_actions=carried,
                       new_actions=new_actions, decisions=decisions, participants=participants,
                       attendee_ids=attendee_ids, backlog=backlog, previous=previous, next=nxt)


def agenda_item_list(*, actor: Actor, series: int | None = None, meeting: int | None = None,
                     status: str | None = None) -> QuerySet[AgendaItem]:
    qs = AgendaItem.objects.filter(series_id__in=visible_series_ids(actor=actor)).select_related("presenter")
    if series:
        qs = qs.filter(series_id=series)
    if meeting:
        qs = qs.filter(meeting_id=meeting)
    if status:
        qs = qs.filter(status=status)
    return qs


# -- Decisions -------------------------------------------------------------------------------
def decision_list(*, actor: Actor, series: int | None = None, person: int | None = None,
                  date_from: date | None = None, date_to: date | None = None, q: str | None = None,
                  kind: str | None = None) -> QuerySet[Decision]:
    qs = (
        Decision.objects.filter(series_id__in=visible_series_ids(actor=actor))
        .select_related("series", "owner", "meeting", "supersedes", "superseded_by")
    )
    if series:
        qs = qs.filter(series_id=series)
    if kind:
        qs = qs.filter(series__kind=kind)
    if person:
        qs = qs.filter(owner_id=person)
    if date_from:
        qs = qs.filter(decided_on__gte=date_from)
    if date_to:
        qs = qs.filter(decided_on__lte=date_to)
    if q:
        qs = qs.filter(Q(text__icontains=q) | Q(rationale__icontains=q))
    return qs.order_by("-decided_on", "-id")


# -- Action items ----------------------------------------------------------------------------
def action_item_list(*, actor: Actor, owner: int | None = None, status: str | None = None,
                     series: int | None = None, due_before: date | None = None,
                     due_after: date | None = None, overdue: bool = False) -> QuerySet[ActionItem]:
    """Items of the series the actor sees, plus the actor's own (they may own an item of a
    non-private series they do not attend)."""
    scope = Q(series_id__in=visible_series_ids(actor=actor))
    if actor.person_id:
        scope |= Q(owner_id=actor.person_id, series__is_private=False)
    qs = ActionItem.objects.filter(scope).select_related("owner", "series", "meeting") if actor.is_authenticated \
        else ActionItem.objects.none()
    if owner:
        qs = qs.filter(owner_id=owner)
    if status:
        qs = qs.filter(status=status)
    if series:
        qs = qs.filter(series_id=series)
    if due_before:
        qs = qs.filter(due_date__lte=due_before)
    if due_after:
        qs = qs.filter(due_date__gte=due_after)
    if overdue:
        qs = qs.filter(status=ActionItem.Status.OPEN, due_date__lt=timezone.localdate())
    return qs.order_by(F("due_date").asc(nulls_last=True), "id")


def my_action_items(*, actor: Actor, status: str | None = ActionItem.Status.OPEN) -> QuerySet[ActionItem]:
    if not actor.person_id:
        return ActionItem.objects.none()
    return action_item_list(actor=actor, owner=actor.person_id, status=status)


@dataclass
class OwnerStats:
    owner: Person
    total: int
    done: int
    dropped: int
    open: int
    overdue: list[ActionItem]

    @property
    def completion_rate(self) -> int | None:
        """Done out of items that are closed or due: dropped items do not count."""
        counted = self.total - self.dropped
        return round(self.done * 100 / counted) if counted else None


def action_items_by_owner(*, actor: Actor, today: date | None = None) -> list[OwnerStats]:
    """Per owner: totals, completion rate and the overdue list, most overdue first. Two queries."""
    today = today or timezone.localdate()
    base = action_item_list(actor=actor)
    rows = (
        base.order_by().values("owner")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(status=ActionItem.Status.DONE)),
                  dropped=Count("pk", filter=Q(status=ActionItem.Status.DROPPED)),
                  open=Count("pk", filter=Q(status=ActionItem.Status.OPEN)))
    )
    stats = {r["owner"]: r for r in rows}
    owners = {p.pk: p for p in Person.objects.filter(pk__in=stats.keys())}
    overdue: dict[int, list[ActionItem]] = {}
    for item in base.filter(status=ActionItem.Status.OPEN, due_date__lt=today):
        overdue.setdefault(item.owner_id, []).append(item)
    result = [
        OwnerStats(owner=owners[pid], total=r["total"], done=r["done"], dropped=r["dropped"], open=r["open"],
                   overdue=overdue.get(pid, []))
        for pid, r in stats.items() if pid in owners
    ]
    return sorted(result, key=lambda s: (-len(s.overdue), s.owner.full_name))


def overdue_action_items_by_owner(*, today: date | None = None) -> dict[Person, list[ActionItem]]:
    """System read for the daily reminder (no actor: each owner gets only their own items)."""
    today = today or timezone.localdate()
    grouped: dict[Person, list[ActionItem]] = {}
    qs = (ActionItem.objects.filter(status=ActionItem.Status.OPEN, due_date__lt=today, owner__is_active=True)
          .select_related("owner", "series").order_by("owner_id", "due_date", "id"))
    for item in qs:
        grouped.setdefault(item.owner, []).append(item)
    return grouped


@dataclass
class SyncsSummary:
    upcoming: list[Meeting]
    my_open_actions: int
    my_overdue_actions: int
    recent_decisions: list[Decision]


def syncs_summary(*, actor: Actor, days: int = 7, decisions: int = 5) -> SyncsSummary:
    """For the dashboard / home page: the actor's next meetings, their action items, the latest
    decisions they may see. Four queries."""
    now = timezone.now()
    upcoming = list(
        meeting_list(actor=actor).filter(scheduled_at__gte=now, scheduled_at__lte=now + timezone.timedelta(days=days))
        .exclude(status=Meeting.Status.CANCELLED).order_by("scheduled_at")[:10]
    )
    mine = my_action_items(actor=actor)
    counts = mine.order_by().aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=timezone.localdate())))
    return SyncsSummary(upcoming=upcoming, my_open_actions=counts["open"], my_overdue_actions=counts["overdue"],
                        recent_decisions=list(decision_list(actor=actor)[:decisions]))


# -- Calendar feed ------------------------------------------------------------------------------
def calendar_feed_for_token(*, token: str) -> CalendarFeed | None:
    return CalendarFeed.objects.select_related("person").filter(token=token, person__is_active=True).first()


def feed_meetings(*, person: Person, now: datetime | None = None, days: int = 120) -> QuerySet[Meeting]:
    """Upcoming meetings of the series the person takes part in (private ones included: they
    are a participant). Only the feed's own person, never anyone else's."""
    now = now or timezone.now()
    return (
        Meeting.objects.filter(series_id__in=_participating_series_ids(person.pk), series__is_active=True,
                               scheduled_at__gte=now - timezone.timedelta(days=7),
                               scheduled_at__lte=now + timezone.timedelta(days=days))
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("series")
        .order_by("scheduled_at")
    )


def next_meeting_of(series: SyncSeries, after: datetime) -> Meeting | None:
    return (series.meetings.filter(scheduled_at__gt=after, status=Meeting.Status.PLANNED)
            .order_by("scheduled_at").first())


def first_upcoming(meetings: QuerySet[Meeting]) -> Meeting | None:
    return meetings.filter(scheduled_at__gte=timezone.now()).order_by("scheduled_at").first()



def visible_for_model(*, actor: Actor, model) -> QuerySet | None:
    """The objects of one of this app's models the actor may see, for other apps that point at
    them (initiative links); None for a model nobody outside the app may reference."""
    scopes = {SyncSeries: series_visible, Meeting: meeting_list, AgendaItem: agenda_item_list,
              Decision: decision_list, ActionItem: action_item_list}
    scope = scopes.get(model)
    return scope(actor=actor) if scope else None
