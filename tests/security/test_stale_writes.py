"""Moderation and control edits made from a stale page or API read are refused (``_seen`` on the
pages, ``ETag``/``If-Match`` -> 409 in the API), and the services never write back fields from
an out-of-date copy of the row."""
from __future__ import annotations

import re

from django.urls import reverse

from apps.core.views import CONFLICT_MESSAGE, SEEN_FIELD
from apps.security import services
from apps.security.models import AmaQuestion, AmaSession, AmaVote, Control
from tests.security import helpers

JSON = "application/json"
ANSWER = "Vault rotates them every 30 days; see the runbook."


def _text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def _seen(html: str) -> str | None:
    match = re.search(rf'name="{SEEN_FIELD}" value="([0-9a-f]+)"', html)
    return match.group(1) if match else None


def _answered(world):
    session = helpers.ama_session(world)
    question = helpers.published_question(world, session)
    return session, question


# -- the page --------------------------------------------------------------------------------------------
def test_a_hide_clicked_on_a_stale_page_changes_nothing(world):
    session, question = _answered(world)
    cto = world.client("cto")
    seen = _seen(_text(cto.get(session.get_absolute_url())))
    services.ama_question_answer(actor=helpers.actor(world), question=AmaQuestion.objects.get(pk=question.pk),
                                 answer=ANSWER)

    response = cto.post(reverse("security:question-moderate", args=[question.pk]),
                        {"action": "status", "status": "hidden", SEEN_FIELD: seen})

    assert response.status_code == 200 and CONFLICT_MESSAGE in _text(response)
    assert AmaQuestion.objects.values_list("status", "answer").get(pk=question.pk) == ("published", ANSWER)


def test_a_refused_answer_keeps_the_text_typed_and_a_second_save_replaces_knowingly(world):
    session, question = _answered(world)
    cto = world.client("cto")
    seen = _seen(_text(cto.get(session.get_absolute_url())))
    services.ama_question_answer(actor=helpers.actor(world), question=AmaQuestion.objects.get(pk=question.pk),
                                 answer=ANSWER)
    url = reverse("security:question-moderate", args=[question.pk])

    refused = cto.post(url, {"action": "answer", "answer": "We rotate them by hand.", SEEN_FIELD: seen})

    page = _text(refused)
    assert 'data-testid="moderation-conflict"' in page
    assert ANSWER in page and ">We rotate them by hand.</textarea>" in page  # theirs shown, mine kept
    assert AmaQuestion.objects.get(pk=question.pk).answer == ANSWER
    again = cto.post(url, {"action": "answer", "answer": "We rotate them by hand.", SEEN_FIELD: _seen(page)})
    assert again.status_code == 302
    assert AmaQuestion.objects.get(pk=question.pk).answer == "We rotate them by hand."


def test_moderation_forms_carry_a_token_only_for_managers(world):
    session, _ = _answered(world)
    assert _seen(_text(world.client("cto").get(session.get_absolute_url())))
    assert _seen(_text(world.client("engineer").get(session.get_absolute_url()))) is None


def test_a_vote_clicked_on_a_stale_page_does_not_withdraw_the_vote(world):
    """The page showed "not voted"; the person voted meanwhile in another tab: clicking the old
    button must not take the vote back (and a stale "withdraw" must not add one)."""
    session, question = _answered(world)
    client = world.client("pm")
    page = _text(client.get(session.get_absolute_url()))
    assert 'name="vote" value="add"' in page
    services.ama_question_vote(actor=helpers.actor(world, "pm"), question=question)
    url = reverse("security:question-vote", args=[question.pk])

    response = client.post(url, {"vote": "add"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and 'name="vote" value="remove"' in _text(response)
    assert AmaVote.objects.filter(question=question, person=world.pm).count() == 1
    client.post(url, {"vote": "remove"})
    client.post(url, {"vote": "remove"})
    assert AmaVote.objects.filter(question=question).count() == 0


# -- the API ---------------------------------------------------------------------------------------------
def test_moderation_through_the_api_from_a_stale_read_is_refused(world):
    helpers.security_tl(world)
    session, question = _answered(world)
    sectl = world.client("sectl")
    url = reverse("api:ama-question-detail", args=[question.pk])
    etag = sectl.get(url)["ETag"]
    services.ama_question_answer(actor=helpers.actor(world), question=AmaQuestion.objects.get(pk=question.pk),
                                 answer=ANSWER)

    hide = sectl.post(reverse("api:ama-question-moderate", args=[question.pk]), {"status": "hidden"},
                      content_type=JSON, HTTP_IF_MATCH=etag)
    faq = sectl.post(reverse("api:ama-question-faq", args=[question.pk]), {"in_faq": True}, content_type=JSON,
                     HTTP_IF_MATCH=etag)

    assert (hide.status_code, faq.status_code) == (409, 409)
    assert hide.json()["etag"] == sectl.get(url)["ETag"]
    assert AmaQuestion.objects.values_list("status", "in_faq").get(pk=question.pk) == ("published", False)


def test_votes_do_not_make_a_moderators_read_stale(world):
    session, question = _answered(world)
    cto = world.client("cto")
    etag = cto.get(reverse("api:ama-question-detail", args=[question.pk]))["ETag"]
    assert world.client("engineer").post(reverse("api:ama-question-vote", args=[question.pk])).status_code == 201

    response = cto.post(reverse("api:ama-question-answer", args=[question.pk]), {"answer": ANSWER},
                        content_type=JSON, HTTP_IF_MATCH=etag)

    assert response.status_code == 200 and response.json()["vote_count"] == 1
    assert response["ETag"] == cto.get(reverse("api:ama-question-detail", args=[question.pk]))["ETag"] != etag


def test_a_hidden_question_answers_404_not_409_to_a_participant(world):
    session = helpers.ama_session(world)
    pending = services.ama_question_submit(actor=helpers.actor(world, "engineer"), session=session, body="Hm?",
                                           anonymous=True)
    response = world.client("tl").get(reverse("api:ama-question-detail", args=[pending.pk]))
    assert response.status_code == 404 and not response.has_header("ETag")


# -- the services never write back a stale copy ---------------------------------------------------------
def test_answering_with_an_old_copy_keeps_the_faq_entry_made_meanwhile(world):
    session, question = _answered(world)
    cto = helpers.actor(world)
    services.ama_question_answer(actor=cto, question=AmaQuestion.objects.get(pk=question.pk), answer=ANSWER)
    old_copy = AmaQuestion.objects.get(pk=question.pk)
    services.ama_question_set_faq(actor=cto, question=AmaQuestion.objects.get(pk=question.pk), in_faq=True,
                                  faq_title="Secret rotation")

    services.ama_question_answer(actor=cto, question=old_copy, answer=ANSWER + " (updated)")

    assert AmaQuestion.objects.values_list("in_faq", "faq_title", "answer").get(pk=question.pk) == (
        True, "Secret rotation", ANSWER + " (updated)")


def test_updating_a_control_from_an_old_copy_keeps_the_other_fields(world):
    helpers.security_tl(world)
    control = Control.objects.order_by("code").first()
    old_copy = Control.objects.get(pk=control.pk)
    services.control_update(actor=helpers.actor(world, "sectl"), control=Control.objects.get(pk=control.pk),
                            notes="Evidence reviewed by the security lead")

    services.control_update(actor=helpers.actor(world), control=old_copy, owner=world.cto)

    assert Control.objects.values_list("notes", "owner_id").get(pk=control.pk) == (
        "Evidence reviewed by the security lead", world.cto.pk)


def test_updating_a_session_from_an_old_copy_keeps_the_other_fields(world):
    session = helpers.ama_session(world)
    old_copy = AmaSession.objects.get(pk=session.pk)
    services.ama_session_update(actor=helpers.actor(world), session=AmaSession.objects.get(pk=session.pk),
                                recording_url="https://video.example.com/ama-1")

    services.ama_session_update(actor=helpers.actor(world), session=old_copy, is_open=False)

    assert AmaSession.objects.values_list("recording_url", "is_open").get(pk=session.pk) == (
        "https://video.example.com/ama-1", False)


def test_the_control_edit_page_saves_when_nobody_changed_it_meanwhile(world):
    helpers.security_tl(world)
    control = Control.objects.order_by("code").first()
    client = world.client("sectl")
    url = reverse("security:control-edit", args=[control.code])
    seen = _seen(_text(client.get(url)))

    response = client.post(url, {"title": control.title, "notes": "Reviewed", "is_applicable": "on",
                                 SEEN_FIELD: seen})

    assert response.status_code == 302 and response["Location"] == control.get_absolute_url()
    assert Control.objects.get(pk=control.pk).notes == "Reviewed"


def test_questions_take_no_put(world):
    _, question = _answered(world)
    response = world.client("cto").put(reverse("api:ama-question-detail", args=[question.pk]), {"body": "x"},
                                       content_type=JSON)
    assert response.status_code == 405
    assert AmaQuestion.objects.get(pk=question.pk).body == "How do we rotate secrets?"
