"""Query counts stay flat as data grows: the library (50 vs 2,000 talks), the talk API,
the proposal list and the session list."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.knowledge.models import Proposal, ProposalVote, Session, Talk
from tests.factories import PersonFactory


def _talks(world, n: int) -> None:
    speakers = [world.engineer, world.tl, world.em2] + [PersonFactory(team=world.teams["beta"]) for _ in range(3)]
    sessions = Session.objects.bulk_create([
        Session(title=f"S{i}", starts_at=timezone.now() - timedelta(days=30 + i), duration_minutes=600)
        for i in range(max(1, n // 10))
    ])
    talks = Talk.objects.bulk_create([
        Talk(session=sessions[i % len(sessions)], title=f"Talk {i}", track="backend", duration_minutes=20)
        for i in range(n)
    ])
    Through = Talk.speakers.through
    Through.objects.bulk_create(
        [Through(talk_id=t.pk, person_id=speakers[i % len(speakers)].pk) for i, t in enumerate(talks)]
        + [Through(talk_id=t.pk, person_id=speakers[(i + 1) % len(speakers)].pk) for i, t in enumerate(talks)]
    )


@pytest.mark.parametrize("n", [50, 2000])
def test_library_page_queries_are_bounded(world, django_assert_max_num_queries, n):
    _talks(world, n)
    client = world.client("engineer")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("knowledge:library"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 50
    with django_assert_max_num_queries(12):
        assert client.get(reverse("knowledge:library"), {"q": "Talk 1"}).status_code == 200


@pytest.mark.parametrize("n", [50, 2000])
def test_talk_api_queries_are_bounded(world, django_assert_max_num_queries, n):
    _talks(world, n)
    client = world.client("service")
    with django_assert_max_num_queries(9):
        response = client.get(reverse("api:knowledge-talk-list"), {"past": "1"})
    assert response.json()["count"] == n


@pytest.mark.parametrize("n", [3, 40])
def test_proposal_list_queries_are_bounded(world, django_assert_max_num_queries, n):
    for i in range(n):
        p = Proposal.objects.create(title=f"P{i}", proposer=world.engineer if i % 2 else world.tl, duration_minutes=20)
        p.co_speakers.set([world.em])
        ProposalVote.objects.create(proposal=p, person=world.pm)
    client = world.client("engineer")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("knowledge:proposal-list")).status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get(reverse("api:knowledge-proposal-list")).json()["count"] == n


@pytest.mark.parametrize("n", [3, 40])
def test_session_list_queries_are_bounded(world, django_assert_max_num_queries, n):
    for i in range(n):
        Session.objects.create(title=f"S{i}", starts_at=timezone.now() + timedelta(days=i - n // 2), host=world.tl)
    client = world.client("engineer")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("knowledge:session-list")).status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get(reverse("api:knowledge-session-list")).json()["count"] == n
