"""Who sees which costs: the roles that see and change costs, the teams an actor's costs are
scoped to, and the queryset filter every other selector applies (see the package docstring)."""
from __future__ import annotations

from django.db.models import QuerySet

from apps.core.access import Actor
from apps.core.roles import Role
from apps.org.models import Person, Team

COST_VIEW_ROLES = (Role.CTO, Role.FINANCE, Role.EM)
COST_ADMIN_ROLES = (Role.CTO, Role.FINANCE)


def can_view_costs(actor: Actor) -> bool:
    return actor.is_authenticated and actor.role in COST_VIEW_ROLES


def can_admin_costs(actor: Actor) -> bool:
    return actor.is_authenticated and actor.role in COST_ADMIN_ROLES


def visible_team_ids(actor: Actor) -> frozenset[int] | None:
    """None: every team and unallocated costs. Otherwise the only teams whose costs the actor sees."""
    if can_admin_costs(actor):
        return None
    if not can_view_costs(actor) or actor.person is None:
        return frozenset()
    cached = getattr(actor, "_cost_team_ids", None)
    if cached is None:
        ids = set(Person.objects.filter(pk__in=actor.report_ids, team__isnull=False).values_list("team_id", flat=True))
        if actor.person.team_id:
            ids.add(actor.person.team_id)
        cached = frozenset(ids)
        actor._cost_team_ids = cached
    return cached


def _scope(qs: QuerySet, actor: Actor, team_field: str = "team") -> QuerySet:
    team_ids = visible_team_ids(actor)
    if team_ids is None:
        return qs
    return qs.filter(**{f"{team_field}__in": team_ids})


def team_choices(*, actor: Actor) -> QuerySet[Team]:
    return _scope(Team.objects.filter(is_active=True), actor, "pk").order_by("name")
