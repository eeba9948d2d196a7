"""Query counts of the main list page and list endpoints stay flat as data grows."""
from __future__ import annotations

import pytest
from django.urls import reverse

from apps.security import services
from apps.security.models import AmaQuestion, AmaVote
from tests.security import helpers


def _questions(world, session, n):
    people = [world.engineer, world.tl, world.em, world.pm]
    for i in range(n):
        q = AmaQuestion.objects.create(session=session, body=f"Question {i}", status="published",
                                       is_anonymous=i % 2 == 0, asker=None if i % 2 == 0 else people[i % 4],
                                       answer="**ok**" if i % 3 == 0 else "")
        AmaVote.objects.create(question=q, person=people[i % 4])


@pytest.mark.parametrize("n", [3, 40])
def test_ama_page_queries_do_not_grow(world, django_assert_max_num_queries, n):
    session = helpers.ama_session(world)
    _questions(world, session, n)
    client = world.client("cto")
    with django_assert_max_num_queries(16):
        response = client.get(reverse("security:ama-detail", args=[session.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="vote"') == n


@pytest.mark.parametrize("n", [3, 40])
def test_question_endpoint_queries_do_not_grow(world, django_assert_max_num_queries, n):
    session = helpers.ama_session(world)
    _questions(world, session, n)
    client = world.client("engineer")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("api:ama-question-list"), {"page_size": 100})
    assert response.json()["count"] == n


@pytest.mark.parametrize("n", [3, 40])
def test_bulletin_list_queries_do_not_grow(world, django_assert_max_num_queries, n):
    for i in range(n):
        helpers.bulletin(world, title=f"Bulletin {i}", teams=[world.teams["alpha"]] if i % 2 else [])
    for role, url in [("engineer", reverse("api:security-bulletin-list")), ("engineer", reverse("security:bulletin-list")),
                      ("cto", reverse("api:security-bulletin-list"))]:
        client = world.client(role)
        with django_assert_max_num_queries(14):
            response = client.get(url, {"page_size": 100})
        assert response.status_code == 200


@pytest.mark.parametrize("n", [3, 40])
def test_evidence_list_queries_do_not_grow(world, django_assert_max_num_queries, n):
    from datetime import date

    from apps.security.models import Control

    for i in range(n):
        services.evidence_create(actor=helpers.actor(world), title=f"E{i}", controls=Control.objects.filter(code__in=["8.15", "8.16"]),
                                 owner=world.tl, collected_on=date(2026, 1, 1))
    client = world.client("cto")
    for url in (reverse("security:evidence-list"), reverse("api:security-evidence-list")):
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200
