"""Workflows: proposals, voting, scheduling with the length guard, moving and repeating
talks, attendance and feedback."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.knowledge import services
from apps.knowledge.models import Attendance, Feedback, Proposal, ProposalVote, Talk, Track
from tests.knowledge.factories import ProposalFactory, SessionFactory, TalkFactory


def test_proposal_vote_schedule_becomes_a_talk(world, actor, hosted):
    proposal = services.proposal_create(
        actor=actor("engineer"), title="  What we learned moving to Vite ", abstract="**fast**",
        track=Track.FRONTEND, duration_minutes=25, co_speakers=[world.engineer2],
    )
    assert (proposal.title, proposal.status, proposal.proposer) == (
        "What we learned moving to Vite", Proposal.Status.BACKLOG, world.engineer)

    services.proposal_vote(actor=actor("em"), proposal=proposal)
    services.proposal_vote(actor=actor("pm"), proposal=proposal)
    assert proposal.votes.count() == 2

    talk = services.proposal_schedule(actor=actor("tl"), proposal=proposal, session=hosted)

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SCHEDULED
    assert proposal.decided_by == world.tl
    assert (talk.session, talk.title, talk.track, talk.duration_minutes, talk.position) == (
        hosted, "What we learned moving to Vite", Track.FRONTEND, 25, 1)
    assert set(talk.speakers.all()) == {world.engineer, world.engineer2}
    assert talk.proposal == proposal


def test_one_vote_per_person_and_voting_is_idempotent(world, actor):
    proposal = ProposalFactory(proposer=world.engineer2)
    vote, created = services.proposal_vote(actor=actor("engineer"), proposal=proposal)
    again, created_again = services.proposal_vote(actor=actor("engineer"), proposal=proposal)
    assert (created, created_again, again.pk) == (True, False, vote.pk)
    assert ProposalVote.objects.filter(proposal=proposal).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalVote.objects.create(proposal=proposal, person=world.engineer)
    assert services.proposal_unvote(actor=actor("engineer"), proposal=proposal) is True
    assert services.proposal_unvote(actor=actor("engineer"), proposal=proposal) is False
    assert ProposalVote.objects.filter(proposal=proposal).count() == 0


def test_voting_on_a_rejected_proposal_is_refused(world, actor):
    proposal = ProposalFactory(proposer=world.engineer2, status=Proposal.Status.REJECTED)
    with pytest.raises(ValidationError) as exc:
        services.proposal_vote(actor=actor("engineer"), proposal=proposal)
    assert exc.value.message_dict == {"proposal": ["Only proposals in the backlog can be voted on."]}
    assert proposal.votes.count() == 0


def test_schedule_refuses_a_talk_that_would_overrun_the_session(world, actor, hosted):
    TalkFactory(session=hosted, duration_minutes=40, speakers=[world.engineer])
    proposal = ProposalFactory(proposer=world.engineer2, duration_minutes=30)

    with pytest.raises(ValidationError) as exc:
        services.proposal_schedule(actor=actor("cto"), proposal=proposal, session=hosted)

    assert exc.value.message_dict == {"session": [
        "A 30-minute talk would overrun “Tech Monthly — December”: 40 of its 60 minutes are already booked, 20 left."
    ]}
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.BACKLOG
    assert Talk.objects.filter(session=hosted).count() == 1


def test_schedule_fills_the_session_exactly(world, actor, hosted):
    TalkFactory(session=hosted, duration_minutes=40, speakers=[world.engineer])
    proposal = ProposalFactory(proposer=world.engineer2, duration_minutes=20)
    talk = services.proposal_schedule(actor=actor("cto"), proposal=proposal, session=hosted)
    assert (talk.position, services.booked_minutes(hosted)) == (2, 60)


def test_a_host_schedules_only_into_sessions_they_host(world, actor, hosted):
    other = SessionFactory(host=world.tl2)
    proposal = ProposalFactory(proposer=world.engineer2)
    with pytest.raises(PermissionDenied):
        services.proposal_schedule(actor=actor("tl"), proposal=proposal, session=other)
    with pytest.raises(PermissionDenied):
        services.proposal_schedule(actor=actor("engineer"), proposal=proposal, session=hosted)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.BACKLOG
    assert Talk.objects.count() == 0


def test_scheduling_twice_is_refused(world, actor, hosted):
    proposal = ProposalFactory(proposer=world.engineer2)
    services.proposal_schedule(actor=actor("cto"), proposal=proposal, session=hosted)
    with pytest.raises(ValidationError) as exc:
        services.proposal_schedule(actor=actor("cto"), proposal=proposal, session=hosted)
    assert exc.value.message_dict == {"proposal": ["This proposal is already scheduled."]}
    assert Talk.objects.count() == 1


def test_scheduling_into_a_past_session_is_refused(world, actor):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=3), title="Old one")
    proposal = ProposalFactory(proposer=world.engineer2)
    with pytest.raises(ValidationError) as exc:
        services.proposal_schedule(actor=actor("cto"), proposal=proposal, session=past)
    assert exc.value.message_dict == {"session": ["“Old one” is over; pick an upcoming session."]}


def test_reject_needs_a_note_and_a_curator(world, actor, hosted):
    proposal = ProposalFactory(proposer=world.engineer2)
    with pytest.raises(PermissionDenied):
        services.proposal_reject(actor=actor("em"), proposal=proposal, note="no")
    with pytest.raises(ValidationError) as exc:
        services.proposal_reject(actor=actor("tl"), proposal=proposal, note="   ")
    assert exc.value.message_dict == {"note": ["This field is required."]}
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.BACKLOG

    services.proposal_reject(actor=actor("tl"), proposal=proposal, note="Too close to last month's talk.")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note, proposal.decided_by) == (
        Proposal.Status.REJECTED, "Too close to last month's talk.", world.tl)


def test_proposal_bad_input_gets_field_errors(world, actor):
    with pytest.raises(ValidationError) as exc:
        services.proposal_create(actor=actor("engineer"), title="x", track="cooking")
    assert exc.value.message_dict == {"track": ["Unknown track 'cooking'; use one of frontend, backend, data, ai, "
                                                "platform, security, other."]}
    with pytest.raises(ValidationError) as exc:
        services.proposal_create(actor=actor("engineer"), title="x", duration_minutes=500)
    assert exc.value.message_dict == {"duration_minutes": ["Between 5 and 240 minutes."]}
    assert Proposal.objects.count() == 0


def test_move_a_talk_to_another_session(world, actor, hosted):
    later = SessionFactory(host=world.tl, starts_at=timezone.now() + timedelta(days=40))
    TalkFactory(session=later, duration_minutes=30, speakers=[world.em])
    talk = TalkFactory(session=hosted, duration_minutes=20, speakers=[world.engineer])

    moved = services.talk_move(actor=actor("tl"), talk=talk, session=later)

    talk.refresh_from_db()
    assert (moved.pk, talk.session, talk.position) == (talk.pk, later, 2)
    assert Talk.objects.filter(session=hosted).count() == 0


def test_move_respects_the_target_length_and_permissions(world, actor, hosted):
    full = SessionFactory(host=world.tl, duration_minutes=30, title="Short one")
    TalkFactory(session=full, duration_minutes=20, speakers=[world.em])
    talk = TalkFactory(session=hosted, duration_minutes=20, speakers=[world.engineer])
    with pytest.raises(ValidationError) as exc:
        services.talk_move(actor=actor("cto"), talk=talk, session=full)
    assert exc.value.message_dict["session"] == [
        "A 20-minute talk would overrun “Short one”: 20 of its 30 minutes are already booked, 10 left."]
    elsewhere = SessionFactory(host=world.tl2)
    with pytest.raises(PermissionDenied):
        services.talk_move(actor=actor("tl"), talk=talk, session=elsewhere)
    with pytest.raises(PermissionDenied):
        services.talk_move(actor=actor("engineer"), talk=talk, session=full)
    talk.refresh_from_db()
    assert talk.session == hosted


def test_give_a_talk_again(world, actor, hosted):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=30), host=world.tl)
    first = TalkFactory(session=past, title="Kafka at scale", slides_url="https://slides.example.com/k",
                        recording_url="https://video.example.com/k", speakers=[world.engineer, world.engineer2])

    with pytest.raises(PermissionDenied):  # speakers offer it again; the host or the CTO schedules
        services.talk_give_again(actor=actor("engineer"), talk=first, session=hosted)
    again = services.talk_give_again(actor=actor("tl"), talk=first, session=hosted)

    assert (again.session, again.title, again.given_again_from, again.slides_url, again.recording_url) == (
        hosted, "Kafka at scale", first, "https://slides.example.com/k", "")
    assert set(again.speakers.all()) == {world.engineer, world.engineer2}
    first.refresh_from_db()
    assert first.session == past
    # A third time still points at the first occurrence.
    third_session = SessionFactory(host=world.tl, starts_at=timezone.now() + timedelta(days=60))
    third = services.talk_give_again(actor=actor("cto"), talk=again, session=third_session)
    assert third.given_again_from == first


def test_speaker_offers_a_talk_again_and_a_host_schedules_it(world, actor, hosted):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=30), host=world.tl)
    first = TalkFactory(session=past, title="Kafka at scale", duration_minutes=25, slides_url="https://s.example.com/k",
                        speakers=[world.engineer, world.engineer2])
    with pytest.raises(PermissionDenied):
        services.talk_propose_again(actor=actor("pm"), talk=first)

    proposal = services.talk_propose_again(actor=actor("engineer"), talk=first)

    assert (proposal.title, proposal.duration_minutes, proposal.proposer, proposal.repeat_of, proposal.status) == (
        "Kafka at scale", 25, world.engineer, first, Proposal.Status.BACKLOG)
    assert list(proposal.co_speakers.all()) == [world.engineer2]
    with pytest.raises(ValidationError) as exc:
        services.talk_propose_again(actor=actor("engineer"), talk=first)
    assert exc.value.message_dict == {"talk": ["This talk is already in the backlog to be given again."]}

    talk = services.proposal_schedule(actor=actor("tl"), proposal=proposal, session=hosted)
    assert (talk.given_again_from, talk.slides_url) == (first, "https://s.example.com/k")
    assert set(talk.speakers.all()) == {world.engineer, world.engineer2}


def test_a_talk_with_feedback_cannot_be_moved(world, actor, hosted):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=2), host=world.tl)
    talk = TalkFactory(session=past, speakers=[world.engineer])
    Feedback.objects.create(talk=talk, person=world.em, rating=5)
    with pytest.raises(ValidationError) as exc:
        services.talk_move(actor=actor("cto"), talk=talk, session=hosted)
    assert exc.value.message_dict == {"session": ["This talk has feedback, so it was given: give it again instead."]}


def test_talk_update_keeps_the_session_within_length(world, actor, hosted):
    TalkFactory(session=hosted, duration_minutes=30, speakers=[world.em])
    talk = TalkFactory(session=hosted, duration_minutes=20, speakers=[world.engineer])
    with pytest.raises(ValidationError) as exc:
        services.talk_update(actor=actor("engineer"), talk=talk, duration_minutes=35)
    assert list(exc.value.message_dict) == ["duration_minutes"]
    services.talk_update(actor=actor("engineer"), talk=talk, duration_minutes=30, title="Better title")
    talk.refresh_from_db()
    assert (talk.duration_minutes, talk.title) == (30, "Better title")
    with pytest.raises(PermissionDenied):
        services.talk_update(actor=actor("pm"), talk=talk, title="Hijacked")


def test_shortening_a_session_below_its_agenda_is_refused(world, actor, hosted):
    TalkFactory(session=hosted, duration_minutes=45, speakers=[world.em])
    with pytest.raises(ValidationError) as exc:
        services.session_update(actor=actor("tl"), session=hosted, duration_minutes=30)
    assert exc.value.message_dict == {"duration_minutes": [
        "The agenda already holds 45 minutes of talks; move a talk before shortening the session."]}
    hosted.refresh_from_db()
    assert hosted.duration_minutes == 60


def test_one_off_session_by_a_host(world, actor, hosted):
    start = timezone.now() + timedelta(days=3)
    session = services.session_create(actor=actor("tl"), title="Security deep dive", starts_at=start,
                                      duration_minutes=90)
    assert (session.host, session.series, session.duration_minutes) == (world.tl, None, 90)
    with pytest.raises(PermissionDenied):
        services.session_create(actor=actor("engineer"), title="Mine", starts_at=start)
    with pytest.raises(ValidationError) as exc:
        services.session_create(actor=actor("tl"), title="For someone", starts_at=start, host=world.em)
    assert exc.value.message_dict == {"host": ["You may only create sessions you host yourself."]}


# -- Attendance -----------------------------------------------------------------------------------
def test_self_check_in_is_idempotent(world, actor):
    session = SessionFactory(starts_at=timezone.now() - timedelta(minutes=10))
    first, created = services.attendance_check_in(actor=actor("engineer"), session=session)
    second, created_again = services.attendance_check_in(actor=actor("engineer"), session=session)
    assert (created, created_again, second.pk, first.source) == (True, False, first.pk, Attendance.Source.SELF)
    assert Attendance.objects.filter(session=session).count() == 1


@pytest.mark.parametrize("offset, cancelled, message", [
    (timedelta(hours=3), False, "Check-in opens an hour before the session starts."),
    (timedelta(minutes=-5), True, "This session is cancelled."),
])
def test_check_in_refused(world, actor, offset, cancelled, message):
    session = SessionFactory(starts_at=timezone.now() + offset, is_cancelled=cancelled)
    with pytest.raises(ValidationError) as exc:
        services.attendance_check_in(actor=actor("engineer"), session=session)
    assert exc.value.message_dict == {"session": [message]}
    assert Attendance.objects.count() == 0


def test_attendance_import_is_all_or_nothing(world, actor, hosted):
    with pytest.raises(ValidationError) as exc:
        services.attendance_import(actor=actor("tl"), session=hosted,
                                   emails="engineer@example.com, nobody@example.com")
    assert exc.value.message_dict == {"emails": [
        "Unknown or inactive people: nobody@example.com. Nothing was imported."]}
    assert Attendance.objects.count() == 0
    services.attendance_check_in(actor=actor("pm"), session=hosted, now=hosted.starts_at)
    result = services.attendance_import(actor=actor("tl"), session=hosted,
                                        emails="Engineer@example.com\npm@example.com; em@example.com")
    assert (result.added, result.already) == (2, 1)
    assert set(Attendance.objects.values_list("person__email", "source")) == {
        ("engineer@example.com", "import"), ("em@example.com", "import"), ("pm@example.com", "self")}
    with pytest.raises(PermissionDenied):
        services.attendance_import(actor=actor("engineer"), session=hosted, emails="hr@example.com")


# -- Feedback --------------------------------------------------------------------------------------
def _past_talk(world):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=1), host=world.tl)
    return TalkFactory(session=past, speakers=[world.engineer])


def test_feedback_one_per_person_updates(world, actor):
    talk = _past_talk(world)
    fb, created = services.feedback_give(actor=actor("em"), talk=talk, rating=3, comment="Too fast")
    fb2, created2 = services.feedback_give(actor=actor("em"), talk=talk, rating="5", comment="Rewatched: great")
    assert (created, created2, fb2.pk) == (True, False, fb.pk)
    assert list(Feedback.objects.values_list("rating", "comment")) == [(5, "Rewatched: great")]
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(talk=talk, person=world.em, rating=1)


@pytest.mark.parametrize("rating", [0, 6, "x", None])
def test_feedback_rating_must_be_1_to_5(world, actor, rating):
    talk = _past_talk(world)
    with pytest.raises(ValidationError) as exc:
        services.feedback_give(actor=actor("em"), talk=talk, rating=rating)
    assert exc.value.message_dict == {"rating": ["Give a rating from 1 to 5."]}
    assert Feedback.objects.count() == 0


def test_speakers_cannot_rate_their_own_talk_nor_a_future_one(world, actor, hosted):
    talk = _past_talk(world)
    with pytest.raises(ValidationError) as exc:
        services.feedback_give(actor=actor("engineer"), talk=talk, rating=5)
    assert exc.value.message_dict == {"talk": ["You cannot rate your own talk."]}
    future = TalkFactory(session=hosted, speakers=[world.em])
    with pytest.raises(ValidationError) as exc:
        services.feedback_give(actor=actor("pm"), talk=future, rating=5)
    assert exc.value.message_dict == {"talk": ["Feedback opens once the session has started."]}
    assert Feedback.objects.count() == 0


def test_no_feedback_on_a_cancelled_session(world, actor):
    session = SessionFactory(starts_at=timezone.now() - timedelta(days=1), is_cancelled=True)
    talk = TalkFactory(session=session, speakers=[world.engineer])
    with pytest.raises(ValidationError) as exc:
        services.feedback_give(actor=actor("em"), talk=talk, rating=4)
    assert exc.value.message_dict == {"talk": ["This session was cancelled."]}
    assert Feedback.objects.count() == 0


def test_only_speakers_share_feedback(world, actor):
    talk = _past_talk(world)
    with pytest.raises(PermissionDenied):
        services.talk_share_feedback(actor=actor("tl"), talk=talk, shared=True)
    services.talk_share_feedback(actor=actor("engineer"), talk=talk, shared=True)
    talk.refresh_from_db()
    assert talk.feedback_shared is True


def test_calendar_feed_reset_changes_the_token(world, actor):
    feed = services.calendar_feed_get_or_create(actor=actor("engineer"))
    same = services.calendar_feed_get_or_create(actor=actor("engineer"))
    assert same.token == feed.token
    old = feed.token
    new = services.calendar_feed_reset(actor=actor("engineer"))
    assert new.token != old and len(new.token) >= 40
