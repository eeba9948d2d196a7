"""The access policy: the one place that answers "may this user see or change this?".

Selectors in every app start from :func:`get_actor` and the predicates below, so a page,
the API and an export can never disagree. Rules (ARCHITECTURE.md, "Access policy"):

- The CTO sees everything. Superusers without a person record act as the CTO.
- EMs (and anyone with reports) see their reporting chain: everyone below them.
- Compensation and reviews: the person themself, their manager chain, HR and the CTO.
- Objects a user may not see answer 404 (use :func:`get_visible_or_404`), so their
  existence does not leak; whole pages a role may not use answer 403.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.http import Http404

from apps.core.roles import Role

if TYPE_CHECKING:  # pragma: no cover
    from apps.org.models import Person

ACTOR_CACHE_ATTR = "_portal_actor"


@dataclass
class Actor:
    """Who is asking: their role, their person record and their place in the org."""

    user: Any = None
    role: str | None = None
    person: Person | None = None
    service_account: Any = None
    _manager_map: dict[int, int | None] | None = field(default=None, repr=False)

    # -- role tests ---------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return self.role is not None

    @property
    def is_cto(self) -> bool:
        return self.role == Role.CTO

    @property
    def is_hr(self) -> bool:
        return self.role == Role.HR

    @property
    def is_service(self) -> bool:
        return self.service_account is not None

    @property
    def person_id(self) -> int | None:
        return self.person.pk if self.person else None

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    # -- the reporting chain --------------------------------------------------------------
    def _managers(self) -> dict[int, int | None]:
        """person id -> manager id for the whole org, in one query, once per actor."""
        if self._manager_map is None:
            Person = apps.get_model("org", "Person")
            self._manager_map = dict(Person.objects.values_list("id", "manager_id"))
        return self._manager_map

    @cached_property
    def report_ids(self) -> frozenset[int]:
        """Everyone below this actor in the reporting chain (direct and indirect)."""
        if not self.person:
            return frozenset()
        children: dict[int, list[int]] = {}
        for pid, mid in self._managers().items():
            if mid is not None:
                children.setdefault(mid, []).append(pid)
        seen: set[int] = set()
        stack = list(children.get(self.person.pk, []))
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            stack.extend(children.get(pid, []))
        return frozenset(seen)

    def manager_chain_of(self, person_id: int) -> list[int]:
        """The managers above ``person_id``, nearest first (cycle-safe)."""
        managers = self._managers()
        chain: list[int] = []
        current = managers.get(person_id)
        while current is not None and current not in chain:
            chain.append(current)
            current = managers.get(current)
        return chain

    def manages(self, person_id: int | None) -> bool:
        return person_id is not None and person_id in self.report_ids

    # -- the policy ------------------------------------------------------------------------
    def can_manage_people(self) -> bool:
        """Create, edit, deactivate and import people and teams."""
        return self.role in (Role.CTO, Role.HR)

    def can_view_sensitive_person_data(self, person_id: int | None) -> bool:
        """Compensation and reviews: self, manager chain, HR, CTO. Never a peer."""
        if person_id is None or not self.is_authenticated or self.is_service:
            return False
        if self.role in (Role.CTO, Role.HR):
            return True
        return person_id == self.person_id or self.manages(person_id)

    def can_view_audit(self) -> bool:
        return self.is_cto

    def can_see_person(self, person: Person) -> bool:
        """The directory is open to everyone signed in; people who left only to CTO/HR
        and their former managers."""
        if not self.is_authenticated:
            return False
        if person.is_active or self.role in (Role.CTO, Role.HR):
            return True
        return self.manages(person.pk)


ANONYMOUS = Actor()


def get_actor(user: Any) -> Actor:
    """The :class:`Actor` for a request user, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, ACTOR_CACHE_ATTR, None)
    if cached is not None:
        return cached
    Person = apps.get_model("org", "Person")
    ServiceAccount = apps.get_model("core", "ServiceAccount")
    actor: Actor
    # People first (every page view); a service account's user never has a person record.
    person = Person.objects.select_related("team").filter(user=user).first()
    if person is not None and person.is_active:
        actor = Actor(user=user, role=person.role, person=person)
    elif (service := ServiceAccount.objects.filter(user=user, is_active=True).first()) is not None:
        actor = Actor(user=user, role=service.role, service_account=service)
    elif user.is_superuser:
        actor = Actor(user=user, role=Role.CTO, person=person)
    else:
        actor = Actor(user=user, role=None)
    setattr(user, ACTOR_CACHE_ATTR, actor)
    return actor


def require_role(actor: Actor, *roles: str) -> None:
    """Refuse (403) a whole page or action the actor's role may not use."""
    if not actor.is_authenticated or actor.role not in roles:
        raise PermissionDenied("Your role may not use this page.")


def get_visible_or_404(queryset, **lookup):
    """Fetch from an already-scoped queryset; anything outside it is simply not found."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from None


