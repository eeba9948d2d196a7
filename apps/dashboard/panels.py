"""The home page's panels. Each panel reads one app through that app's own selector (scoped
to the actor), so the dashboard can never show what the app itself would hide. A panel whose
app has nothing for this actor returns None and is left out."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from apps.core.access import Actor


@dataclass
class Panel:
    key: str
    title: str
    template: str
    data: Any
    link: str | None = None
    link_label: str = "Open"
    width: str = "col-lg-6"


def org_panel(actor: Actor) -> Panel | None:
    from apps.org import selectors

    reports = selectors.direct_reports(actor=actor)
    if not reports:
        return None
    return Panel("org", "Your direct reports", "dashboard/panels/org.html", reports, reverse("org:direct-reports"))


def syncs_panel(actor: Actor) -> Panel | None:
    from apps.syncs import selectors

    summary = selectors.syncs_summary(actor=actor)
    return Panel("syncs", "Syncs this week", "dashboard/panels/syncs.html", summary, reverse("syncs:series-list"),
                 "All syncs")


def security_panel(actor: Actor) -> Panel | None:
    from apps.security import selectors

    if actor.is_service:
        return None
    summary = selectors.security_summary(actor=actor)
    return Panel("security", "Security", "dashboard/panels/security.html", summary, reverse("security:home"),
                 "Security")


def costs_panel(actor: Actor) -> Panel | None:
    from django.utils import timezone

    from apps.costs import selectors

    summary = selectors.cost_summary(actor=actor, today=timezone.localdate())
    if summary is None:
        return None
    return Panel("costs", "Cloud and tool spend", "dashboard/panels/costs.html", summary, reverse("costs:overview"),
                 "Cost explorer")


def infra_panel(actor: Actor) -> Panel | None:
    from apps.infra import selectors
    from apps.infra.policy import PAGE_ROLES

    if actor.role not in PAGE_ROLES or actor.is_service:
        return None
    data = {
        "resources": selectors.inventory_summary(actor=actor),
        "findings": selectors.finding_list(actor=actor).count(),
    }
    return Panel("infra", "Infrastructure", "dashboard/panels/infra.html", data, reverse("infra:finding-list"),
                 "Findings")


def reviews_panel(actor: Actor) -> Panel | None:
    from apps.reviews import selectors

    to_write = list(selectors.reviews_to_write(actor=actor).select_related("subject", "cycle")[:8])
    to_acknowledge = [r for r in selectors.own_review_list(actor=actor)[:5]
                      if r.cycle.stage in ("shared", "closed") and r.acknowledged_at is None]
    if not to_write and not to_acknowledge:
        return None
    return Panel("reviews", "Reviews", "dashboard/panels/reviews.html",
                 {"to_write": to_write, "to_acknowledge": to_acknowledge}, reverse("reviews:home"), "Reviews")


def knowledge_panel(actor: Actor) -> Panel | None:
    from apps.knowledge import selectors

    upcoming = list(selectors.session_list(actor=actor, when="upcoming", include_cancelled=False)[:3])
    if not upcoming:
        return None
    return Panel("knowledge", "Tech Monthly and talks", "dashboard/panels/knowledge.html", upcoming,
                 reverse("knowledge:session-list"), "Sessions")


def initiatives_panel(actor: Actor) -> Panel | None:
    from apps.initiatives import selectors

    summary = selectors.portfolio_summary(actor=actor)
    if not summary.total_open:
        return None
    return Panel("initiatives", "AI and Data initiatives", "dashboard/panels/initiatives.html", summary,
                 reverse("initiatives:board"), "Portfolio")


BUILDERS: list[Callable[[Actor], Panel | None]] = [
    costs_panel, syncs_panel, reviews_panel, initiatives_panel, security_panel, infra_panel, knowledge_panel,
    org_panel,
]


def panels_for(*, actor: Actor) -> list[Panel]:
    return [panel for build in BUILDERS if (panel := build(actor)) is not None]
