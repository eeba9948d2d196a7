"""Who may do what in knowledge sharing, built on :mod:`apps.core.access`.

- Everyone signed in with a person record sees sessions, talks and the library, proposes,
  votes, checks in and gives feedback.
- The CTO and session hosts curate: schedule proposals (a host only into a session they host),
  reject them, move talks, edit sessions they host, import attendance.
- Feedback comments: the author, the talk's speakers, the session's host and the CTO; everyone
  once the speakers share it. Who wrote a comment: only the CTO and the host (and the author).
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied

from apps.core.access import Actor
from apps.knowledge.models import Session, SessionSeries, Talk


def is_host(actor: Actor) -> bool:
    """Hosts a series or any session (memoised on the actor for the request)."""
    if not actor.person_id:
        return False
    cached = getattr(actor, "_knowledge_is_host", None)
    if cached is None:
        cached = (
            SessionSeries.objects.filter(host_id=actor.person_id, is_active=True).exists()
            or Session.objects.filter(host_id=actor.person_id).exists()
        )
        actor._knowledge_is_host = cached
    return cached


def can_curate(actor: Actor) -> bool:
    """Schedule, reject, create one-off sessions: the CTO and hosts."""
    return actor.is_cto or is_host(actor)


def can_manage_series(actor: Actor) -> bool:
    return actor.is_cto


def hosts_session(actor: Actor, session: Session) -> bool:
    if not actor.person_id:
        return False
    if session.host_id == actor.person_id:
        return True
    return bool(session.series_id and session.series.host_id == actor.person_id)


def can_manage_session(actor: Actor, session: Session) -> bool:
    """Edit the session, schedule into it, move its talks, import its attendance."""
    return actor.is_cto or hosts_session(actor, session)


def can_edit_talk(actor: Actor, talk: Talk) -> bool:
    if can_manage_session(actor, talk.session):
        return True
    return bool(actor.person_id and any(p.pk == actor.person_id for p in talk.speakers.all()))


def is_speaker(actor: Actor, talk: Talk) -> bool:
    return bool(actor.person_id and any(p.pk == actor.person_id for p in talk.speakers.all()))


def can_read_all_feedback(actor: Actor, talk: Talk) -> bool:
    return talk.feedback_shared or actor.is_cto or is_speaker(actor, talk) or hosts_session(actor, talk.session)


def require_person(actor: Actor) -> None:
    """Proposing, voting, checking in and feedback need a person (not a service account)."""
    if not actor.person_id:
        raise PermissionDenied("Only people may do this, not service accounts.")


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def can_see_feedback_author(actor: Actor, feedback) -> bool:
    """Feedback reaches speakers anonymously (honest feedback); the CTO and the host see who
    wrote it, and everyone sees their own."""
    if actor.person_id and feedback.person_id == actor.person_id:
        return True
    return actor.is_cto or hosts_session(actor, feedback.talk.session)
