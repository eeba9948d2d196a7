"""Rolling proposals: propose, vote, schedule into a session, reject, withdraw."""
from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.knowledge import policy
from apps.knowledge.models import (
    Proposal,
    ProposalVote,
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


# -- Proposals ------------------------------------------------------------------------------------------
@transaction.atomic
def proposal_create(*, actor: Actor, title: str, abstract: str = "", track: str = Track.OTHER,
                    duration_minutes: int = 20, co_speakers: Iterable[Person] = ()) -> Proposal:
    policy.require_person(actor)
    proposal = Proposal(
        title=_clean_text(title, field_name="title", max_length=200),
        abstract=_clean_text(abstract, field_name="abstract", max_length=20000, required=False),
        track=_clean_track(track),
        duration_minutes=_clean_minutes(duration_minutes),
        proposer=actor.person,
    )
    co = [p for p in co_speakers if p.pk != actor.person_id]
    if any(not p.is_active for p in co):
        raise ValidationError({"co_speakers": "A co-speaker has left the company."})
    proposal.save()
    proposal.co_speakers.set(co)
    return proposal


@transaction.atomic
def proposal_update(*, actor: Actor, proposal: Proposal, **fields) -> Proposal:
    policy.require(actor.person_id == proposal.proposer_id or policy.can_curate(actor),
                   "Only the proposer, the CTO and hosts may edit a proposal.")
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"status": f"This proposal is {proposal.get_status_display().lower()}; "
                                         "only proposals in the backlog can be edited."})
    for name, value in fields.items():
        if name == "title":
            proposal.title = _clean_text(value, field_name="title", max_length=200)
        elif name == "abstract":
            proposal.abstract = _clean_text(value, field_name="abstract", max_length=20000, required=False)
        elif name == "track":
            proposal.track = _clean_track(value)
        elif name == "duration_minutes":
            proposal.duration_minutes = _clean_minutes(value)
        elif name == "co_speakers":
            continue
        else:
            raise ValidationError({name: "Unknown field."})
    proposal.save()
    if "co_speakers" in fields:
        proposal.co_speakers.set([p for p in fields["co_speakers"] if p.pk != proposal.proposer_id])
    return proposal


def proposal_vote(*, actor: Actor, proposal: Proposal) -> tuple[ProposalVote, bool]:
    """Upvote; idempotent: voting again returns the existing vote (created=False). The unique
    constraint is the real guard against two concurrent votes of the same person."""
    policy.require_person(actor)
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"proposal": "Only proposals in the backlog can be voted on."})
    try:
        with transaction.atomic():
            vote, created = ProposalVote.objects.get_or_create(proposal=proposal, person_id=actor.person_id)
    except IntegrityError:
        vote, created = ProposalVote.objects.get(proposal=proposal, person_id=actor.person_id), False
    return vote, created


@transaction.atomic
def proposal_unvote(*, actor: Actor, proposal: Proposal) -> bool:
    """Withdraw one's vote; idempotent (False when there was none)."""
    policy.require_person(actor)
    deleted, _ = ProposalVote.objects.filter(proposal=proposal, person_id=actor.person_id).delete()
    return bool(deleted)


@transaction.atomic
def proposal_schedule(*, actor: Actor, proposal: Proposal, session: Session, slides_url: str = "") -> Talk:
    """Turn a backlog proposal into a talk on ``session``'s agenda, if it fits in the session."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    session = _locked_session(session)
    policy.require(policy.can_manage_session(actor, session),
                   "Only the CTO and this session's host may schedule talks into it.")
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"proposal": f"This proposal is already {proposal.get_status_display().lower()}."})
    if session.ends_at < timezone.now():
        raise ValidationError({"session": f"“{session}” is over; pick an upcoming session."})
    _check_fits(session, proposal.duration_minutes)
    talk = Talk.objects.create(
        session=session, title=proposal.title, abstract=proposal.abstract, track=proposal.track,
        duration_minutes=proposal.duration_minutes, position=_next_position(session), proposal=proposal,
        slides_url=_clean_url(slides_url, field_name="slides_url") or (
            proposal.repeat_of.slides_url if proposal.repeat_of_id else ""),
        given_again_from=proposal.repeat_of,
    )
    talk.speakers.set([proposal.proposer_id, *proposal.co_speakers.values_list("pk", flat=True)])
    proposal.status = Proposal.Status.SCHEDULED
    proposal.decided_by = actor.person
    proposal.decided_at = timezone.now()
    proposal.decision_note = ""
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    return talk


@transaction.atomic
def proposal_reject(*, actor: Actor, proposal: Proposal, note: str) -> Proposal:
    policy.require(policy.can_curate(actor), "Only the CTO and session hosts may reject proposals.")
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    note = _clean_text(note, field_name="note", max_length=2000)
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"proposal": f"This proposal is already {proposal.get_status_display().lower()}."})
    proposal.status = Proposal.Status.REJECTED
    proposal.decision_note = note
    proposal.decided_by = actor.person
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decision_note", "decided_by", "decided_at", "updated_at"])
    return proposal


@transaction.atomic
def proposal_withdraw(*, actor: Actor, proposal: Proposal) -> Proposal:
    policy.require(actor.person_id == proposal.proposer_id, "Only the proposer may withdraw a proposal.")
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"proposal": f"This proposal is already {proposal.get_status_display().lower()}."})
    proposal.status = Proposal.Status.WITHDRAWN
    proposal.save(update_fields=["status", "updated_at"])
    return proposal
