"""The knowledge API: voting (idempotent), scheduling with the length guard, moving, feedback
visibility, check-in and clear 400s on bad input."""
from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apps.knowledge.models import Attendance, Feedback, Proposal, ProposalVote, Session, Talk
from tests.knowledge.factories import FeedbackFactory, ProposalFactory, SessionFactory, TalkFactory


def test_propose_vote_schedule_through_the_api(world, hosted):
    engineer = world.client("engineer")
    response = engineer.post(reverse("api:knowledge-proposal-list"), {
        "title": "Feature flags without tears", "abstract": "Lessons", "track": "backend", "duration_minutes": 25,
        "co_speakers": [world.engineer2.pk],
    }, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["proposer"]["id"], body["co_speakers"], body["vote_count"]) == (
        "backlog", world.engineer.pk, [world.engineer2.pk], 0)
    pk = body["id"]

    vote_url = reverse("api:knowledge-proposal-vote", kwargs={"pk": pk})
    first = world.client("em").post(vote_url, content_type="application/json")
    again = world.client("em").post(vote_url, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"proposal": pk, "voted": True, "vote_count": 1, "created": False}
    assert ProposalVote.objects.filter(proposal_id=pk).count() == 1

    schedule = world.client("tl").post(reverse("api:knowledge-proposal-schedule", kwargs={"pk": pk}),
                                       {"session": hosted.pk}, content_type="application/json")
    assert schedule.status_code == 201, schedule.content
    talk = schedule.json()
    assert (talk["session"], talk["title"], talk["duration_minutes"], talk["proposal"]) == (
        hosted.pk, "Feature flags without tears", 25, pk)
    assert sorted(s["id"] for s in talk["speakers"]) == sorted([world.engineer.pk, world.engineer2.pk])
    assert Proposal.objects.get(pk=pk).status == "scheduled"


def test_unvote_through_the_api(world):
    proposal = ProposalFactory(proposer=world.engineer2)
    ProposalVote.objects.create(proposal=proposal, person=world.em)
    url = reverse("api:knowledge-proposal-vote", kwargs={"pk": proposal.pk})
    response = world.client("em").delete(url)
    assert response.status_code == 200
    assert response.json() == {"proposal": proposal.pk, "voted": False, "vote_count": 0, "created": False}
    assert world.client("em").delete(url).status_code == 200


def test_schedule_overrun_is_a_400_with_a_clear_message(world, hosted):
    TalkFactory(session=hosted, duration_minutes=50, speakers=[world.em])
    proposal = ProposalFactory(proposer=world.engineer, duration_minutes=15)
    response = world.client("cto").post(reverse("api:knowledge-proposal-schedule", kwargs={"pk": proposal.pk}),
                                         {"session": hosted.pk}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"session": [
        "A 15-minute talk would overrun “Tech Monthly — December”: 50 of its 60 minutes are already booked, 10 left."]}
    assert Talk.objects.filter(session=hosted).count() == 1
    assert Proposal.objects.get(pk=proposal.pk).status == "backlog"


def test_schedule_denied_to_non_curators_changes_nothing(world, hosted):
    proposal = ProposalFactory(proposer=world.engineer)
    response = world.client("em").post(reverse("api:knowledge-proposal-schedule", kwargs={"pk": proposal.pk}),
                                       {"session": hosted.pk}, content_type="application/json")
    assert response.status_code == 403
    assert Talk.objects.count() == 0
    assert Proposal.objects.get(pk=proposal.pk).status == "backlog"


def test_reject_through_the_api(world, hosted):
    proposal = ProposalFactory(proposer=world.engineer)
    url = reverse("api:knowledge-proposal-reject", kwargs={"pk": proposal.pk})
    assert world.client("cto").post(url, {"note": ""}, content_type="application/json").json() == {
        "note": ["This field may not be blank."]}
    response = world.client("cto").post(url, {"note": "Covered in October."}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_note"]) == ("rejected", "Covered in October.")


def test_move_a_talk_through_the_api(world, hosted):
    later = SessionFactory(host=world.tl, starts_at=timezone.now() + timedelta(days=30))
    talk = TalkFactory(session=hosted, speakers=[world.engineer])
    url = reverse("api:knowledge-talk-move", kwargs={"pk": talk.pk})
    assert world.client("tl").post(url, {"session": 999999}, content_type="application/json").json() == {
        "session": ['Invalid pk "999999" - object does not exist.']}
    response = world.client("tl").post(url, {"session": later.pk}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["session"] == later.pk
    assert Talk.objects.get(pk=talk.pk).session_id == later.pk


def test_give_again_through_the_api(world, hosted):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=30))
    talk = TalkFactory(session=past, speakers=[world.engineer])
    denied = world.client("engineer").post(reverse("api:knowledge-talk-give-again", kwargs={"pk": talk.pk}),
                                           {"session": hosted.pk}, content_type="application/json")
    assert denied.status_code == 403
    assert Talk.objects.count() == 1
    response = world.client("tl").post(reverse("api:knowledge-talk-give-again", kwargs={"pk": talk.pk}),
                                       {"session": hosted.pk}, content_type="application/json")
    assert response.status_code == 201
    assert (response.json()["given_again_from"], response.json()["session"]) == (talk.pk, hosted.pk)
    assert Talk.objects.count() == 2
    offered = world.client("engineer").post(reverse("api:knowledge-talk-propose-again", kwargs={"pk": talk.pk}),
                                            content_type="application/json")
    assert offered.status_code == 201
    assert (offered.json()["repeat_of"], offered.json()["status"]) == (talk.pk, "backlog")


def test_feedback_api_one_per_person_and_visibility(world):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=1), host=world.tl)
    talk = TalkFactory(session=past, speakers=[world.engineer])
    url = reverse("api:knowledge-feedback-list")
    first = world.client("em").post(url, {"talk": talk.pk, "rating": 4, "comment": "Good"},
                                    content_type="application/json")
    second = world.client("em").post(url, {"talk": talk.pk, "rating": 2, "comment": "Changed my mind"},
                                     content_type="application/json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert Feedback.objects.filter(talk=talk).count() == 1
    bad = world.client("pm").post(url, {"talk": talk.pk, "rating": 9}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json() == {"rating": ["Ensure this value is less than or equal to 5."]}
    FeedbackFactory(talk=talk, person=world.pm, comment="Mine")

    def comments(role):
        return sorted(f["comment"] for f in world.client(role).get(url, {"talk": talk.pk}).json()["results"])

    assert comments("engineer") == ["Changed my mind", "Mine"]
    assert comments("cto") == ["Changed my mind", "Mine"]
    assert comments("tl") == ["Changed my mind", "Mine"]
    assert comments("pm") == ["Mine"]
    assert comments("hr") == []
    assert comments("service") == []

    def authors(role):
        rows = world.client(role).get(url, {"talk": talk.pk}).json()["results"]
        return sorted((f["person"] or {}).get("full_name", "anonymous") for f in rows)

    assert authors("engineer") == ["anonymous", "anonymous"]  # the speaker
    assert authors("tl") == ["Em Person", "Pm Person"]  # the host
    assert authors("cto") == ["Em Person", "Pm Person"]
    assert authors("pm") == ["Pm Person"]


def test_check_in_through_the_api_is_idempotent(world):
    session = SessionFactory(starts_at=timezone.now() - timedelta(minutes=5))
    url = reverse("api:knowledge-session-check-in", kwargs={"pk": session.pk})
    assert world.client("engineer").post(url, content_type="application/json").status_code == 201
    assert world.client("engineer").post(url, content_type="application/json").status_code == 200
    other = world.client("pm").post(reverse("api:knowledge-attendance-list"), {"session": session.pk},
                                    content_type="application/json")
    assert other.status_code == 201
    assert Attendance.objects.filter(session=session).count() == 2
    listed = world.client("hr").get(reverse("api:knowledge-attendance-list"), {"session": session.pk}).json()
    assert sorted(a["person"]["full_name"] for a in listed["results"]) == ["Engineer Person", "Pm Person"]


def test_create_one_off_session_through_the_api(world):
    url = reverse("api:knowledge-session-list")
    payload = {"title": "Incident review: the November outage", "starts_at": "2030-01-10T15:00:00Z",
               "duration_minutes": 45}
    denied = world.client("engineer").post(url, payload, content_type="application/json")
    assert denied.status_code == 403
    response = world.client("cto").post(url, payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert (response.json()["host"], response.json()["booked_minutes"]) == (world.cto.pk, 0)
    bad = world.client("cto").post(url, {**payload, "duration_minutes": 2, "call_url": "ftp://x"},
                                   content_type="application/json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"duration_minutes"}
    bad_url = world.client("cto").post(url, {**payload, "call_url": "ftp://x"}, content_type="application/json")
    assert (bad_url.status_code, bad_url.json()) == (400, {"call_url": ["Enter a valid http(s) URL."]})
    assert Session.objects.count() == 1


def test_talk_search_and_library_filter(world):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=10))
    TalkFactory(session=past, title="Postgres partitioning", speakers=[world.engineer])
    TalkFactory(session=past, title="CSS container queries", abstract="Responsive without media queries",
                speakers=[world.tl])
    TalkFactory(title="Future talk about Postgres", speakers=[world.em])
    url = reverse("api:knowledge-talk-list")
    titles = [t["title"] for t in world.client("pm").get(url, {"q": "postgres", "past": "1"}).json()["results"]]
    assert titles == ["Postgres partitioning"]
    titles = [t["title"] for t in world.client("pm").get(url, {"q": "media"}).json()["results"]]
    assert titles == ["CSS container queries"]
    titles = [t["title"] for t in world.client("pm").get(url, {"q": "Tl Person"}).json()["results"]]
    assert titles == ["CSS container queries"]


def test_abstract_html_is_sanitised(world):
    talk = TalkFactory(abstract="Hi <script>alert(1)</script> [x](javascript:alert(1)) **bold**",
                       speakers=[world.engineer])
    body = world.client("pm").get(reverse("api:knowledge-talk-detail", kwargs={"pk": talk.pk})).json()
    assert "<script>" not in body["abstract_html"]
    assert "javascript:" not in body["abstract_html"]
    assert "<strong>bold</strong>" in body["abstract_html"]


def test_patch_a_proposal(world):
    proposal = ProposalFactory(proposer=world.engineer, duration_minutes=20)
    url = reverse("api:knowledge-proposal-detail", kwargs={"pk": proposal.pk})
    denied = world.client("em").patch(url, {"duration_minutes": 30}, content_type="application/json")
    assert denied.status_code == 403
    response = world.client("engineer").patch(url, {"duration_minutes": 30}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["duration_minutes"] == 30
    assert Proposal.objects.get(pk=proposal.pk).duration_minutes == 30


def test_anonymous_feedback_cannot_be_sorted_by_its_hidden_author(world):
    """The speaker sees feedback without authors; ordering by the author would still tell the
    pieces apart (whoever sorts first), so ?ordering=person is ignored."""
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=1), host=world.tl)
    talk = TalkFactory(session=past, speakers=[world.engineer])
    FeedbackFactory(talk=talk, person=world.pm, comment="from pm")
    FeedbackFactory(talk=talk, person=world.em, comment="from em")
    url = reverse("api:knowledge-feedback-list")

    def order(ordering):
        rows = world.client("engineer").get(url, {"talk": talk.pk, "ordering": ordering}).json()["results"]
        assert all(r["person"] is None for r in rows)
        return [r["comment"] for r in rows]

    assert order("person") == order("-person")
    assert order("rating") and order("-created_at") == list(reversed(order("created_at")))
