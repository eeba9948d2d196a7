"""Who may see and do what in infra. Built on the central policy (apps.core.access): the
Actor, its role and its reporting chain. Selectors and services both ask here.

- CTO: everything (the only approver; runs the sync).
- Finance and service accounts (API clients): read every resource, finding and request.
- EMs and TLs: resources and findings of their teams (their own team, the teams of everyone
  below them, the teams they lead) and every request of those teams.
- Engineers and PMs: resources and findings of their own team; their own requests.
- Everyone but finance and HR may file a request (for one of their teams).
- HR: no access (403).
"""
from __future__ import annotations

from apps.core.access import Actor
from apps.core.roles import Role

READ_ROLES = (Role.CTO, Role.EM, Role.TL, Role.PM, Role.ENGINEER, Role.FINANCE, Role.SERVICE)
PAGE_ROLES = (Role.CTO, Role.EM, Role.TL, Role.PM, Role.ENGINEER, Role.FINANCE)
REQUEST_ROLES = (Role.CTO, Role.EM, Role.TL, Role.PM, Role.ENGINEER)
SEE_ALL_ROLES = (Role.CTO, Role.FINANCE, Role.SERVICE)
TEAM_LEADERS = (Role.EM, Role.TL)
_CACHE_ATTR = "_infra_team_ids"


def sees_all(actor: Actor) -> bool:
    return actor.is_authenticated and actor.role in SEE_ALL_ROLES


def team_ids(actor: Actor) -> frozenset[int]:
    """The teams whose resources the actor sees (meaningless when :func:`sees_all`)."""
    cached = getattr(actor, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from apps.org.models import Person, Team

    ids: set[int] = set()
    if actor.is_authenticated and actor.person is not None and actor.role in READ_ROLES:
        if actor.person.team_id:
            ids.add(actor.person.team_id)
        if actor.role in TEAM_LEADERS:
            if actor.report_ids:
                ids.update(
                    Person.objects.filter(pk__in=actor.report_ids, team__isnull=False)
                    .values_list("team_id", flat=True).distinct()
                )
            ids.update(Team.objects.filter(lead=actor.person).values_list("id", flat=True))
    result = frozenset(ids)
    setattr(actor, _CACHE_ATTR, result)
    return result


def can_read(actor: Actor) -> bool:
    return actor.is_authenticated and actor.role in READ_ROLES


def can_create_request(actor: Actor) -> bool:
    return actor.is_authenticated and actor.role in REQUEST_ROLES and not actor.is_service


def can_request_for_team(actor: Actor, team_id: int | None) -> bool:
    if not can_create_request(actor) or team_id is None:
        return False
    return actor.is_cto or team_id in team_ids(actor)


def can_decide(actor: Actor) -> bool:
    """Approve, reject, mark provisioned and link resources: the CTO."""
    return actor.is_authenticated and actor.is_cto and not actor.is_service


def can_sync(actor: Actor) -> bool:
    return actor.is_authenticated and actor.is_cto and not actor.is_service
