"""Who may do what with initiatives. Built on the portal's one access policy
(:mod:`apps.core.access`); selectors, services, pages and the API all ask here.

- Read: everyone signed in with a portal role (people and service accounts).
- Create: the CTO, EMs, TLs and PMs (engineers own initiatives but do not open them).
- Edit (fields, status, milestones, links, status updates): the owner, the CTO, and the
  team's EM/TL: an EM or TL of the initiative's team, its team lead, or an EM/TL whose
  reporting chain holds the team lead or the owner.
- Status updates from tools: service accounts whose role is ``service`` or ``cto``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from apps.core.access import Actor
from apps.core.roles import Role

if TYPE_CHECKING:  # pragma: no cover
    from apps.initiatives.models import Initiative
    from apps.org.models import Team

CREATE_ROLES = frozenset({Role.CTO, Role.EM, Role.TL, Role.PM})
SERVICE_UPDATE_ROLES = frozenset({Role.SERVICE, Role.CTO})


def can_read(actor: Actor) -> bool:
    return actor.is_authenticated


def can_create(actor: Actor) -> bool:
    return actor.role in CREATE_ROLES


def leads_team(actor: Actor, team: Team | None) -> bool:
    """The team's EM or TL (see the module docstring)."""
    if team is None or actor.person is None or actor.role not in (Role.EM, Role.TL):
        return False
    if actor.person.team_id == team.pk or team.lead_id == actor.person_id:
        return True
    return actor.manages(team.lead_id)


def can_edit(actor: Actor, initiative: Initiative) -> bool:
    if not actor.is_authenticated:
        return False
    if actor.is_cto:
        return True
    if actor.is_service or actor.person is None:
        return False
    if initiative.owner_id == actor.person_id:
        return True
    if leads_team(actor, initiative.team):
        return True
    return actor.role in (Role.EM, Role.TL) and actor.manages(initiative.owner_id)


def can_post_update(actor: Actor, initiative: Initiative) -> bool:
    if actor.is_service:
        return actor.role in SERVICE_UPDATE_ROLES
    return can_edit(actor, initiative)


def can_create_for(actor: Actor, *, team: Team, owner_id: int | None) -> bool:
    """May the actor open an initiative for this team and owner? The CTO anywhere; EMs/TLs
    for their teams; anyone allowed to create, when they own it themself."""
    if not can_create(actor):
        return False
    if actor.is_cto:
        return True
    if actor.person is not None and owner_id == actor.person_id:
        return True
    return leads_team(actor, team) or (actor.role in (Role.EM, Role.TL) and actor.manages(owner_id))
