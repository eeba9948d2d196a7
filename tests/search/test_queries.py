"""The number of queries of a search does not grow with the number of matches: measured at two
data sizes (one match per kind, then twelve) for the page and the API, per role."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.costs.models import AwsAccount
from apps.infra.models import Resource
from apps.initiatives.models import Initiative
from apps.knowledge.models import Session, Talk
from apps.org.models import Person, Team
from apps.security.models import AmaQuestion, AmaSession, Bulletin
from apps.syncs.models import ActionItem, Decision, Meeting, SyncSeries

WORD = "zzcountqq"
MAX_QUERIES = 25  # sessions/auth, the actor, the scoping selectors' own reads, one query per kind


_SEQ = iter(range(100_000))


def grow(world, n: int) -> None:
    """n more matching objects of every kind, seen by em, tl, engineer and the CTO."""
    series = SyncSeries.objects.filter(title="Count Sync").first()
    if series is None:
        series = SyncSeries.objects.create(title="Count Sync", owner=world.em, start_time=time(9, 0))
        series.participants.set([world.em, world.tl, world.engineer])
        AwsAccount.objects.create(account_id="444455556666", name="count")
        AmaSession.objects.create(title="Count AMA", starts_at=datetime(2026, 1, 1, tzinfo=UTC))
        Session.objects.create(title="Count talks", starts_at=datetime(2026, 1, 1, tzinfo=UTC))
    account = AwsAccount.objects.get(account_id="444455556666")
    ama = AmaSession.objects.get(title="Count AMA")
    session = Session.objects.get(title="Count talks")
    for _ in range(n):
        i = next(_SEQ)
        m = Meeting.objects.create(series=series, scheduled_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i),
                                   notes=f"{WORD} {i}")
        Decision.objects.create(series=series, meeting=m, owner=world.em, text=f"{WORD} {i}")
        ActionItem.objects.create(series=series, meeting=m, owner=world.engineer, title=f"{WORD} {i}",
                                  due_date=date(2026, 6, 1))
        Talk.objects.create(session=session, title=f"{WORD} {i}").speakers.set([world.tl])
        AmaQuestion.objects.create(session=ama, body=f"{WORD} {i}?", answer="Yes.", status="published",
                                   is_anonymous=True)
        b = Bulletin.objects.create(title=f"{WORD} {i}", body="Patch.", requires_ack=False,
                                    published_at=datetime(2026, 1, 1, tzinfo=UTC))
        b.audience_teams.set([world.teams["alpha"]])
        Initiative.objects.create(team=world.teams["alpha"], title=f"{WORD} {i}", owner=world.tl)
        Person.objects.create(full_name=f"{WORD} {i}", email=f"count{i}@example.com", team=world.teams["alpha"],
                              manager=world.tl)
        Team.objects.create(name=f"{WORD} {i}", slug=f"count-{i}")
        Resource.objects.create(arn=f"arn:aws:s3:::count-{i}", resource_id=f"count-{i}", name=f"{WORD} {i}",
                                kind=Resource.Kind.S3_BUCKET, account=account, region="eu-west-1",
                                owner_team=world.teams["alpha"])


def count(client, url, params) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("role", ["engineer", "em", "cto", "hr", "service"])
def test_query_count_is_independent_of_the_number_of_matches(world, backend, role, capsys):
    client = world.client(role)
    surfaces = [(reverse("api:search"), {"q": WORD, "limit": 50})]
    if role != "service":
        surfaces.append((reverse("search:results"), {"q": WORD}))
    grow(world, 1)
    client.get(reverse("api:search"), {"q": "warm-up"})  # a token's first use records its last use once
    small = {url: count(client, url, params)[0] for url, params in surfaces}
    grow(world, 11)
    large = {}
    for url, params in surfaces:
        large[url], response = count(client, url, params)
        if role in ("em", "cto") and url == reverse("api:search"):
            assert sum(len(g["results"]) for g in response.json()["groups"]) >= 12 * 9  # really found many
    with capsys.disabled():
        print(f"\n[search queries] {backend} {role}: small={small} large={large}")
    assert small == large
    assert max(large.values()) <= MAX_QUERIES
