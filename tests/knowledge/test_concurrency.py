"""Races on PostgreSQL: two hosts filling the last minutes of a session, a double-clicked vote."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from apps.knowledge import services
from apps.knowledge.models import ProposalVote, Talk
from tests.knowledge.factories import ProposalFactory, SessionFactory, TalkFactory

pytestmark = pytest.mark.services


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = call()
        except Exception as exc:  # the outcome under test
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_two_schedulers_cannot_overrun_a_session(require_postgres, transactional_db, world, actor):
    session = SessionFactory(host=world.tl, duration_minutes=60, starts_at=timezone.now() + timedelta(days=5))
    TalkFactory(session=session, duration_minutes=40, speakers=[world.em])
    first, second = ProposalFactory(proposer=world.engineer), ProposalFactory(proposer=world.engineer2)
    cto, tl = actor("cto"), actor("tl")

    outcomes = _race(
        lambda: services.proposal_schedule(actor=cto, proposal=first, session=session),
        lambda: services.proposal_schedule(actor=tl, proposal=second, session=session),
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["Talk", "ValidationError"]
    assert Talk.objects.filter(session=session).count() == 2
    assert services.booked_minutes(session) == 60
    error = next(o for o in outcomes if isinstance(o, ValidationError))
    assert "would overrun" in error.message_dict["session"][0]


def test_a_double_clicked_vote_counts_once(require_postgres, transactional_db, world, actor):
    proposal = ProposalFactory(proposer=world.engineer2)
    voter = actor("engineer")
    outcomes = _race(*[lambda: services.proposal_vote(actor=voter, proposal=proposal)] * 3)
    assert sorted(created for _, created in outcomes) == [False, False, True]
    assert ProposalVote.objects.filter(proposal=proposal).count() == 1
