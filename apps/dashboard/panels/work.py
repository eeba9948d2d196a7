"""Work panels: action items, this week's syncs and their open agenda, review cycles,
initiatives, infrastructure requests and findings. Each reads through its app's selectors."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Case, Count, IntegerField, Min, Prefetch, Q, Value, When
from django.urls import reverse

from apps.dashboard.panels import Panel, PanelContext


# -- Syncs ------------------------------------------------------------------------------------------
def _meetings(ctx: PanelContext, *, kind: str | None, days_ahead: int | None, limit: int) -> list[dict]:
    """Meetings the actor sees with their open agenda items (two queries)."""
    from apps.syncs import selectors
    from apps.syncs.models import AgendaItem, Meeting

    if days_ahead is None:
        qs = selectors.meeting_list(actor=ctx.actor, date_from=ctx.week_start, date_to=ctx.week_end)
    else:
        qs = selectors.meeting_list(actor=ctx.actor).filter(
            scheduled_at__gte=ctx.now - timedelta(hours=2), scheduled_at__lte=ctx.now + timedelta(days=days_ahead))
    if kind:
        qs = qs.filter(series__kind=kind)
    open_agenda = AgendaItem.objects.filter(status=AgendaItem.Status.OPEN).select_related("presenter") \
        .order_by("order", "id")
    meetings = (qs.exclude(status=Meeting.Status.CANCELLED)
                .prefetch_related(Prefetch("agenda_items", queryset=open_agenda, to_attr="open_agenda"))
                .order_by("scheduled_at", "pk")[:limit])
    return [
        {"title": m.title or m.series.title, "kind": m.series.get_kind_display(), "scheduled_at": m.scheduled_at,
         "status": m.get_status_display(), "url": m.get_absolute_url(),
         "open_agenda": [{"title": a.title, "presenter": a.presenter.full_name if a.presenter else None}
                         for a in m.open_agenda[:6]],
         "open_agenda_count": len(m.open_agenda)}
        for m in meetings
    ]


def week_syncs(ctx: PanelContext) -> Panel | None:
    if not ctx.actor.is_authenticated:
        return None
    return Panel("week_syncs", "This week's syncs", {
        "week_start": ctx.week_start, "week_end": ctx.week_end,
        "meetings": _meetings(ctx, kind=None, days_ahead=None, limit=15),
    }, reverse("syncs:calendar"), "Calendar")


def my_syncs(ctx: PanelContext) -> Panel | None:
    if ctx.actor.person is None:
        return None
    return Panel("my_syncs", "Your syncs this week", {
        "week_start": ctx.week_start, "week_end": ctx.week_end,
        "meetings": _meetings(ctx, kind=None, days_ahead=None, limit=10),
    }, reverse("syncs:series-list"), "All syncs")


def product_syncs(ctx: PanelContext) -> Panel | None:
    from apps.syncs.models import SyncSeries

    if ctx.actor.person is None:
        return None
    return Panel("product_syncs", "Product Sync", {
        "meetings": _meetings(ctx, kind=SyncSeries.Kind.PRODUCT, days_ahead=14, limit=4),
    }, reverse("syncs:series-list") + f"?kind={SyncSeries.Kind.PRODUCT}", "Product syncs")


def overdue_actions(ctx: PanelContext) -> Panel | None:
    """Overdue action items counted per owner (one grouped query and one total)."""
    from apps.syncs import selectors

    if not ctx.actor.is_authenticated:
        return None
    qs = selectors.action_item_list(actor=ctx.actor, overdue=True).order_by()
    rows = (qs.values("owner_id", "owner__full_name").annotate(n=Count("pk"), oldest=Min("due_date"))
            .order_by("-n", "oldest", "owner__full_name")[:10])
    owners = [{"owner": r["owner__full_name"], "count": r["n"], "oldest_due": r["oldest"],
               "days_overdue": (ctx.today - r["oldest"]).days if r["oldest"] else None,
               "url": reverse("org:person-detail", args=[r["owner_id"]])} for r in rows]
    totals = qs.aggregate(items=Count("pk"), owners=Count("owner_id", distinct=True))
    return Panel("overdue_actions", "Overdue action items by owner",
                 {"count": totals["items"], "owner_count": totals["owners"], "owners": owners},
                 reverse("syncs:actions-by-owner"), "By owner")


def my_actions(ctx: PanelContext) -> Panel | None:
    from apps.syncs import selectors

    if ctx.actor.person is None:
        return None
    qs = selectors.my_action_items(actor=ctx.actor)
    counts = qs.order_by().aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=ctx.today)))
    items = [{"title": a.title, "due_date": a.due_date, "overdue": a.is_overdue(ctx.today),
              "series": a.series.title, "url": a.meeting.get_absolute_url() if a.meeting_id else
              a.series.get_absolute_url()} for a in qs[:10]]
    return Panel("my_actions", "Your action items", {"open": counts["open"], "overdue": counts["overdue"],
                                                      "items": items},
                 reverse("syncs:my-actions"), "All my actions")


# -- Reviews -----------------------------------------------------------------------------------------
def review_cycles(ctx: PanelContext) -> Panel | None:
    """Open cycles: the stage, its deadline, and how many self/manager reviews are in (counts
    only: no one's review content)."""
    from apps.reviews import selectors
    from apps.reviews.models import ReviewCycle
    from apps.reviews.policy import sees_all

    if not sees_all(ctx.actor):
        return None
    S = ReviewCycle.Stage
    cycles = list(selectors.cycle_list(actor=ctx.actor).filter(
        stage__in=[S.SELF_REVIEW, S.MANAGER_REVIEW, S.CALIBRATION, S.SHARED])[:5])
    counts = {
        r["cycle_id"]: r for r in selectors.review_list(actor=ctx.actor).filter(cycle__in=[c.pk for c in cycles])
        .order_by().values("cycle_id").annotate(
            total=Count("pk"), self_done=Count("pk", filter=Q(self_submitted_at__isnull=False)),
            manager_done=Count("pk", filter=Q(manager_submitted_at__isnull=False)),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)))
    }
    items = []
    for c in cycles:
        row = counts.get(c.pk, {"total": 0, "self_done": 0, "manager_done": 0, "acknowledged": 0})
        due = c.due_for_stage()
        total = row["total"]
        items.append({
            "name": c.name, "stage": c.get_stage_display(), "due": due,
            "days_left": (due - ctx.today).days if due else None, "late": bool(due and due < ctx.today),
            "total": total, "self_done": row["self_done"], "manager_done": row["manager_done"],
            "acknowledged": row["acknowledged"],
            "self_percent": round(row["self_done"] * 100 / total) if total else 0,
            "manager_percent": round(row["manager_done"] * 100 / total) if total else 0,
            "url": c.get_absolute_url(),
        })
    return Panel("review_cycles", "Review cycles", {"cycles": items}, reverse("reviews:home"), "Reviews")


# -- Initiatives -------------------------------------------------------------------------------------
def initiatives(ctx: PanelContext) -> Panel | None:
    """Open initiatives by health; the red and amber ones first; the stale ones."""
    from apps.initiatives import selectors
    from apps.initiatives.models import ACTIVE_STATUSES, Health, Initiative

    if not ctx.actor.is_authenticated:
        return None
    open_statuses = (*ACTIVE_STATUSES, Initiative.Status.PAUSED)
    open_qs = selectors.initiative_list(actor=ctx.actor).filter(status__in=open_statuses)
    by_health = dict.fromkeys(Health.values, 0)
    for row in open_qs.order_by().values("health").annotate(n=Count("pk")):
        by_health[row["health"]] = row["n"]
    rank = Case(When(health=Health.RED, then=Value(0)), When(health=Health.AMBER, then=Value(1)),
                default=Value(2), output_field=IntegerField())
    attention = open_qs.filter(health__in=[Health.RED, Health.AMBER]).annotate(rank=rank) \
        .order_by("rank", "target_date", "title", "pk")[:8]
    stale_qs = selectors.initiative_list(actor=ctx.actor, stale=True, today=ctx.today)
    stale = list(stale_qs.order_by("last_update_on", "title", "pk")[:6])

    def row(i):
        return {"title": i.title, "health": i.health, "health_label": i.get_health_display(),
                "status": i.get_status_display(), "team": i.team.name if i.team_id else None,
                "owner": i.owner.full_name if i.owner_id else None, "target_date": i.target_date,
                "last_update_on": i.last_update_on, "url": i.get_absolute_url()}

    return Panel("initiatives", "AI and Data initiatives by health", {
        "open": sum(by_health.values()), "by_health": by_health, "stale_count": stale_qs.count(),
        "attention": [row(i) for i in attention], "stale": [row(i) for i in stale],
    }, reverse("initiatives:board") + "?group=health", "Portfolio")


# -- Infrastructure ----------------------------------------------------------------------------------
def infra_requests(ctx: PanelContext) -> Panel | None:
    """Submitted requests past their service level (no decision by ``due_at``)."""
    from apps.infra import policy, selectors

    if not policy.can_read(ctx.actor):
        return None
    qs = selectors.infra_request_visible(actor=ctx.actor).filter(status="submitted", due_at__lt=ctx.now)
    items = [{"title": r.title, "team": r.team.name, "requester": r.requester.full_name, "kind": r.get_kind_display(),
              "due_at": r.due_at, "days_late": (ctx.now - r.due_at).days, "url": r.get_absolute_url()}
             for r in qs.order_by("due_at", "pk")[:8]]
    return Panel("infra_requests", "Infrastructure requests past their service level",
                 {"count": qs.count(), "items": items}, reverse("infra:request-list") + "?overdue=1", "Requests")


def team_findings(ctx: PanelContext) -> Panel | None:
    """Open inventory findings (untagged, idle) of the actor's teams."""
    from apps.infra import policy, selectors
    from apps.infra.models import Finding

    if not policy.can_read(ctx.actor) or ctx.actor.is_service:
        return None
    qs = selectors.finding_list(actor=ctx.actor)
    labels = dict(Finding.Kind.choices)
    by_kind = [{"kind": r["kind"], "label": labels.get(r["kind"], r["kind"]), "count": r["n"]}
               for r in qs.order_by().values("kind").annotate(n=Count("pk")).order_by("-n", "kind")]
    items = [{"resource": f.resource.name or f.resource.resource_id, "kind": labels.get(f.kind, f.kind),
              "team": f.team.name if f.team_id else None, "detail": f.detail,
              "url": f.resource.get_absolute_url()} for f in qs.order_by("-first_detected_at", "pk")[:8]]
    return Panel("team_findings", "Inventory findings of your teams",
                 {"count": sum(k["count"] for k in by_kind), "by_kind": by_kind, "items": items},
                 reverse("infra:finding-list"), "Findings")
