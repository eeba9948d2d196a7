"""The leak hunt: for every role of the world, the page and the API find exactly the planted
objects that role may see — nothing it may not (other teams' notes, 1:1s, other audiences'
bulletins, hidden or unanswered AMA questions, people who left, other teams' resources) —
and every link they return opens (200) for that role. Run on both backends: the full-text one
on PostgreSQL, the simple one everywhere (``SEARCH_BACKEND=simple``)."""
from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from apps.core.access import get_actor
from apps.search import selectors
from tests.search.scenario import SHARED, build

ROLES = ("engineer", "tl", "em", "pm", "finance", "hr", "cto", "service")
PEOPLE = tuple(r for r in ROLES if r != "service")


@pytest.fixture
def planted(world):
    return build(world)


def _api(client, **params):
    response = client.get(reverse("api:search"), params)
    assert response.status_code == 200, response.content
    return response.json()


def _found(payload) -> set[tuple[str, int]]:
    return {(hit["kind"], hit["id"]) for group in payload["groups"] for hit in group["results"]}


@pytest.mark.parametrize("role", ROLES)
def test_api_finds_exactly_what_the_role_may_see(world, planted, backend, role):
    client = world.client(role)
    payload = _api(client, q=SHARED, limit=50)
    assert payload["backend"] == backend
    assert _found(payload) == planted.visible_to(role)
    assert not any(group["has_more"] for group in payload["groups"])


@pytest.mark.parametrize("role", ROLES)
def test_each_marker_is_found_only_by_those_who_may_see_it(world, planted, backend, role):
    client = world.client(role)
    for item in planted.planted:
        found = _found(_api(client, q=item.word, kind=item.kind))
        if role in item.seen_by:
            assert found == {(item.kind, item.obj.pk)}, f"{role} should find {item.word}"
        else:
            assert found == set(), f"{role} must not find {item.word}"


@pytest.mark.parametrize("role", PEOPLE)
def test_page_shows_only_what_the_role_may_see(world, planted, backend, role):
    client = world.client(role)
    by_kind: dict[str, list] = {}
    for item in planted.planted:
        by_kind.setdefault(item.kind, []).append(item)
    api_hits = {(h["kind"], h["id"]): h["url"] for g in _api(client, q=SHARED, limit=50)["groups"] for h in g["results"]}
    for kind, items in by_kind.items():
        response = client.get(reverse("search:results"), {"q": SHARED, "kind": kind})
        assert response.status_code == 200
        html = response.content.decode()
        visible = [i for i in items if role in i.seen_by]
        assert html.count('data-testid="search-hit"') == len(visible), kind
        for item in items:
            shown = item.word in html
            assert shown == (role in item.seen_by), f"{role}: {item.word} shown={shown}"
            if role in item.seen_by:
                assert f'href="{api_hits[(kind, item.obj.pk)]}"' in html


@pytest.mark.parametrize("role", PEOPLE)
def test_every_result_link_opens_for_the_role(world, planted, backend, role):
    client = world.client(role)
    payload = _api(client, q=SHARED, limit=50)
    urls = [hit["url"] for group in payload["groups"] for hit in group["results"]]
    assert urls, "the role finds something"
    for url in urls:
        path, _, anchor = url.partition("#")
        response = client.get(path)
        assert response.status_code == 200, f"{role}: {url} -> {response.status_code}"
        if anchor:  # the link lands on the object itself
            assert f'id="{anchor}"' in response.content.decode(), url


def test_action_item_outside_the_series_links_to_the_owners_list(world, planted, backend):
    hit = next(h for g in _api(world.client("engineer"), q="zzownedactionqq")["groups"] for h in g["results"])
    assert hit["url"] == reverse("syncs:my-actions") + "?status=all"
    cto_hit = next(h for g in _api(world.client("cto"), q="zzownedactionqq")["groups"] for h in g["results"])
    assert cto_hit["url"] == reverse("syncs:series-detail", args=[planted.objects["ownedaction"].series_id])


def test_ama_askers_are_never_searched_or_returned(world, planted, backend):
    """engineer2 asked one question by name; anonymous ones have no asker. Searching for the
    askers' names finds people, never a question, and no hit carries an asker."""
    client = world.client("cto")
    for name in ("Engineer2", "Engineer2 Person", "engineer2@example.com"):
        payload = _api(client, q=name)
        assert [g for g in payload["groups"] if g["kind"] == "question" and g["results"]] == []
    payload = _api(client, q=SHARED, kind="question", limit=50)
    hits = payload["groups"][0]["results"]
    assert len(hits) == 3
    for hit in hits:
        assert set(hit) == {"kind", "id", "title", "url", "meta", "snippet", "snippet_html", "rank"}
        assert "Engineer2" not in str(hit) and "Engineer Person" not in str(hit)


def test_reviews_and_salaries_are_never_searchable(world, backend):
    from tests.reviews.scenario import ENG_SALARY, ENG_SELF, ENG_TEXT
    from tests.reviews.scenario import build as build_reviews

    build_reviews(world)
    for role in ("cto", "hr", "em", "engineer", "service"):
        client = world.client(role)
        for text in (ENG_TEXT, ENG_SELF, f"{ENG_SALARY:.2f}", "2026 H1"):
            assert _found(_api(client, q=text)) - {("person", p.pk) for p in world.people.values()} == set()


@pytest.mark.parametrize("role", ROLES)
def test_selector_both_backends_agree(world, planted, role, db):
    """The fallback function called directly (on PostgreSQL too) finds what full text finds."""
    actor = get_actor(world.users[role] if role != "service" else world.service_account.user)
    simple = selectors.search(actor=actor, q=SHARED, limit=50, backend=selectors.SIMPLE)
    assert {(h.kind, h.id) for g in simple.groups for h in g.hits} == planted.visible_to(role)
    if connection.vendor == "postgresql":
        full = selectors.search(actor=actor, q=SHARED, limit=50, backend=selectors.FULLTEXT)
        assert {(h.kind, h.id) for g in full.groups for h in g.hits} == planted.visible_to(role)
