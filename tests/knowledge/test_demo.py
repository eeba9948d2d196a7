from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from apps.knowledge.models import Attendance, Feedback, Proposal, ProposalVote, Session, SessionSeries, Talk


def _counts():
    return (SessionSeries.objects.count(), Session.objects.count(), Talk.objects.count(), Proposal.objects.count(),
            ProposalVote.objects.count(), Attendance.objects.count(), Feedback.objects.count())


def test_seed_demo_makes_a_year_of_tech_monthly_and_is_idempotent(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("seed_demo", "--quiet", stdout=out)
    first = _counts()
    series = SessionSeries.objects.get(name="Tech Monthly")
    past = Session.objects.filter(series=series, recording_url__startswith="https://")
    assert 12 <= past.count() <= 13
    assert Session.objects.filter(series=series).count() == past.count() + 3
    assert Session.objects.filter(series=None).count() == 1
    assert Talk.objects.filter(given_again_from__isnull=False).count() == 1
    assert Proposal.objects.filter(repeat_of__isnull=False, status="backlog").count() == 1
    assert set(Proposal.objects.values_list("status", flat=True)) == {"backlog", "scheduled", "rejected"}
    assert Feedback.objects.count() > 50 and Attendance.objects.count() > 300
    for session in Session.objects.all():  # the demo respects the length guard too
        assert sum(t.duration_minutes for t in session.talks.all()) <= session.duration_minutes
    assert "Knowledge:" in out.getvalue()

    call_command("seed_demo", "--quiet", stdout=StringIO())
    assert _counts() == first

    # Every page renders with a year of data.
    client = Client()
    client.force_login(get_user_model().objects.get(username="cto"))
    talk = Talk.objects.filter(feedback__isnull=False).first()
    session = talk.session
    proposal = Proposal.objects.filter(status="backlog").first()
    urls = [reverse("knowledge:session-list"), session.get_absolute_url(), talk.get_absolute_url(),
            proposal.get_absolute_url(), reverse("knowledge:proposal-list"), reverse("knowledge:library"),
            reverse("knowledge:balance"), series.get_absolute_url(), reverse("knowledge:series-list"),
            reverse("knowledge:proposal-schedule", kwargs={"pk": proposal.pk}),
            reverse("knowledge:session-attendance", kwargs={"pk": session.pk})]
    assert [client.get(url).status_code for url in urls] == [200] * len(urls)
