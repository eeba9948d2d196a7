"""Every read of initiatives, scoped to the asking actor (everyone signed in reads the
portfolio; see :mod:`apps.initiatives.policy`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from apps.core.access import Actor, get_visible_or_404
from apps.costs import selectors as cost_selectors
from apps.initiatives import policy
from apps.initiatives.models import (
    ACTIVE_STATUSES,
    STALE_AFTER_DAYS,
    Health,
    Initiative,
    InitiativeLink,
    Milestone,
    StatusUpdate,
)
from apps.org.models import Team

HEALTH_ORDER = {Health.RED: 0, Health.AMBER: 1, Health.GREEN: 2}


def initiative_list(
    *, actor: Actor, team: str | None = None, kind: str | None = None, status: str | None = None,
    health: str | None = None, owner: int | None = None, stale: bool = False, q: str | None = None,
    today: date | None = None,
) -> QuerySet[Initiative]:
    if not policy.can_read(actor):
        return Initiative.objects.none()
    qs = Initiative.objects.select_related("team", "owner", "sponsor")
    if team:
        qs = qs.filter(team__slug=team)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if health:
        qs = qs.filter(health=health)
    if owner:
        qs = qs.filter(owner_id=owner)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(cost_tag__icontains=q))
    if stale:
        cutoff = (today or timezone.localdate()) - timedelta(days=STALE_AFTER_DAYS)
        qs = qs.filter(status__in=ACTIVE_STATUSES).filter(
            Q(last_update_on__lte=cutoff) | Q(last_update_on__isnull=True, created_at__date__lte=cutoff)
        )
    return qs.order_by("title", "pk")


def initiative_get(*, actor: Actor, pk: int) -> Initiative:
    return get_visible_or_404(initiative_list(actor=actor), pk=pk)


@dataclass
class BoardColumn:
    key: str
    label: str
    items: list[Initiative] = field(default_factory=list)


def portfolio_board(*, actor: Actor, group: str = "status", **filters) -> list[BoardColumn]:
    """Columns by status (or by health), cards ordered red → amber → green, then target date.
    One query whatever the portfolio's size."""
    items = list(initiative_list(actor=actor, **filters))
    today = timezone.localdate()
    for item in items:
        item.stale = item.is_stale(today)
    items.sort(key=lambda i: (HEALTH_ORDER.get(i.health, 3), i.target_date or date.max, i.title))
    if group == "health":
        columns = [BoardColumn(h.value, h.label) for h in (Health.RED, Health.AMBER, Health.GREEN)]
        attr = "health"
    else:
        columns = [BoardColumn(s.value, s.label) for s in Initiative.Status]
        attr = "status"
    by_key = {c.key: c for c in columns}
    for item in items:
        by_key[getattr(item, attr)].items.append(item)
    return columns


def health_counts(initiatives) -> dict[str, int]:
    counts = {h.value: 0 for h in Health}
    for item in initiatives:
        counts[item.health] += 1
    return counts


def initiative_milestones(*, actor: Actor, initiative: Initiative) -> QuerySet[Milestone]:
    return Milestone.objects.filter(initiative=initiative).order_by("due_date", "pk")


def initiative_updates(*, actor: Actor, initiative: Initiative) -> QuerySet[StatusUpdate]:
    return StatusUpdate.objects.filter(initiative=initiative).select_related("author").order_by(
        "-date", "-created_at", "-pk"
    )


def milestone_list(*, actor: Actor, initiative: int | None = None) -> QuerySet[Milestone]:
    if not policy.can_read(actor):
        return Milestone.objects.none()
    qs = Milestone.objects.select_related("initiative")
    if initiative:
        qs = qs.filter(initiative_id=initiative)
    return qs.order_by("due_date", "pk")


def status_update_list(*, actor: Actor, initiative: int | None = None) -> QuerySet[StatusUpdate]:
    if not policy.can_read(actor):
        return StatusUpdate.objects.none()
    qs = StatusUpdate.objects.select_related("author", "initiative")
    if initiative:
        qs = qs.filter(initiative_id=initiative)
    return qs.order_by("-date", "-created_at", "-pk")


@dataclass
class TimelineEntry:
    date: date
    kind: str  # "update", "milestone-due", "milestone-done", "created", "shipped"
    update: StatusUpdate | None = None
    milestone: Milestone | None = None
    label: str = ""


def initiative_timeline(*, actor: Actor, initiative: Initiative) -> list[TimelineEntry]:
    """Updates and milestones on one time line, newest first. A milestone shows at its done
    date when done, at its due date otherwise."""
    entries: list[TimelineEntry] = []
    for update in initiative_updates(actor=actor, initiative=initiative):
        entries.append(TimelineEntry(date=update.date, kind="update", update=update))
    for milestone in initiative_milestones(actor=actor, initiative=initiative):
        if milestone.done_date:
            entries.append(TimelineEntry(date=milestone.done_date, kind="milestone-done", milestone=milestone))
        else:
            entries.append(TimelineEntry(date=milestone.due_date, kind="milestone-due", milestone=milestone))
    entries.append(TimelineEntry(date=timezone.localdate(initiative.created_at), kind="created", label="Opened"))
    order = {"update": 0, "milestone-done": 1, "milestone-due": 2, "created": 3}
    entries.sort(key=lambda e: (e.date, -order[e.kind]), reverse=True)
    return entries


# -- links -----------------------------------------------------------------------------------------
@dataclass
class LinkView:
    link: InitiativeLink
    app_label: str
    type_label: str
    url: str | None


def link_targets_visible(*, actor: Actor, model) -> QuerySet | None:
    """The objects of ``model`` (another app's) the actor may see: that app's own scope
    (``apps.<label>.selectors.visible_for_model``), or None — not linkable, never shown."""
    from importlib import import_module

    label = model._meta.app_label
    if label not in _link_apps() or not apps.is_installed(f"apps.{label}"):
        return None
    scope = getattr(import_module(f"apps.{label}.selectors"), "visible_for_model", None)
    return scope(actor=actor, model=model) if scope else None


def _link_apps() -> tuple[str, ...]:
    from apps.initiatives.services import link_target_apps

    return link_target_apps()


def initiative_links(*, actor: Actor, initiative: Initiative) -> list[LinkView]:
    """The links to an initiative whose target still exists and the actor may see (a link to a
    private 1:1's decision is shown to the 1:1's participants only)."""
    views: list[LinkView] = []
    links = list(InitiativeLink.objects.filter(initiative=initiative).select_related("content_type"))
    by_type: dict[int, list[InitiativeLink]] = {}
    for link in links:
        by_type.setdefault(link.content_type_id, []).append(link)
    for type_links in by_type.values():
        content_type = type_links[0].content_type
        if not apps.is_installed(f"apps.{content_type.app_label}"):
            continue
        model = content_type.model_class()
        visible = link_targets_visible(actor=actor, model=model) if model is not None else None
        if visible is None:
            continue
        targets = visible.in_bulk([link.object_id for link in type_links])
        for link in type_links:
            target = targets.get(link.object_id)
            if target is None:
                continue
            url = target.get_absolute_url() if hasattr(target, "get_absolute_url") else None
            views.append(LinkView(link=link, app_label=content_type.app_label,
                                  type_label=str(model._meta.verbose_name).capitalize(), url=url))
    views.sort(key=lambda v: v.link.created_at, reverse=True)
    return views


def initiatives_linked_to(*, actor: Actor, target) -> QuerySet[Initiative]:
    """The other way round, for other apps' pages: the initiatives an object links to."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(type(target))
    ids = InitiativeLink.objects.filter(content_type=content_type, object_id=target.pk).values("initiative_id")
    return initiative_list(actor=actor).filter(pk__in=ids)


# -- cloud cost --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostFigure:
    amount: Decimal
    currency: str
    month: date  # first day of the month


def last_full_month(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    first_this = today.replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return last_prev.replace(day=1), last_prev


def can_see_cloud_cost(actor: Actor, initiative: Initiative) -> bool:
    """The costs app's rule carries over: finance and the CTO see every initiative's cloud cost,
    an EM those of their teams' initiatives; everyone else sees the benefits without the cost."""
    teams = cost_selectors.visible_team_ids(actor)
    return teams is None or initiative.team_id in teams


def monthly_cloud_cost(*, tag: str, today: date | None = None) -> list[CostFigure] | None:
    """The cloud cost of the last full month for resources tagged ``tag`` (``key=value``, or a
    bare value read under the costs app's default tag key), one figure per currency — or None
    when there is no cost data for it (no tag, or no cost fact carries it): never an invented 0."""
    if not tag:
        return None
    start, end = last_full_month(today)
    rows = cost_selectors.cost_by_tag(tag=tag, start=start, end=end)
    if rows is None:
        return None
    return [CostFigure(amount=amount, currency=currency, month=start) for currency, amount in rows]


# -- quarterly summary and benefits roll-up ----------------------------------------------------------
def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter is 1..4")
    start = date(year, 3 * (quarter - 1) + 1, 1)
    end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def parse_quarter(value: str | None, today: date | None = None) -> tuple[int, int]:
    """``2026Q3`` -> (2026, 3); anything else -> the current quarter."""
    today = today or timezone.localdate()
    if value and len(value) == 6 and value[4] in "Qq" and value[:4].isdigit() and value[5] in "1234":
        return int(value[:4]), int(value[5])
    return today.year, (today.month - 1) // 3 + 1


@dataclass
class TeamQuarter:
    team: Team
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_health: dict[str, int] = field(default_factory=dict)
    shipped: list[Initiative] = field(default_factory=list)
    active: int = 0
    stale: int = 0
    milestones_due: int = 0
    milestones_done: int = 0
    updates: int = 0
    hours_estimated: Decimal = Decimal("0")
    hours_measured: Decimal = Decimal("0")
    automations: int = 0


def benefits_rollup(*, actor: Actor, team: str | None = None) -> dict[int, dict]:
    """Hours saved per month per team, over shipped and in-progress automation initiatives
    (estimated and measured), keyed by team id."""
    qs = initiative_list(actor=actor, team=team, kind=Initiative.Kind.AUTOMATION).filter(
        status__in=(Initiative.Status.IN_PROGRESS, Initiative.Status.SHIPPED)
    )
    rows = qs.order_by().values("team_id").annotate(
        estimated=Sum("hours_saved_estimated"), measured=Sum("hours_saved_measured"), count=Count("id"),
    )
    return {
        r["team_id"]: {"estimated": r["estimated"] or Decimal("0"), "measured": r["measured"] or Decimal("0"),
                       "count": r["count"]}
        for r in rows
    }


def quarterly_summary(*, actor: Actor, year: int, quarter: int, team: str | None = None) -> list[TeamQuarter]:
    """Per team with initiatives: what was live in the quarter (started before its end and
    not closed before its start), status and health counts, what shipped, milestones due and
    done, updates posted and hours saved. A fixed number of queries."""
    start, end = quarter_bounds(year, quarter)
    qs = initiative_list(actor=actor, team=team).filter(
        Q(start_date__isnull=True) | Q(start_date__lte=end)
    ).filter(Q(created_at__date__lte=end)).exclude(
        Q(status=Initiative.Status.SHIPPED, shipped_on__lt=start)
    ).prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.filter(
            Q(due_date__range=(start, end)) | Q(done_date__range=(start, end))), to_attr="quarter_milestones"),
    ).annotate(quarter_updates=Count("updates", filter=Q(updates__date__range=(start, end))))
    today = min(timezone.localdate(), end)
    rollup = benefits_rollup(actor=actor, team=team)
    summaries: dict[int, TeamQuarter] = {}
    for item in qs:
        s = summaries.setdefault(item.team_id, TeamQuarter(
            team=item.team, by_status={k: 0 for k in Initiative.Status.values}, by_health={k: 0 for k in Health.values},
        ))
        s.total += 1
        s.by_status[item.status] += 1
        s.by_health[item.health] += 1
        if item.status == Initiative.Status.SHIPPED and item.shipped_on and start <= item.shipped_on <= end:
            s.shipped.append(item)
        if item.status in ACTIVE_STATUSES:
            s.active += 1
            if item.is_stale(today):
                s.stale += 1
        for m in item.quarter_milestones:
            if start <= m.due_date <= end:
                s.milestones_due += 1
            if m.done_date and start <= m.done_date <= end:
                s.milestones_done += 1
        s.updates += item.quarter_updates
    for team_id, s in summaries.items():
        r = rollup.get(team_id)
        if r:
            s.hours_estimated, s.hours_measured, s.automations = r["estimated"], r["measured"], r["count"]
    return sorted(summaries.values(), key=lambda s: s.team.name)


def link_target_choices() -> list[tuple[str, str]]:
    """``app.model`` choices for the link form: models of the installed apps that may link."""
    from apps.initiatives.services import link_target_apps

    choices: list[tuple[str, str]] = []
    for label in link_target_apps():
        if not apps.is_installed(f"apps.{label}"):
            continue
        for model in apps.get_app_config(label).get_models():
            choices.append((f"{label}.{model._meta.model_name}",
                            f"{label.title()} · {str(model._meta.verbose_name).capitalize()}"))
    return choices


@dataclass
class PortfolioSummary:
    total_open: int
    by_health: dict[str, int]
    stale: int
    hours_estimated: Decimal
    hours_measured: Decimal


def portfolio_summary(*, actor: Actor, today: date | None = None) -> PortfolioSummary:
    """For the CTO dashboard: open initiatives by health, how many are stale, and the hours
    saved a month by automation (in progress and shipped). Three queries."""
    today = today or timezone.localdate()
    open_qs = initiative_list(actor=actor).filter(status__in=ACTIVE_STATUSES + (Initiative.Status.PAUSED,))
    by_health = {h: 0 for h in Health.values}
    for row in open_qs.order_by().values("health").annotate(n=Count("id")):
        by_health[row["health"]] = row["n"]
    stale = initiative_list(actor=actor, stale=True, today=today).count()
    rollup = benefits_rollup(actor=actor)
    return PortfolioSummary(
        total_open=sum(by_health.values()), by_health=by_health, stale=stale,
        hours_estimated=sum((r["estimated"] for r in rollup.values()), Decimal("0")),
        hours_measured=sum((r["measured"] for r in rollup.values()), Decimal("0")),
    )
