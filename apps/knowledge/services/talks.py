"""Talks on an agenda: add, edit, move, give again, offer again, share feedback."""
from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.knowledge import policy
from apps.knowledge.models import (
    Proposal,
    Session,
    Talk,
    Track,
)
from apps.knowledge.services._common import (
    _check_fits,
    _clean_minutes,
    _clean_text,
    _clean_track,
    _clean_url,
    _locked_session,
    _next_position,
)
from apps.org.models import Person


# -- Talks ------------------------------------------------------------------------------------------------
@transaction.atomic
def talk_create(*, actor: Actor, session: Session, title: str, speakers: Iterable[Person], abstract: str = "",
                track: str = Track.OTHER, duration_minutes: int = 20, slides_url: str = "",
                recording_url: str = "") -> Talk:
    """A talk put straight on an agenda by the CTO or the host (e.g. an invited speaker)."""
    session = _locked_session(session)
    policy.require(policy.can_manage_session(actor, session),
                   "Only the CTO and this session's host may add talks to it.")
    speakers = list(speakers)
    if not speakers:
        raise ValidationError({"speakers": "A talk needs at least one speaker."})
    minutes = _clean_minutes(duration_minutes)
    talk = Talk(
        session=session, title=_clean_text(title, field_name="title", max_length=200),
        abstract=_clean_text(abstract, field_name="abstract", max_length=20000, required=False),
        track=_clean_track(track), duration_minutes=minutes,
        slides_url=_clean_url(slides_url, field_name="slides_url"),
        recording_url=_clean_url(recording_url, field_name="recording_url"),
    )
    _check_fits(session, minutes)
    talk.position = _next_position(session)
    talk.save()
    talk.speakers.set(speakers)
    return talk


@transaction.atomic
def talk_update(*, actor: Actor, talk: Talk, **fields) -> Talk:
    """Speakers, the host and the CTO edit a talk; a longer talk must still fit its session."""
    policy.require(policy.can_edit_talk(actor, talk), "Only the speakers, the host and the CTO may edit this talk.")
    session = _locked_session(talk.session)
    for name, value in fields.items():
        if name == "title":
            talk.title = _clean_text(value, field_name="title", max_length=200)
        elif name == "abstract":
            talk.abstract = _clean_text(value, field_name="abstract", max_length=20000, required=False)
        elif name == "track":
            talk.track = _clean_track(value)
        elif name == "duration_minutes":
            talk.duration_minutes = _clean_minutes(value)
        elif name in ("slides_url", "recording_url"):
            setattr(talk, name, _clean_url(value, field_name=name))
        elif name == "speakers":
            if not list(value):
                raise ValidationError({"speakers": "A talk needs at least one speaker."})
        else:
            raise ValidationError({name: "Unknown field."})
    if "duration_minutes" in fields:
        _check_fits(session, talk.duration_minutes, exclude=talk, field_name="duration_minutes")
    talk.save()
    if "speakers" in fields:
        talk.speakers.set(list(fields["speakers"]))
    return talk


@transaction.atomic
def talk_move(*, actor: Actor, talk: Talk, session: Session) -> Talk:
    """Move a talk to another session (pretalx can't): the CTO, or a host of both sessions."""
    talk = Talk.objects.select_for_update().get(pk=talk.pk)
    target = _locked_session(session)
    policy.require(
        policy.can_manage_session(actor, talk.session) and policy.can_manage_session(actor, target),
        "Only the CTO, or a host of both sessions, may move a talk.",
    )
    if target.pk == talk.session_id:
        raise ValidationError({"session": "The talk is already in this session."})
    if target.ends_at < timezone.now():
        raise ValidationError({"session": f"“{target}” is over; pick an upcoming session."})
    if talk.feedback.exists():
        raise ValidationError({"session": "This talk has feedback, so it was given: give it again instead."})
    _check_fits(target, talk.duration_minutes)
    talk.session = target
    talk.position = _next_position(target)
    talk.save(update_fields=["session", "position", "updated_at"])
    return talk


@transaction.atomic
def talk_give_again(*, actor: Actor, talk: Talk, session: Session) -> Talk:
    """Give a talk again in another session: a new talk with the same content and speakers,
    linked to the first; feedback and the recording stay with each occurrence. Scheduling is
    curation (the CTO or the target's host); a speaker offers a repeat with talk_propose_again."""
    target = _locked_session(session)
    policy.require(
        policy.can_manage_session(actor, target),
        "Only the CTO and the target session's host may schedule a talk again.",
    )
    if target.pk == talk.session_id:
        raise ValidationError({"session": "The talk is already in this session."})
    if target.ends_at < timezone.now():
        raise ValidationError({"session": f"“{target}” is over; pick an upcoming session."})
    _check_fits(target, talk.duration_minutes)
    again = Talk.objects.create(
        session=target, title=talk.title, abstract=talk.abstract, track=talk.track,
        duration_minutes=talk.duration_minutes, slides_url=talk.slides_url, position=_next_position(target),
        given_again_from=talk.given_again_from or talk,
    )
    again.speakers.set(talk.speakers.all())
    return again


@transaction.atomic
def talk_propose_again(*, actor: Actor, talk: Talk) -> Proposal:
    """A speaker offers their talk again: a backlog proposal with the same content, which the
    CTO or a host schedules like any other (the new talk then links to the first)."""
    policy.require(policy.is_speaker(actor, talk), "Only the speakers may offer their talk again.")
    original = talk.given_again_from or talk
    if Proposal.objects.filter(repeat_of=original, status=Proposal.Status.BACKLOG).exists():
        raise ValidationError({"talk": "This talk is already in the backlog to be given again."})
    proposal = Proposal.objects.create(
        title=talk.title, abstract=talk.abstract, track=talk.track, duration_minutes=talk.duration_minutes,
        proposer=actor.person, repeat_of=original,
    )
    proposal.co_speakers.set([p for p in talk.speakers.all() if p.pk != actor.person_id])
    return proposal


@transaction.atomic
def talk_share_feedback(*, actor: Actor, talk: Talk, shared: bool) -> Talk:
    policy.require(policy.is_speaker(actor, talk), "Only the speakers may share their feedback.")
    Talk.objects.filter(pk=talk.pk).update(feedback_shared=bool(shared))
    talk.feedback_shared = bool(shared)
    return talk
