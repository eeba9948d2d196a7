"""Builders for the security tests (on top of the shared ``world`` fixture)."""
from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from apps.core.access import get_actor
from apps.core.roles import Role
from apps.security import services
from apps.security.models import AmaQuestion
from tests.factories import PersonFactory, TeamFactory, UserFactory


def actor(world, role: str = "cto"):
    return get_actor(world.users[role])


def security_tl(world):
    """A tech lead of a security team (kind=security): a security manager besides the CTO."""
    team = TeamFactory(name="Security", slug="security", kind="security")
    user = UserFactory(username="sectl")
    person = PersonFactory(full_name="Sec Lead", email="sectl@example.com", role=Role.TL, team=team,
                           manager=world.cto, user=user)
    world.people["sectl"] = person
    world.users["sectl"] = user
    return person


def ama_session(world, *, title: str = "Security AMA #1", days: int = 1, **extra):
    return services.ama_session_create(actor=actor(world), title=title,
                                       starts_at=timezone.now() + timedelta(days=days), host=world.cto, **extra)


def published_question(world, session, *, body: str = "How do we rotate secrets?", asker_role: str = "engineer"):
    q = services.ama_question_submit(actor=actor(world, asker_role), session=session, body=body, anonymous=False)
    services.ama_question_moderate(actor=actor(world), question=q, status=AmaQuestion.Status.PUBLISHED)
    return q


def bulletin(world, *, title: str = "Rotate your SSH keys", teams=(), roles=(), due: date | None = None, **extra):
    return services.bulletin_publish(
        actor=actor(world), title=title, body="Please **rotate** them.", severity="high", requires_ack=True,
        due_date=due or timezone.localdate() + timedelta(days=14), audience_teams=teams, audience_roles=roles, **extra,
    )


def training(world, *, title: str = "Security awareness 2026", first_due_on: date | None = None, **extra):
    extra.setdefault("kind", "awareness")
    return services.training_create(actor=actor(world), title=title,
                                    first_due_on=first_due_on or timezone.localdate() + timedelta(days=60), **extra)
