"""Every read of the org, already scoped to the asking actor."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from apps.core.access import Actor, get_visible_or_404
from apps.core.roles import Role
from apps.org.models import Person, Team


def person_list(
    *,
    actor: Actor,
    q: str | None = None,
    team: str | None = None,
    role: str | None = None,
    location: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[Person]:
    """The directory. Everyone signed in sees active people; CTO/HR (and managers, for their
    own former reports) also see people who left."""
    if not actor.is_authenticated:
        return Person.objects.none()
    qs = Person.objects.select_related("team", "manager")
    if include_inactive and actor.has_role(Role.CTO, Role.HR):
        pass
    elif include_inactive and actor.report_ids:
        qs = qs.filter(Q(is_active=True) | Q(pk__in=actor.report_ids))
    else:
        qs = qs.filter(is_active=True)
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(email__icontains=q) | Q(title__icontains=q))
    if team:
        qs = qs.filter(team__slug=team)
    if role:
        qs = qs.filter(role=role)
    if location:
        qs = qs.filter(location=location)
    return qs.order_by("full_name", "pk")


def person_visible(*, actor: Actor) -> QuerySet[Person]:
    """Every person record the actor may open (detail pages, API retrieve)."""
    return person_list(actor=actor, include_inactive=True)


def person_get(*, actor: Actor, pk: int) -> Person:
    return get_visible_or_404(person_visible(actor=actor), pk=pk)


def team_list(*, actor: Actor, include_inactive: bool = False) -> QuerySet[Team]:
    if not actor.is_authenticated:
        return Team.objects.none()
    qs = Team.objects.select_related("lead").annotate(
        headcount=Count("members", filter=Q(members__is_active=True)),
        remote_count=Count("members", filter=Q(members__is_active=True, members__location=Person.Location.REMOTE)),
    )
    if not (include_inactive and actor.can_manage_people()):
        qs = qs.filter(is_active=True)
    return qs.order_by("name")


def team_get(*, actor: Actor, slug: str) -> Team:
    return get_visible_or_404(team_list(actor=actor, include_inactive=True), slug=slug)


def team_members(*, actor: Actor, team: Team) -> QuerySet[Person]:
    return person_list(actor=actor).filter(team=team)


# -- Reporting lines ----------------------------------------------------------------------------
@dataclass
class OrgNode:
    person: Person
    children: list[OrgNode] = field(default_factory=list)
    headcount: int = 0  # everyone below, direct and indirect


def _active_people() -> list[Person]:
    return list(Person.objects.filter(is_active=True).select_related("team").order_by("full_name", "pk"))


def _build_tree(people: list[Person]) -> tuple[list[OrgNode], dict[int, OrgNode]]:
    nodes = {p.pk: OrgNode(person=p) for p in people}
    roots: list[OrgNode] = []
    for p in people:
        parent = nodes.get(p.manager_id) if p.manager_id else None
        (parent.children if parent else roots).append(nodes[p.pk])

    def count(node: OrgNode, depth: int = 0) -> int:
        if depth > len(nodes):  # defensive: a cycle would otherwise recurse forever
            return 0
        node.headcount = sum(1 + count(child, depth + 1) for child in node.children)
        return node.headcount

    for root in roots:
        count(root)
    # Roles first so the CTO's EMs and TLs lead the list, then names.
    role_order = {r: i for i, r in enumerate([Role.CTO, Role.EM, Role.TL, Role.PM, Role.HR, Role.FINANCE, Role.ENGINEER])}
    for node in nodes.values():
        node.children.sort(key=lambda n: (role_order.get(n.person.role, 99), n.person.full_name))
    return roots, nodes


def org_chart(*, actor: Actor) -> list[OrgNode]:
    """The whole active org as a tree (two queries whatever its size)."""
    if not actor.is_authenticated:
        return []
    roots, _ = _build_tree(_active_people())
    return roots


def direct_reports(*, actor: Actor, manager: Person | None = None) -> list[OrgNode]:
    """The direct reports of ``manager`` (default: the actor; for a CTO without a person
    record, the top of the org) with headcount below each."""
    if not actor.is_authenticated:
        return []
    roots, nodes = _build_tree(_active_people())
    manager = manager or actor.person
    if manager is None:
        if not actor.is_cto:
            return []
        top = [n for n in roots if n.person.role == Role.CTO]
        return top[0].children if top else roots
    node = nodes.get(manager.pk)
    return node.children if node else []


def visible_for_model(*, actor: Actor, model) -> QuerySet | None:
    """The objects of one of this app's models the actor may see, for other apps that point at
    them (initiative links, when INITIATIVE_LINK_APPS names org); None for any other model."""
    if model is Team:
        return team_list(actor=actor, include_inactive=True)
    if model is Person:
        return person_visible(actor=actor)
    return None
