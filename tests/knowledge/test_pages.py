"""The pages: proposing, voting (htmx), scheduling, check-in, feedback, library, balance."""
from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apps.knowledge.models import Attendance, Feedback, Proposal, ProposalVote, Session, SessionSeries, Talk
from tests.knowledge.factories import FeedbackFactory, ProposalFactory, SessionFactory, TalkFactory


def test_propose_a_talk(world):
    client = world.client("engineer")
    bad = client.post(reverse("knowledge:proposal-create"), {"title": "", "track": "backend", "duration_minutes": 0})
    assert bad.status_code == 200
    assert Proposal.objects.count() == 0
    response = client.post(reverse("knowledge:proposal-create"), {
        "title": "Observability 101", "track": "platform", "duration_minutes": 20, "abstract": "Traces *and* logs",
    })
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response["Location"] == proposal.get_absolute_url()
    assert (proposal.proposer, proposal.track) == (world.engineer, "platform")
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert "<em>and</em>" in page


def test_vote_toggles_with_htmx(world):
    proposal = ProposalFactory(proposer=world.engineer2)
    url = reverse("knowledge:proposal-vote", kwargs={"pk": proposal.pk})
    client = world.client("pm")
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert ProposalVote.objects.filter(proposal=proposal, person=world.pm).count() == 1
    response = client.post(url, {"next": "https://evil.example.com/"})
    assert response.status_code == 302 and response["Location"] == reverse("knowledge:proposal-list")
    assert ProposalVote.objects.filter(proposal=proposal).count() == 0


def test_proposal_list_orders_by_votes(world):
    low = ProposalFactory(title="Low", proposer=world.engineer)
    high = ProposalFactory(title="High", proposer=world.engineer)
    ProposalVote.objects.create(proposal=high, person=world.em)
    ProposalFactory(title="Rejected one", proposer=world.engineer, status="rejected")
    page = world.client("pm").get(reverse("knowledge:proposal-list"))
    assert [p.title for p in page.context["page"]] == [high.title, low.title]
    rejected = world.client("pm").get(reverse("knowledge:proposal-list"), {"status": "rejected"})
    assert [p.title for p in rejected.context["page"]] == ["Rejected one"]


def test_schedule_page_shows_the_overrun_and_changes_nothing(world, hosted):
    TalkFactory(session=hosted, duration_minutes=50, speakers=[world.em])
    proposal = ProposalFactory(proposer=world.engineer, duration_minutes=20)
    url = reverse("knowledge:proposal-schedule", kwargs={"pk": proposal.pk})
    response = world.client("tl").post(url, {"session": hosted.pk})
    assert response.status_code == 200
    assert "would overrun" in response.content.decode()
    assert Proposal.objects.get(pk=proposal.pk).status == "backlog"
    ok = ProposalFactory(proposer=world.engineer, duration_minutes=10)
    response = world.client("tl").post(reverse("knowledge:proposal-schedule", kwargs={"pk": ok.pk}),
                                       {"session": hosted.pk})
    assert response.status_code == 302
    assert Talk.objects.filter(session=hosted).count() == 2


def test_denied_schedule_page_post_changes_nothing(world, hosted):
    proposal = ProposalFactory(proposer=world.engineer)
    response = world.client("engineer").post(reverse("knowledge:proposal-schedule", kwargs={"pk": proposal.pk}),
                                             {"session": hosted.pk})
    assert response.status_code == 403
    assert Talk.objects.count() == 0


def test_reject_page(world, hosted):
    proposal = ProposalFactory(proposer=world.engineer)
    response = world.client("cto").post(reverse("knowledge:proposal-reject", kwargs={"pk": proposal.pk}),
                                        {"note": "Let's pair it with the Q1 security session."})
    assert response.status_code == 302
    page = world.client("engineer").get(proposal.get_absolute_url()).content.decode()
    assert "Let&#x27;s pair it with the Q1 security session." in page


def test_check_in_page(world):
    session = SessionFactory(starts_at=timezone.now() - timedelta(minutes=2))
    client = world.client("engineer")
    assert 'data-testid="check-in"' in client.get(session.get_absolute_url()).content.decode()
    assert client.post(reverse("knowledge:session-check-in", kwargs={"pk": session.pk})).status_code == 302
    assert Attendance.objects.filter(session=session, person=world.engineer).count() == 1
    assert 'data-testid="checked-in"' in client.get(session.get_absolute_url()).content.decode()


def test_feedback_page_visibility(world):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=1), host=world.tl)
    talk = TalkFactory(session=past, speakers=[world.engineer], abstract="<script>x()</script>**hi**")
    response = world.client("em").post(reverse("knowledge:talk-feedback", kwargs={"pk": talk.pk}),
                                       {"rating": 2, "comment": "The demo broke"})
    assert response.status_code == 302
    assert Feedback.objects.get(talk=talk).rating == 2
    FeedbackFactory(talk=talk, person=world.pm, rating=5, comment="Loved it")

    speaker = world.client("engineer").get(talk.get_absolute_url()).content.decode()
    assert "The demo broke" in speaker and "Loved it" in speaker
    assert "Em Person" not in speaker and speaker.count("Anonymous ·") == 2  # speakers read it anonymously
    host = world.client("tl").get(talk.get_absolute_url()).content.decode()
    assert "Em Person ·" in host and "Pm Person ·" in host
    assert "<script>x()" not in speaker and "<strong>hi</strong>" in speaker
    cto = world.client("cto").get(talk.get_absolute_url()).content.decode()
    assert "The demo broke" in cto and "Loved it" in cto
    hr = world.client("hr").get(talk.get_absolute_url()).content.decode()
    assert "The demo broke" not in hr and "Loved it" not in hr
    assert "average 3.5/5" in hr
    pm = world.client("pm").get(talk.get_absolute_url()).content.decode()
    assert "Loved it" in pm and "The demo broke" not in pm

    world.client("engineer").post(reverse("knowledge:talk-share-feedback", kwargs={"pk": talk.pk}), {"shared": "1"})
    assert "The demo broke" in world.client("hr").get(talk.get_absolute_url()).content.decode()


def test_move_page(world, hosted):
    later = SessionFactory(host=world.tl, starts_at=timezone.now() + timedelta(days=30))
    talk = TalkFactory(session=hosted, speakers=[world.engineer])
    response = world.client("tl").post(reverse("knowledge:talk-move", kwargs={"pk": talk.pk}), {"session": later.pk})
    assert response.status_code == 302
    assert Talk.objects.get(pk=talk.pk).session == later


def test_series_create_page_generates_sessions(world):
    response = world.client("cto").post(reverse("knowledge:series-create"), {
        "name": "Tech Monthly", "cadence": "monthly", "weekday": 3, "week_of_month": -1, "start_time": "16:00",
        "time_zone": "Europe/Lisbon", "duration_minutes": 60, "starts_on": timezone.localdate().isoformat(),
        "generate_ahead": 3, "host": world.cto.pk, "is_active": "on",
    })
    series = SessionSeries.objects.get()
    assert response.status_code == 302
    assert Session.objects.filter(series=series).count() == 3
    world.client("cto").post(reverse("knowledge:series-generate", kwargs={"pk": series.pk}))
    assert Session.objects.filter(series=series).count() == 3


def test_library_search(world):
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=40))
    TalkFactory(session=past, title="Rust in production", speakers=[world.engineer], track="backend")
    TalkFactory(session=past, title="Design systems", speakers=[world.tl], track="frontend")
    TalkFactory(title="Upcoming Rust talk", speakers=[world.tl])
    client = world.client("finance")
    assert [t.title for t in client.get(reverse("knowledge:library"), {"q": "rust"}).context["page"]] == [
        "Rust in production"]
    assert [t.title for t in client.get(reverse("knowledge:library"), {"track": "frontend"}).context["page"]] == [
        "Design systems"]
    bad = client.get(reverse("knowledge:library"), {"year": "abc"})
    assert bad.status_code == 200
    assert bad.context["page"].paginator.count == 2


def test_balance_page(world):
    session = SessionFactory(starts_at=timezone.now() - timedelta(days=1), host=world.tl)
    TalkFactory(session=session, speakers=[world.engineer], track="frontend")
    page = world.client("engineer").get(reverse("knowledge:balance"))
    assert page.status_code == 200
    assert 'id="attendance-trend-data"' in page.content.decode()
    assert "knowledge-balance.js" in page.content.decode()
    assert 'data-testid="nudge"' not in page.content.decode()
    assert 'data-testid="nudge"' in world.client("tl").get(reverse("knowledge:balance")).content.decode()
    assert world.client("engineer").get(reverse("knowledge:balance"), {"quarter": "9", "year": "x"}).status_code == 200


def test_attendance_import_page(world, hosted):
    url = reverse("knowledge:session-attendance", kwargs={"pk": hosted.pk})
    response = world.client("tl").post(url, {"emails": "engineer@example.com, pm@example.com"})
    assert response.status_code == 302
    assert Attendance.objects.filter(session=hosted, source="import").count() == 2
    denied = world.client("engineer").post(url, {"emails": "hr@example.com"})
    assert denied.status_code == 403
    assert Attendance.objects.filter(session=hosted).count() == 2


def test_proposer_edits_their_proposal_until_it_is_decided(world):
    proposal = ProposalFactory(proposer=world.engineer, title="Draft")
    url = reverse("knowledge:proposal-edit", kwargs={"pk": proposal.pk})
    data = {"title": "Final title", "track": "data", "duration_minutes": 15, "abstract": "Better"}
    assert world.client("pm").post(url, data).status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).title == "Draft"
    assert world.client("engineer").post(url, data).status_code == 302
    proposal.refresh_from_db()
    assert (proposal.title, proposal.track, proposal.duration_minutes) == ("Final title", "data", 15)
    Proposal.objects.filter(pk=proposal.pk).update(status="rejected")
    response = world.client("engineer").post(url, {**data, "title": "Sneaky"})
    assert response.status_code == 200
    assert "only proposals in the backlog can be edited" in response.content.decode()
    assert Proposal.objects.get(pk=proposal.pk).title == "Final title"
