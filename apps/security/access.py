"""Who may do what in the security app (built on ``apps.core.access``).

- Everyone signed in with a person record asks questions (anonymously if they wish), votes,
  acknowledges bulletins meant for them, reads published questions, the FAQ, the bulletins
  addressed to them and their own trainings.
- Security managers — the CTO and the tech lead(s) of the security team (a team of kind
  ``security``) — moderate and answer questions, run AMA sessions, publish bulletins, manage
  trainings, controls and evidence, see completion per team and export the evidence pack.
- Service accounts (API) read the same public things as everyone; they have no person, so
  they cannot ask, vote or acknowledge.
"""
from __future__ import annotations

from apps.core.access import Actor
from apps.core.roles import Role

SECURITY_TEAM_KIND = "security"


def is_security_manager(actor: Actor) -> bool:
    if not actor.is_authenticated or actor.is_service:
        return False
    if actor.is_cto:
        return True
    person = actor.person
    return (
        actor.role == Role.TL
        and person is not None
        and person.team_id is not None
        and person.team.kind == SECURITY_TEAM_KIND
    )


def is_participant(actor: Actor) -> bool:
    """A signed-in person who can ask, vote and acknowledge."""
    return actor.is_authenticated and not actor.is_service and actor.person is not None
