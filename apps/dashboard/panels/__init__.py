"""The dashboard's panels and the home page of each role.

Each panel reads one app through that app's own selectors (scoped to the actor), so the
dashboard can never show what the app itself would hide; a builder returns ``None`` when the
actor may not see that app's data, and the panel is left out. Panel data is plain data
(dicts, lists, Decimal, dates) so the same panels back the page, the weekly digest and the API.

Every builder runs a fixed number of queries whatever the size of the data (lists are cut in
SQL, counts are aggregates), which ``tests/dashboard/test_queries.py`` asserts.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role


@dataclass
class Panel:
    key: str
    title: str
    data: Any
    link: str | None = None
    link_label: str = "Open"
    width: str = "col-lg-6"

    @property
    def template(self) -> str:
        return f"dashboard/panels/{self.key}.html"


@dataclass
class PanelContext:
    """What every builder needs: who asks, and "now" fixed once for the whole page."""

    actor: Actor
    now: datetime = field(default_factory=timezone.now)
    request: Any = None

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @property
    def week_start(self) -> date:
        return self.today - timedelta(days=self.today.weekday())

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)


Builder = Callable[[PanelContext], "Panel | None"]


def _views() -> dict[str, list[Builder]]:
    from apps.dashboard.panels import costs, people, security, work

    return {
        # The CTO's "what needs me this week" (issue 10, scope 1).
        "cto": [costs.spend, costs.anomalies, work.overdue_actions, work.week_syncs, work.review_cycles,
                security.completion, security.evidence, work.initiatives, work.infra_requests, costs.renewals,
                security.tech_monthly, security.ama],
        "em": [work.my_syncs, work.my_actions, people.team_reviews, costs.spend, costs.anomalies],
        "tl": [work.my_syncs, work.my_actions, work.team_findings],
        "pm": [work.product_syncs, work.initiatives, work.my_actions],
        "engineer": [work.my_actions, security.trainings_due, security.bulletins, security.talks],
        "finance": [costs.spend, costs.anomalies, costs.renewals, work.my_actions, security.trainings_due,
                    security.bulletins],
        "hr": [work.review_cycles, work.my_actions, security.trainings_due, security.bulletins],
    }


VIEWS: tuple[str, ...] = ("cto", "em", "tl", "pm", "engineer", "finance", "hr")
ROLE_VIEW = {Role.CTO: "cto", Role.EM: "em", Role.TL: "tl", Role.PM: "pm", Role.ENGINEER: "engineer",
             Role.FINANCE: "finance", Role.HR: "hr"}


def view_for(actor: Actor) -> str | None:
    """The home page a role gets (None: a role with no dashboard, e.g. a plain service account)."""
    return ROLE_VIEW.get(actor.role)


def may_read_view(actor: Actor, view: str) -> bool:
    """A person or service account reads the view of its own role; the CTO reads every view."""
    if not actor.is_authenticated or view not in VIEWS:
        return False
    return actor.is_cto or view_for(actor) == view


def panels_for(*, actor: Actor, view: str | None = None, now: datetime | None = None, request=None) -> list[Panel]:
    """The panels of ``view`` (default: the actor's own) that the actor may see."""
    view = view or view_for(actor)
    if view is None:
        return []
    ctx = PanelContext(actor=actor, now=now or timezone.now(), request=request)
    return [panel for build in _views()[view] if (panel := build(ctx)) is not None]
