"""An anonymous AMA question stores no link to its asker: no row in any table, no log line,
no audit entry and no API field ties it to the asker's user or person."""
from __future__ import annotations

import json
import logging

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models
from django.urls import reverse

from apps.core.models import AccessLog
from apps.org.models import Person
from apps.security.models import AmaQuestion
from tests.security import helpers

BODY = "Is the new DLP agent reading our private messages? (anon-7f3a9c)"


def _row_text(model, row: dict) -> str:
    if model is Session:
        return json.dumps(Session(session_key=row["session_key"], session_data=row["session_data"]).get_decoded(),
                          default=str)
    return json.dumps(row, default=str)


def _rows_about_question(question: AmaQuestion):
    """Every row of every table that points at the question (FK, generic key) or holds its text."""
    ct = ContentType.objects.get_for_model(AmaQuestion)
    for model in apps.get_models(include_auto_created=True):
        fks = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey) and f.related_model is AmaQuestion]
        for row in model.objects.all().values():
            text = _row_text(model, row)
            about = (
                (model is AmaQuestion and row["id"] == question.pk)
                or any(row[f.attname] == question.pk for f in fks)
                or (model is LogEntry and row["content_type_id"] == ct.pk and row["object_pk"] == str(question.pk))
                or BODY in text
            )
            if about:
                yield model, row, text


def _assert_no_link(question: AmaQuestion, asker: Person) -> None:
    user = asker.user
    found = list(_rows_about_question(question))
    assert [m for m, _, _ in found] == [AmaQuestion]  # only the question row itself
    for model, row, text in found:
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model is Person:
                assert row[field.attname] != asker.pk, f"{model.__name__}.{field.name} names the asker"
            if isinstance(field, models.ForeignKey) and field.related_model is type(user):
                assert row[field.attname] != user.pk, f"{model.__name__}.{field.name} names the asker's user"
        for needle in (asker.full_name, asker.email, user.username + '"', user.email):
            assert needle not in text, f"{model.__name__} row mentions {needle!r}"


def test_anonymous_question_via_page_leaves_no_link_anywhere(world, caplog):
    session = helpers.ama_session(world)
    asker = world.engineer
    audit_before = LogEntry.objects.filter(actor=asker.user).count()
    access_before = AccessLog.objects.filter(user=asker.user).count()
    client = world.client("engineer")
    caplog.set_level(logging.DEBUG)

    response = client.post(reverse("security:question-ask", args=[session.pk]), {"body": BODY, "anonymous": "on"})

    assert response.status_code == 302
    question = AmaQuestion.objects.get(body=BODY)
    assert question.is_anonymous is True
    assert question.asker_id is None
    _assert_no_link(question, asker)
    assert LogEntry.objects.filter(actor=asker.user).count() == audit_before
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(AmaQuestion)).count() == 0
    assert AccessLog.objects.filter(user=asker.user).count() == access_before
    log_text = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    for needle in (asker.full_name, asker.email, "engineer", BODY):
        assert needle not in log_text


def test_anonymous_question_stays_unlinked_after_moderation_votes_and_answer(world):
    session = helpers.ama_session(world)
    asker = world.engineer
    world.client("engineer").post(reverse("api:ama-question-list"),
                                  {"session": session.pk, "body": BODY, "anonymous": True}, content_type="application/json")
    question = AmaQuestion.objects.get(body=BODY)
    cto = world.client("cto")
    assert cto.post(reverse("api:ama-question-answer", args=[question.pk]), {"answer": "No, it is not."},
                    content_type="application/json").status_code == 200
    assert world.client("tl").post(reverse("api:ama-question-vote", args=[question.pk])).status_code == 201

    _assert_no_link_except_vote = [m for m, _, _ in _rows_about_question(question)]
    assert sorted(m.__name__ for m in _assert_no_link_except_vote) == ["AmaQuestion", "AmaVote"]
    for _model, row, text in _rows_about_question(question):
        assert asker.pk not in [row.get("asker_id"), row.get("person_id")]
        assert asker.full_name not in text

    # What the CTO sees: no asker in the API, "Anonymous" on the page, not the asker's name.
    data = cto.get(reverse("api:ama-question-detail", args=[question.pk])).json()
    assert data["asker"] is None
    assert data["anonymous"] is True
    assert asker.full_name not in json.dumps(data) and asker.email not in json.dumps(data)
    assert set(data) == {"id", "session", "body", "anonymous", "asker", "status", "answer", "answer_html",
                         "answered_at", "in_faq", "faq_title", "vote_count", "has_voted", "created_at"}
    page = cto.get(reverse("security:ama-detail", args=[session.pk])).content.decode()
    assert "Anonymous" in page
    assert asker.full_name not in page


def _snapshot() -> dict:
    return {
        model._meta.label: {row["pk"] if "pk" in row else json.dumps(row, default=str): json.dumps(row, default=str)
                            for row in model.objects.all().values("pk", *[f.attname for f in model._meta.concrete_fields])}
        for model in apps.get_models(include_auto_created=True)
    }


def test_submitting_an_anonymous_question_writes_only_the_question_row(world):
    """Diff every table before and after the request: the one new row is the question."""
    session = helpers.ama_session(world)
    client = world.client("engineer")
    client.get(reverse("security:ama-detail", args=[session.pk]))  # settle the session row
    before = _snapshot()

    client.post(reverse("security:question-ask", args=[session.pk]), {"body": BODY, "anonymous": "on"})

    after = _snapshot()
    changes = {label: sorted(set(after[label].items()) ^ set(before[label].items())) for label in after}
    changed = {label: rows for label, rows in changes.items() if rows}
    question = AmaQuestion.objects.get(body=BODY)
    assert list(changed) == ["security.AmaQuestion"]
    assert [pk for pk, _ in changed["security.AmaQuestion"]] == [question.pk]
    assert question.asker_id is None


def test_named_question_keeps_its_asker(world):
    session = helpers.ama_session(world)
    response = world.client("engineer").post(reverse("api:ama-question-list"),
                                             {"session": session.pk, "body": "Named question"},
                                             content_type="application/json")
    assert response.status_code == 201
    assert response.json()["asker"] == world.engineer.full_name
    assert AmaQuestion.objects.get(body="Named question").asker == world.engineer


def test_database_refuses_an_anonymous_question_with_an_asker(world):
    from django.db import IntegrityError, transaction

    session = helpers.ama_session(world)
    with transaction.atomic(), __import__("pytest").raises(IntegrityError):
        AmaQuestion.objects.create(session=session, body="x", is_anonymous=True, asker=world.engineer)
    assert AmaQuestion.objects.count() == 0
