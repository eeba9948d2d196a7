"""Writes made from a stale read are refused, on the pages (``_seen``) and in the API (``ETag`` /
``If-Match`` -> 409), without changing the access policy: hidden reviews still answer 404 and an
ETag is the hash of exactly what that reader's GET shows."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.api import etag_of
from apps.core.models import AccessLog
from apps.core.views import CONFLICT_MESSAGE, SEEN_FIELD
from apps.reviews import services
from apps.reviews.models import CalibrationChange, RaiseProposal, Review, ReviewCycle
from tests.reviews.scenario import (
    actor_for,
    cto_actor,
    finish_manager_reviews,
    make_cycle,
    make_template,
    scores_for,
)

S = ReviewCycle.Stage
JSON = "application/json"
STALE = '"0000000000000000000000000000000a"'


def _seen(html: str) -> str | None:
    match = re.search(rf'name="{SEEN_FIELD}" value="([0-9a-f]+)"', html)
    return match.group(1) if match else None


def _text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def _calibration(world, sc) -> ReviewCycle:
    return services.review_cycle_advance(actor=cto_actor(world), cycle=sc.cycle)


def _shared(world, sc) -> ReviewCycle:
    cto = cto_actor(world)
    services.raise_decide(actor=cto, proposal=sc.proposal, approve=False)
    services.raise_decide(actor=cto, proposal=sc.proposal2, approve=False)
    finish_manager_reviews(world, sc.cycle)
    cycle = services.review_cycle_advance(actor=cto, cycle=sc.cycle)
    return services.review_cycle_advance(actor=cto, cycle=cycle)


def _self_review(world) -> Review:
    """engineer's review in a cycle in the self-review stage, not yet written."""
    cto = cto_actor(world)
    cycle = services.review_cycle_advance(actor=cto, cycle=make_cycle(cto, make_template(cto), name="2026 H2"))
    return Review.objects.get(cycle=cycle, subject=world.engineer)


# -- the API: ETags are what the reader sees -------------------------------------------------------------
def test_each_reader_gets_the_etag_of_their_own_view_and_hidden_reviews_stay_404(world, sc):
    _shared(world, sc)
    manager = world.client("tl").get(reverse("api:review-detail", args=[sc.review.pk]))
    subject = world.client("engineer").get(reverse("api:review-detail", args=[sc.review.pk]))

    assert (manager.status_code, subject.status_code) == (200, 200)
    assert "potential" in manager.json() and "potential" not in subject.json()
    assert manager["ETag"] == etag_of(manager.json())
    assert subject["ETag"] == etag_of(subject.json())  # nothing the subject cannot read goes into it
    assert manager["ETag"] != subject["ETag"]

    outsider = world.client("tl2")
    hidden = outsider.get(reverse("api:review-detail", args=[sc.review.pk]))
    write = outsider.post(reverse("api:review-manager-assessment", args=[sc.review.pk]),
                          {"manager_assessment": "tl2 was here"}, content_type=JSON, HTTP_IF_MATCH=manager["ETag"])
    assert (hidden.status_code, hidden.has_header("ETag"), write.status_code) == (404, False, 404)
    assert Review.objects.get(pk=sc.review.pk).manager_assessment != "tl2 was here"


def test_a_manager_assessment_with_the_current_etag_saves_and_answers_the_next_etag(world, sc):
    client = world.client("tl")
    url = reverse("api:review-detail", args=[sc.review.pk])
    etag = client.get(url)["ETag"]

    saved = client.post(reverse("api:review-manager-assessment", args=[sc.review.pk]),
                        {"manager_assessment": "Second draft", "scores": scores_for(sc.review, 5)},
                        content_type=JSON, HTTP_IF_MATCH=etag)

    assert saved.status_code == 200 and saved.json()["manager_assessment"] == "Second draft"
    assert saved["ETag"] == client.get(url)["ETag"] != etag
    stale = client.post(reverse("api:review-manager-assessment", args=[sc.review.pk]),
                        {"manager_assessment": "From the first read"}, content_type=JSON, HTTP_IF_MATCH=etag)
    assert stale.status_code == 409 and stale.json()["etag"] == saved["ETag"]
    assert Review.objects.get(pk=sc.review.pk).manager_assessment == "Second draft"


def test_a_conditional_write_logs_the_read_once(world, sc):
    client = world.client("cto")
    etag = client.get(reverse("api:review-detail", args=[sc.review.pk]))["ETag"]
    AccessLog.objects.all().delete()

    response = client.post(reverse("api:review-manager-assessment", args=[sc.review.pk]),
                           {"manager_assessment": "CTO's words"}, content_type=JSON, HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    assert list(AccessLog.objects.values_list("object_type", "subject_person_id")) == [
        ("reviews.review", world.engineer.pk)]


def test_a_calibration_from_a_stale_read_is_refused(world, sc):
    _calibration(world, sc)
    client = world.client("em")
    etag = client.get(reverse("api:review-detail", args=[sc.review.pk]))["ETag"]
    services.review_calibrate(actor=cto_actor(world), review=sc.review, rating=5, reason="Carried the launch")

    response = client.post(reverse("api:review-calibrate", args=[sc.review.pk]), {"rating": 3, "reason": "Too high"},
                           content_type=JSON, HTTP_IF_MATCH=etag)

    assert response.status_code == 409
    assert Review.objects.get(pk=sc.review.pk).final_rating == 5
    assert list(CalibrationChange.objects.values_list("new_value", flat=True)) == ["5"]


def test_an_acknowledgement_from_a_stale_read_is_refused(world, sc):
    _shared(world, sc)
    response = world.client("engineer").post(reverse("api:review-acknowledge", args=[sc.review.pk]),
                                             {"comment": "Thanks"}, content_type=JSON, HTTP_IF_MATCH=STALE)
    assert response.status_code == 409
    assert Review.objects.get(pk=sc.review.pk).acknowledged_at is None


def test_the_self_assessment_is_versioned_on_its_own_for_the_subject(world):
    review = _self_review(world)
    url = reverse("api:review-self-assessment", args=[review.pk])
    eng = world.client("engineer")
    read = eng.get(url)
    assert read.status_code == 200 and read["ETag"] == etag_of(read.json())
    assert set(read.json()) == {"id", "cycle", "stage", "self_assessment", "self_submitted_at", "scores"}
    assert set(read.json()["scores"][0]) == {"criterion", "criterion_name", "weight", "self_score"}
    # The whole review stays hidden from its subject until it is shared.
    assert eng.get(reverse("api:review-detail", args=[review.pk])).status_code == 404

    first = eng.post(url, {"self_assessment": "Shipped the billing rewrite."}, content_type=JSON,
                     HTTP_IF_MATCH=read["ETag"])
    assert first.status_code == 200 and first["ETag"] == eng.get(url)["ETag"]
    stale = eng.post(url, {"self_assessment": "From the old tab"}, content_type=JSON, HTTP_IF_MATCH=read["ETag"])

    assert stale.status_code == 409
    assert Review.objects.get(pk=review.pk).self_assessment == "Shipped the billing rewrite."


@pytest.mark.parametrize(("role", "status"), [("tl", 403), ("cto", 403), ("tl2", 404), ("pm", 404), ("service", 403)])
def test_only_the_subject_reads_the_self_assessment_endpoint(world, role, status):
    review = _self_review(world)
    response = world.client(role).get(reverse("api:review-self-assessment", args=[review.pk]))
    assert response.status_code == status and not response.has_header("ETag")


def test_a_stale_cycle_advance_through_the_api_leaves_the_stage(world, sc):
    client = world.client("hr")
    etag = client.get(reverse("api:review-cycle-detail", args=[sc.cycle.pk]))["ETag"]
    _calibration(world, sc)  # the CTO moved it meanwhile

    response = client.post(reverse("api:review-cycle-advance", args=[sc.cycle.pk]), {}, content_type=JSON,
                           HTTP_IF_MATCH=etag)

    assert response.status_code == 409
    assert ReviewCycle.objects.get(pk=sc.cycle.pk).stage == S.CALIBRATION


def test_a_stale_raise_decision_through_the_api_keeps_the_decision(world, sc):
    client = world.client("cto")
    etag = client.get(reverse("api:raise-proposal-detail", args=[sc.proposal.pk]))["ETag"]
    services.raise_decide(actor=cto_actor(world), proposal=sc.proposal, approve=True)

    response = client.post(reverse("api:raise-proposal-reject", args=[sc.proposal.pk]), {}, content_type=JSON,
                           HTTP_IF_MATCH=etag)

    assert response.status_code == 409
    assert RaiseProposal.objects.get(pk=sc.proposal.pk).status == RaiseProposal.Status.APPROVED
    fresh = client.get(reverse("api:raise-proposal-detail", args=[sc.proposal.pk]))["ETag"]
    done = client.post(reverse("api:raise-proposal-reject", args=[sc.proposal.pk]), {}, content_type=JSON,
                       HTTP_IF_MATCH=fresh)
    assert (done.status_code, done.json()["status"]) == (200, "rejected")


# -- pages ---------------------------------------------------------------------------------------------------
def test_the_manager_page_shows_the_saved_version_on_conflict_and_a_second_save_overwrites(world, sc):
    tl = world.client("tl")
    url = reverse("reviews:review-manager", args=[sc.review.pk])
    seen = _seen(_text(tl.get(url)))
    services.review_manager_save(actor=cto_actor(world), review=sc.review, manager_assessment="The CTO's view",
                                 scores=scores_for(sc.review, 4))
    data = {"manager_assessment": "The TL's view", "potential": "high", "save": "Save draft", SEEN_FIELD: seen,
            **{f"score_{s.criterion_id}": "4" for s in sc.review.scores.all()}}

    refused = tl.post(url, data)

    assert refused.status_code == 200 and CONFLICT_MESSAGE in _text(refused)
    saved = _text(refused).split('data-testid="saved-version"')[1].split("</div></div>")[0]
    assert "The CTO's view" in saved  # what was saved meanwhile, next to the TL's text kept in the form
    assert Review.objects.get(pk=sc.review.pk).manager_assessment == "The CTO's view"
    again = tl.post(url, {**data, SEEN_FIELD: _seen(_text(refused))})
    assert again.status_code == 302
    assert Review.objects.get(pk=sc.review.pk).manager_assessment == "The TL's view"


def test_the_self_page_refuses_a_save_from_an_older_tab(world):
    review = _self_review(world)
    eng = world.client("engineer")
    url = reverse("reviews:review-self", args=[review.pk])
    old_tab = _seen(_text(eng.get(url)))
    assert old_tab
    services.review_self_save(actor=actor_for(world, "engineer"), review=review, self_assessment="Newer draft")

    response = eng.post(url, {"self_assessment": "Older draft", SEEN_FIELD: old_tab, "save": "Save draft"})

    assert response.status_code == 200 and CONFLICT_MESSAGE in _text(response)
    assert Review.objects.get(pk=review.pk).self_assessment == "Newer draft"


def test_the_self_page_carries_no_state_token_once_the_manager_part_exists(world, sc):
    """The token hashes the whole row: the subject's page gives it only while the row holds nothing
    but their own part (self-review stage, before submitting)."""
    page = world.client("engineer").get(reverse("reviews:review-self", args=[sc.review.pk]))
    assert page.status_code == 200 and _seen(_text(page)) is None


def test_a_calibration_from_a_stale_page_is_refused_with_a_message(world, sc):
    _calibration(world, sc)
    em = world.client("em")
    page = _text(em.get(reverse("reviews:calibration", args=[sc.cycle.pk])))
    form = page[page.index(f'data-testid="calibrate-{sc.review.pk}"'):]
    seen = _seen(form)
    services.review_calibrate(actor=cto_actor(world), review=sc.review, rating=5, reason="Carried the launch")

    response = em.post(reverse("reviews:review-calibrate", args=[sc.review.pk]),
                       {"rating": "3", "reason": "Too high", SEEN_FIELD: seen}, follow=True)

    assert "changed after you opened the page, so nothing was saved" in _text(response)
    assert Review.objects.get(pk=sc.review.pk).final_rating == 5
    assert CalibrationChange.objects.count() == 1
    fresh = _text(em.get(reverse("reviews:calibration", args=[sc.cycle.pk])))
    fresh = _seen(fresh[fresh.index(f'data-testid="calibrate-{sc.review.pk}"'):])
    em.post(reverse("reviews:review-calibrate", args=[sc.review.pk]),
            {"rating": "3", "reason": "Too high", SEEN_FIELD: fresh})
    assert Review.objects.get(pk=sc.review.pk).final_rating == 3


def test_a_raise_decision_from_a_stale_page_changes_nothing(world, sc):
    cto = world.client("cto")
    page = _text(cto.get(reverse("reviews:raise-list", args=[sc.cycle.pk])))
    assert 'name="status" value="proposed"' in page
    services.raise_decide(actor=cto_actor(world), proposal=sc.proposal, approve=False)  # in another tab

    response = cto.post(reverse("reviews:raise-decide", args=[sc.proposal.pk]),
                        {"decision": "approve", "status": "proposed"}, follow=True)

    assert "This raise was rejected after you opened the page; nothing changed." in _text(response)
    assert RaiseProposal.objects.get(pk=sc.proposal.pk).status == RaiseProposal.Status.REJECTED
    cto.post(reverse("reviews:raise-decide", args=[sc.proposal.pk]), {"decision": "approve", "status": "rejected"})
    proposal = RaiseProposal.objects.get(pk=sc.proposal.pk)
    assert (proposal.status, proposal.proposed_salary) == (RaiseProposal.Status.APPROVED, Decimal("63500.00"))


def test_the_conditional_viewsets_take_no_put(world, sc):
    """ConditionalUpdateMixin's ``update`` must not become a PUT route on viewsets without one."""
    client = world.client("cto")
    urls = [reverse("api:review-detail", args=[sc.review.pk]), reverse("api:review-cycle-detail", args=[sc.cycle.pk]),
            reverse("api:raise-proposal-detail", args=[sc.proposal.pk])]
    assert [client.put(url, {}, content_type=JSON).status_code for url in urls] == [405, 405, 405]
