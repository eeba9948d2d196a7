"""Access matrix rows for every knowledge URL (pages and API)."""
from datetime import timedelta

from django.utils import timezone

from apps.knowledge.models import CalendarFeed, Feedback, Proposal, Session, SessionSeries, Talk
from tests.access import Case, api, override, page, same

CURATORS = ("cto", "tl")  # the CTO and the world's session host (tl)


def cases(world):
    now = timezone.now()
    series = SessionSeries.objects.create(name="Tech Monthly", starts_on=now.date(), host=world.tl)
    upcoming = Session.objects.create(title="Upcoming", starts_at=now + timedelta(days=10), host=world.tl,
                                      series=series, occurrence_date=(now + timedelta(days=10)).date())
    past = Session.objects.create(title="Past", starts_at=now - timedelta(days=20), host=world.tl)
    talk = Talk.objects.create(session=past, title="Talk", duration_minutes=20)
    talk.speakers.set([world.engineer])
    proposal = Proposal.objects.create(title="Idea", proposer=world.engineer2, duration_minutes=20)
    feedback = Feedback.objects.create(talk=talk, person=world.engineer2, rating=4, comment="Nice")
    feed = CalendarFeed.objects.create(person=world.pm, token="secret-token-for-tests")
    s, t, p = {"pk": upcoming.pk}, {"pk": talk.pk}, {"pk": proposal.pk}
    post_only = page(ok=405, denied=405)
    # API writes that are refused to service accounts (no person to act as).
    person_write = override(api(ok=400), service=403)
    return [
        Case("knowledge:session-list", page()),
        Case("knowledge:session-create", page(allowed=CURATORS)),
        Case("knowledge:session-detail", page(), kwargs=s),
        Case("knowledge:session-detail", page(ok=404, denied=404), kwargs={"pk": 999999}),
        Case("knowledge:session-edit", page(allowed=CURATORS), kwargs=s),
        Case("knowledge:session-check-in", post_only, kwargs=s),
        Case("knowledge:session-attendance", page(allowed=CURATORS), kwargs=s),
        Case("knowledge:talk-create", page(allowed=CURATORS), kwargs=s),
        Case("knowledge:series-list", page()),
        Case("knowledge:series-create", page(allowed=("cto",))),
        Case("knowledge:series-detail", page(), kwargs={"pk": series.pk}),
        Case("knowledge:series-edit", page(allowed=("cto",)), kwargs={"pk": series.pk}),
        Case("knowledge:series-generate", post_only, kwargs={"pk": series.pk}),
        Case("knowledge:talk-detail", page(), kwargs=t),
        Case("knowledge:talk-edit", page(allowed=(*CURATORS, "engineer")), kwargs=t),
        Case("knowledge:talk-move", page(allowed=CURATORS), kwargs=t),
        Case("knowledge:talk-give-again", page(allowed=CURATORS), kwargs=t),
        Case("knowledge:talk-propose-again", post_only, kwargs=t),
        Case("knowledge:talk-feedback", post_only, kwargs=t),
        Case("knowledge:talk-share-feedback", post_only, kwargs=t),
        Case("knowledge:proposal-list", page()),
        Case("knowledge:proposal-create", page()),
        Case("knowledge:proposal-detail", page(), kwargs=p),
        Case("knowledge:proposal-edit", page(allowed=CURATORS), kwargs=p),  # proposer: engineer2
        Case("knowledge:proposal-vote", post_only, kwargs=p),
        Case("knowledge:proposal-schedule", page(allowed=CURATORS), kwargs=p),
        Case("knowledge:proposal-reject", page(allowed=CURATORS), kwargs=p),
        Case("knowledge:proposal-withdraw", post_only, kwargs=p),
        Case("knowledge:library", page()),
        Case("knowledge:balance", page()),
        Case("knowledge:calendar", page()),
        Case("knowledge:calendar-reset", post_only),
        # The feed is reached by its secret URL alone (calendar apps cannot sign in).
        Case("knowledge:calendar-feed", same(200), kwargs={"token": feed.token}),
        Case("knowledge:calendar-feed", same(404), kwargs={"token": "not-a-token"}),
        # API
        Case("api:knowledge-series-list", api()),
        Case("api:knowledge-series-detail", api(), kwargs={"pk": series.pk}),
        Case("api:knowledge-session-list", api()),
        Case("api:knowledge-session-detail", api(), kwargs=s),
        Case("api:knowledge-session-list", override(api(allowed=CURATORS, ok=400)), method="post", data={}),
        Case("api:knowledge-session-check-in", api(ok=405), kwargs=s),
        # Check-in is not open 10 days ahead: a clear 400 for people, 403 for a service.
        Case("api:knowledge-session-check-in", person_write, kwargs=s, method="post", data={}),
        Case("api:knowledge-talk-list", api()),
        Case("api:knowledge-talk-detail", api(), kwargs=t),
        Case("api:knowledge-talk-move", api(ok=405), kwargs=t),
        Case("api:knowledge-talk-move", override(api(allowed=CURATORS, ok=400)), kwargs=t, method="post", data={}),
        Case("api:knowledge-talk-give-again", api(ok=405), kwargs=t),
        Case("api:knowledge-talk-propose-again", api(ok=405), kwargs=t),
        # Only the speaker (engineer) may offer the talk again.
        Case("api:knowledge-talk-propose-again", api(allowed=("engineer",), ok=201), kwargs=t, method="post",
             data={}),
        Case("api:knowledge-proposal-list", api()),
        Case("api:knowledge-proposal-detail", api(), kwargs=p),
        Case("api:knowledge-proposal-list", person_write, method="post", data={}),
        Case("api:knowledge-proposal-detail", override(api(allowed=CURATORS, ok=400)), kwargs=p, method="patch",
             data={"duration_minutes": 0}),
        Case("api:knowledge-proposal-vote", api(ok=405), kwargs=p),
        Case("api:knowledge-proposal-vote", override(api(ok=201), service=403), kwargs=p, method="post", data={}),
        Case("api:knowledge-proposal-schedule", api(ok=405), kwargs=p),
        Case("api:knowledge-proposal-schedule", override(api(allowed=CURATORS, ok=400)), kwargs=p, method="post",
             data={}),
        Case("api:knowledge-proposal-reject", api(ok=405), kwargs=p),
        Case("api:knowledge-attendance-list", api()),
        Case("api:knowledge-attendance-list", person_write, method="post", data={}),
        Case("api:knowledge-feedback-list", api()),
        Case("api:knowledge-feedback-list", person_write, method="post", data={}),
        # Feedback: the author (engineer2), the speaker (engineer), the host (tl) and the CTO.
        Case("api:knowledge-feedback-detail", api(allowed=("engineer", "tl", "cto"), denied=404),
             kwargs={"pk": feedback.pk}),
    ]

