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


BUILDERS: list[Callable[[Actor], Panel | None]] = [syncs_panel, security_panel, org_panel]


def panels_for(*, actor: Actor) -> list[Panel]:
    return [panel for build in BUILDERS if (panel := build(actor)) is not None]
