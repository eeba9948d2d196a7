from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.security import services
from apps.security.models import AmaQuestion, AmaVote
from tests.security import helpers

JSON = "application/json"


def _ask(world, session, role="engineer", body="What is our MFA policy?", anonymous=False):
    return services.ama_question_submit(actor=helpers.actor(world, role), session=session, body=body, anonymous=anonymous)


def test_one_upvote_per_person_service_api_and_database(world):
    session = helpers.ama_session(world)
    question = helpers.published_question(world, session)
    services.ama_question_vote(actor=helpers.actor(world, "tl"), question=question)
    with pytest.raises(services.AlreadyVoted):
        services.ama_question_vote(actor=helpers.actor(world, "tl"), question=question)
    with transaction.atomic(), pytest.raises(IntegrityError):
        AmaVote.objects.create(question=question, person=world.tl)

    client = world.client("em")
    url = reverse("api:ama-question-vote", args=[question.pk])
    first = client.post(url)
    second = client.post(url)
    assert (first.status_code, first.json()["vote_count"], first.json()["has_voted"]) == (201, 2, True)
    assert second.status_code == 409
    assert second.json() == {"detail": "You have already upvoted this question."}
    assert AmaVote.objects.filter(question=question).count() == 2
    assert client.delete(url).status_code == 204
    assert list(AmaVote.objects.filter(question=question).values_list("person_id", flat=True)) == [world.tl.pk]


def test_vote_toggles_on_the_page_with_htmx(world):
    session = helpers.ama_session(world)
    question = helpers.published_question(world, session)
    client = world.client("pm")
    url = reverse("security:question-vote", args=[question.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert '<span class="vote-count">1</span>' in response.content.decode()
    assert AmaVote.objects.filter(question=question, person=world.pm).count() == 1
    client.post(url, HTTP_HX_REQUEST="true")
    assert AmaVote.objects.filter(question=question).count() == 0


def test_only_published_questions_take_votes(world):
    session = helpers.ama_session(world)
    pending = _ask(world, session)
    with pytest.raises(ValidationError) as exc:
        services.ama_question_vote(actor=helpers.actor(world, "cto"), question=pending)
    assert exc.value.message_dict == {"question": ["Only published questions can be voted on."]}
    # Not visible to a participant at all: 404 through the API.
    assert world.client("tl").post(reverse("api:ama-question-vote", args=[pending.pk])).status_code == 404
    assert AmaVote.objects.count() == 0


def test_moderation_pending_published_hidden_with_visible_hidden_count(world):
    session = helpers.ama_session(world)
    visible = helpers.published_question(world, session, body="Visible one")
    hidden = _ask(world, session, body="Rude one")
    _ask(world, session, body="Waiting one")
    services.ama_question_moderate(actor=helpers.actor(world), question=hidden, status="hidden")

    engineer = world.client("tl")
    listed = engineer.get(reverse("api:ama-question-list"), {"session": session.pk}).json()["results"]
    assert [q["body"] for q in listed] == ["Visible one"]
    page = engineer.get(reverse("security:ama-detail", args=[session.pk])).content.decode()
    assert "1 published · 1 awaiting moderation · <strong>1 hidden by moderators</strong>" in page
    assert "Rude one" not in page and "Waiting one" not in page

    cto = world.client("cto")
    all_bodies = {q["body"]: q["status"] for q in cto.get(reverse("api:ama-question-list")).json()["results"]}
    assert all_bodies == {"Visible one": "published", "Rude one": "hidden", "Waiting one": "pending"}
    assert visible.status == "published"


def test_participants_cannot_moderate_and_nothing_changes(world):
    session = helpers.ama_session(world)
    question = _ask(world, session)
    for role in ("engineer", "tl", "em", "hr"):
        response = world.client(role).post(reverse("api:ama-question-moderate", args=[question.pk]),
                                           {"status": "published"}, content_type=JSON)
        assert response.status_code == 403
        page = world.client(role).post(reverse("security:question-moderate", args=[question.pk]),
                                       {"action": "status", "status": "published"})
        assert page.status_code == 403
    question.refresh_from_db()
    assert question.status == "pending"
    with pytest.raises(PermissionDenied):
        services.ama_question_moderate(actor=helpers.actor(world, "em"), question=question, status="hidden")


def test_security_team_tl_moderates(world):
    helpers.security_tl(world)
    session = helpers.ama_session(world)
    question = _ask(world, session)
    response = world.client("sectl").post(reverse("api:ama-question-moderate", args=[question.pk]),
                                          {"status": "hidden"}, content_type=JSON)
    assert response.status_code == 200
    assert response.json()["status"] == "hidden"


def test_answer_markdown_is_sanitised_on_page_and_api(world):
    session = helpers.ama_session(world)
    question = helpers.published_question(world, session)
    answer = "**Yes**. <script>alert('x')</script> [click](javascript:alert(1)) <img src=x onerror=alert(2)>"
    response = world.client("cto").post(reverse("api:ama-question-answer", args=[question.pk]), {"answer": answer},
                                        content_type=JSON)
    assert response.status_code == 200
    html = response.json()["answer_html"]
    assert "<strong>Yes</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    page = world.client("engineer").get(reverse("security:ama-detail", args=[session.pk])).content.decode()
    assert "<strong>Yes</strong>" in page
    assert "<script>alert('x')</script>" not in page
    assert "javascript:alert" not in page and "onerror" not in page


def test_faq_needs_an_answered_published_question(world):
    session = helpers.ama_session(world)
    question = helpers.published_question(world, session, body="Do we allow USB sticks?")
    cto = world.client("cto")
    url = reverse("api:ama-question-faq", args=[question.pk])
    refused = cto.post(url, {"in_faq": True}, content_type=JSON)
    assert refused.status_code == 400
    assert refused.json() == {"in_faq": ["Answer the question before adding it to the FAQ."]}
    cto.post(reverse("api:ama-question-answer", args=[question.pk]), {"answer": "No, use the *shared drive*."},
             content_type=JSON)
    assert cto.post(url, {"in_faq": True, "faq_title": "USB sticks"}, content_type=JSON).status_code == 200
    faq = world.client("finance").get(reverse("security:faq")).content.decode()
    assert "USB sticks" in faq and "<em>shared drive</em>" in faq
    # Hiding the question takes it out of the FAQ.
    services.ama_question_moderate(actor=helpers.actor(world), question=question, status="hidden")
    question.refresh_from_db()
    assert question.in_faq is False
    assert "USB sticks" not in world.client("finance").get(reverse("security:faq")).content.decode()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"body": "   "}, {"body": ["This field may not be blank."]}),
        ({"body": "x" * 2001}, {"body": ["Keep the question under 2000 characters."]}),
        ({"body": "ok", "session": 999999}, {"session": ['Invalid pk "999999" - object does not exist.']}),
    ],
)
def test_bad_questions_get_clear_errors(world, payload, expected):
    session = helpers.ama_session(world)
    data = {"session": session.pk, **payload}
    response = world.client("engineer").post(reverse("api:ama-question-list"), data, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == expected
    assert AmaQuestion.objects.count() == 0


def test_closed_session_refuses_questions(world):
    session = helpers.ama_session(world, is_open=False)
    response = world.client("engineer").post(reverse("api:ama-question-list"), {"session": session.pk, "body": "Hi?"},
                                             content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"session": ["This session no longer takes questions."]}
    assert AmaQuestion.objects.count() == 0


def test_service_token_reads_but_cannot_ask(world):
    session = helpers.ama_session(world)
    response = world.client("service").post(reverse("api:ama-question-list"), {"session": session.pk, "body": "Hi"},
                                            content_type=JSON)
    assert response.status_code == 403
    assert AmaQuestion.objects.count() == 0


def test_attendance_is_recorded_once_and_becomes_awareness_evidence(world):
    session = helpers.ama_session(world)
    cto = world.client("cto")
    url = reverse("api:ama-session-attendance", args=[session.pk])
    people = [world.engineer.pk, world.tl.pk]
    assert cto.post(url, {"people": people}, content_type=JSON).json() == {"added": 2}
    assert cto.post(url, {"people": people + [world.pm.pk]}, content_type=JSON).json() == {"added": 1}
    assert session.attendances.count() == 3
    evidence = session.evidence
    assert evidence.source == "ama_session"
    assert list(evidence.controls.values_list("code", flat=True)) == ["6.3"]


def test_self_check_in_window_and_idempotence(world):
    from datetime import timedelta

    from django.utils import timezone

    session = helpers.ama_session(world, days=0)  # starts now
    client = world.client("pm")
    url = reverse("api:ama-session-check-in", args=[session.pk])
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200
    assert list(session.attendances.values_list("person_id", flat=True)) == [world.pm.pk]
    assert session.evidence.controls.get().code == "6.3"
    page = client.get(reverse("security:ama-detail", args=[session.pk])).content.decode()
    assert "Your attendance is recorded." in page

    actor = helpers.actor(world, "engineer")
    with pytest.raises(ValidationError) as early:
        services.ama_attendance_check_in(actor=actor, session=session, now=session.starts_at - timedelta(minutes=16))
    assert early.value.message_dict == {"session": ["Check-in opens 15 minutes before the session starts."]}
    with pytest.raises(ValidationError) as late:
        services.ama_attendance_check_in(actor=actor, session=session, now=session.starts_at + timedelta(days=8))
    assert late.value.message_dict == {"session": ["Check-in closed a week after the session."]}
    assert session.attendances.count() == 1
    assert world.client("service").post(url).status_code == 403
    assert timezone.now() >= session.starts_at
