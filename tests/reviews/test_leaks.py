"""The leak hunt: every GET page and endpoint of the app, every outsider (a peer under the
same TL, an engineer, TL and EM of another branch, PM, finance, the service token, and the
engineer themself before sharing): no body contains engineer's salary, proposed raise or
review text; their records answer 404 (or 403 for a page the role may not use at all)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.core.roles import Role
from tests.factories import PersonFactory, UserFactory
from tests.reviews.scenario import ENG_SALARY, ENG_SELF, ENG_TEXT, build, salary_strings

PROPOSED = Decimal("63500.00")
POST_ONLY = {
    "reviews:cycle-advance", "reviews:review-calibrate", "reviews:review-acknowledge", "reviews:raise-decide",
    "api:review-cycle-advance", "api:review-manager-assessment",
    "api:review-calibrate", "api:review-acknowledge", "api:raise-proposal-approve", "api:raise-proposal-reject",
}
API_BASENAMES = ("review-template", "review-cycle", "review", "compensation-record", "raise-proposal", "pay-band")


def _names(patterns=None, namespace=None) -> set[str]:
    names: set[str] = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            names |= _names(entry.url_patterns, f"{namespace}:{ns}" if namespace and ns else (ns or namespace))
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}:{entry.name}" if namespace else entry.name)
    return names


def app_url_names() -> set[str]:
    return {n for n in _names() if n.startswith("reviews:")
            or (n.startswith("api:") and any(n[4:].startswith(b + "-") for b in API_BASENAMES))}


def hunted_urls(world, hunt) -> dict[str, list[str]]:
    """URL name -> the GET URLs aimed at engineer's records (and the lists that could hold them)."""
    eng = world.engineer
    sc = hunt
    c = sc.cycle.pk
    return {
        "reviews:home": [reverse("reviews:home")],
        "reviews:cycle-create": [reverse("reviews:cycle-create")],
        "reviews:template-list": [reverse("reviews:template-list")],
        "reviews:template-create": [reverse("reviews:template-create")],
        "api:review-template-list": [reverse("api:review-template-list")],
        "api:review-template-detail": [reverse("api:review-template-detail", args=[hunt.template.pk])],
        "reviews:cycle-detail": [reverse("reviews:cycle-detail", args=[c])],
        "reviews:cycle-dates": [reverse("reviews:cycle-dates", args=[c])],
        "reviews:calibration": [reverse("reviews:calibration", args=[c])],
        "reviews:raise-list": [reverse("reviews:raise-list", args=[c])],
        "reviews:raise-create": [reverse("reviews:raise-create", args=[c])],
        "reviews:cycle-export": [reverse("reviews:cycle-export", args=[c])],
        "reviews:review-detail": [reverse("reviews:review-detail", args=[sc.review.pk])],
        "reviews:review-self": [reverse("reviews:review-self", args=[sc.review.pk])],
        "reviews:review-manager": [reverse("reviews:review-manager", args=[sc.review.pk])],
        "reviews:raise-detail": [reverse("reviews:raise-detail", args=[sc.proposal.pk])],
        "reviews:compensation-list": [reverse("reviews:compensation-list"),
                                      reverse("reviews:compensation-list") + "?zone=remote-EU"],
        "reviews:compensation-person": [reverse("reviews:compensation-person", args=[eng.pk])],
        "reviews:compensation-create": [reverse("reviews:compensation-create", args=[eng.pk])],
        "reviews:band-list": [reverse("reviews:band-list")],
        "reviews:band-create": [reverse("reviews:band-create")],
        "api:review-cycle-list": [reverse("api:review-cycle-list")],
        "api:review-cycle-detail": [reverse("api:review-cycle-detail", args=[c])],
        "api:review-cycle-calibration": [reverse("api:review-cycle-calibration", args=[c])],
        "api:review-cycle-budget": [reverse("api:review-cycle-budget", args=[c])],
        "api:review-list": [reverse("api:review-list"), reverse("api:review-list") + f"?subject={eng.pk}",
                            reverse("api:review-list") + f"?cycle={c}"],
        "api:review-detail": [reverse("api:review-detail", args=[sc.review.pk])],
        "api:review-self-assessment": [reverse("api:review-self-assessment", args=[sc.review.pk])],
        "api:compensation-record-list": [reverse("api:compensation-record-list"),
                                         reverse("api:compensation-record-list") + f"?person={eng.pk}"],
        "api:compensation-record-detail": [reverse("api:compensation-record-detail", args=[sc.record.pk])],
        "api:raise-proposal-list": [reverse("api:raise-proposal-list"),
                                    reverse("api:raise-proposal-list") + f"?person={eng.pk}"],
        "api:raise-proposal-detail": [reverse("api:raise-proposal-detail", args=[sc.proposal.pk])],
        "api:pay-band-list": [reverse("api:pay-band-list")],
    }


@pytest.fixture
def hunt(world):
    sc = build(world)
    peer = PersonFactory(full_name="Peer Person", email="peer@example.com", role=Role.ENGINEER,
                         manager=world.tl, team=world.teams["alpha"], user=UserFactory(username="peer"))
    world.people["peer"] = peer
    world.users["peer"] = peer.user
    return sc


def test_the_hunt_covers_every_get_url_of_the_app(world, hunt):
    covered = set(hunted_urls(world, hunt)) | POST_ONLY
    assert sorted(app_url_names() - covered) == []


OUTSIDERS = ["peer", "engineer2", "tl2", "em2", "pm", "finance", "service"]


@pytest.mark.parametrize("viewer", [*OUTSIDERS, "engineer"])
def test_no_body_holds_engineers_pay_or_review(world, hunt, viewer):
    secrets = [ENG_TEXT, *salary_strings(PROPOSED)]
    if viewer != "engineer":  # the engineer may see their own pay and self assessment
        secrets += [ENG_SELF, *salary_strings(ENG_SALARY)]
    client = world.client(viewer)
    leaks = []
    for urls in hunted_urls(world, hunt).values():
        for url in urls:
            response = client.get(url)
            body = response.content.decode(errors="replace")
            leaks += [f"{viewer} GET {url} ({response.status_code}) shows {s!r}" for s in secrets if s in body]
            assert response.status_code < 500, url
    assert leaks == []


@pytest.mark.parametrize("viewer", OUTSIDERS)
def test_engineers_records_are_not_found_for_outsiders(world, hunt, viewer):
    client = world.client(viewer)
    detail = {
        reverse("reviews:review-detail", args=[hunt.review.pk]): 404,
        reverse("reviews:review-self", args=[hunt.review.pk]): 404,
        reverse("reviews:raise-detail", args=[hunt.proposal.pk]): 404,
        reverse("reviews:compensation-person", args=[world.engineer.pk]): 404,
        reverse("api:review-detail", args=[hunt.review.pk]): 404,
        reverse("api:review-self-assessment", args=[hunt.review.pk]): 404,
        reverse("api:compensation-record-detail", args=[hunt.record.pk]): 404,
        reverse("api:raise-proposal-detail", args=[hunt.proposal.pk]): 404,
    }
    got = {}
    for url, expected in detail.items():
        status = client.get(url).status_code
        if viewer == "service":
            # No session: pages send it to the login page, the API refuses the whole app (403).
            expected = 302 if not url.startswith("/api/") else 403
        got[url] = (status, expected)
    assert {u: s for u, (s, _) in got.items()} == {u: e for u, (_, e) in got.items()}


@pytest.mark.parametrize("viewer", ["peer", "engineer2", "tl2", "em2", "pm", "finance"])
def test_list_endpoints_hold_nothing_of_engineer(world, hunt, viewer):
    client = world.client(viewer)
    eng = world.engineer.pk
    reviews = client.get(reverse("api:review-list")).json()["results"]
    records = client.get(reverse("api:compensation-record-list")).json()["results"]
    proposals = client.get(reverse("api:raise-proposal-list")).json()["results"]
    assert [r["subject"] for r in reviews if r["subject"] == eng] == []
    assert [r["person"] for r in records if r["person"] == eng] == []
    assert [p["person"] for p in proposals if p["person"] == eng] == []
