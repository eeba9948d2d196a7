"""The CTO dashboard's server time (printed, never asserted).

``make bench`` (SQLite, demo data): the CTO home page and the CTO dashboard API, via ``run``.

The large demo on PostgreSQL (the issue's goal: median under 150 ms)::

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> python bench/bench_dashboard.py [--repeat 20]

migrates, seeds the demo organisation, then grows it in bulk (SQL and bulk_create) to 3 years of
daily costs, 200 people, 500 meetings with agendas and action items and 10,000 infrastructure
resources with findings, and prints the median server time (in-process Django test client:
URL routing, middleware, queries and template rendering; no network) of 20 dashboard requests
by the CTO, with the query count. WARNING: it replaces every CostEntry, Meeting and Resource of
the database it runs against; use a throw-away database.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

YEARS = 3
ACCOUNTS = 10
SERVICES = 30
PEOPLE = 200
MEETINGS = 500
RESOURCES = 10_000


def run(client, timed):
    """For ``make bench``: the demo data as seeded."""
    return [
        ("dashboard: CTO home page", *timed(client, "/")),
        ("dashboard: API /api/v1/dashboard/cto/", *timed(client, "/api/v1/dashboard/cto/")),
    ]


def _median_ms(client, url: str, repeat: int, cold: bool = False) -> tuple[float, float, int]:
    """Median and worst server time; ``cold`` clears the cache before each request (the spend
    panel's cost aggregates are cached for 5 minutes), so it shows the first request's time."""
    from django.core.cache import cache
    from django.db import connections

    assert client.get(url).status_code == 200, url  # warm
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(count):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        if cold:
            cache.clear()
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), len(executed)


def _grow_people() -> None:
    from apps.core.roles import Role
    from apps.org.models import Person, Team

    missing = PEOPLE - Person.objects.filter(is_active=True).count()
    if missing <= 0:
        return
    teams = list(Team.objects.filter(is_active=True))
    managers = list(Person.objects.filter(role__in=[Role.TL, Role.EM], is_active=True))
    Person.objects.bulk_create([
        Person(full_name=f"Bench Person {i}", email=f"bench.person.{i}@example.com", role=Role.ENGINEER,
               team=teams[i % len(teams)], manager=managers[i % len(managers)])
        for i in range(missing)
    ], batch_size=1000)


def _grow_costs() -> int:
    from django.db import connection

    from apps.org.models import Team

    team_ids = list(Team.objects.values_list("pk", flat=True)) or [None]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM costs_costentry")
        cur.execute("""
            INSERT INTO costs_costentry (date, billing_period, provider, billing_account_id, sub_account_id,
                sub_account_name, service, service_category, region, cost, amortized_cost, currency, source,
                created_at, team_id)
            SELECT d::date, date_trunc('month', d)::date, CASE WHEN s %% 7 = 0 THEN 'GCP' ELSE 'AWS' END,
                   '200000000000', (100000000000 + a)::text, '', 'Service ' || s, '', 'eu-west-1',
                   (random() * 100)::numeric(24, 12), (random() * 90)::numeric(24, 12), 'USD', 'demo', now(),
                   (%s::bigint[])[1 + (a + s) %% %s]
            FROM generate_series(current_date - %s, current_date, interval '1 day') AS d,
                 generate_series(1, %s) AS a, generate_series(1, %s) AS s
        """, [team_ids, len(team_ids), 365 * YEARS, ACCOUNTS, SERVICES])
        cur.execute("ANALYZE costs_costentry")
        cur.execute("SELECT count(*) FROM costs_costentry")
        return cur.fetchone()[0]


def _grow_meetings() -> int:
    from datetime import timedelta

    from django.utils import timezone

    from apps.syncs.models import ActionItem, AgendaItem, Meeting, SyncSeries

    series = list(SyncSeries.objects.all())
    missing = MEETINGS - Meeting.objects.count()
    if missing <= 0 or not series:
        return Meeting.objects.count()
    now = timezone.now()
    meetings = Meeting.objects.bulk_create([
        Meeting(series=series[i % len(series)], scheduled_at=now - timedelta(days=400) + timedelta(hours=19 * i),
                status=Meeting.Status.HELD if i < missing - 40 else Meeting.Status.PLANNED, is_adhoc=True)
        for i in range(missing)
    ], batch_size=1000)
    owners = [p for s in series[:10] for p in s.participants.all()] or [s.owner for s in series]
    today = timezone.localdate()
    AgendaItem.objects.bulk_create([
        AgendaItem(series=m.series, meeting=m, title=f"Bench topic {j}", order=j,
                   status=AgendaItem.Status.OPEN if m.status == Meeting.Status.PLANNED else AgendaItem.Status.DONE)
        for m in meetings for j in range(4)
    ], batch_size=2000)
    ActionItem.objects.bulk_create([
        ActionItem(series=m.series, meeting=m, owner=owners[(i + j) % len(owners)], title=f"Bench action {i}.{j}",
                   due_date=today - timedelta(days=(i * 7 + j) % 60 - 20),
                   status=ActionItem.Status.OPEN if (i + j) % 3 else ActionItem.Status.DONE)
        for i, m in enumerate(meetings) for j in range(3)
    ], batch_size=2000)
    return Meeting.objects.count()


def _grow_resources() -> int:
    from django.utils import timezone

    from apps.costs.models import AwsAccount
    from apps.infra.models import Finding, Resource
    from apps.org.models import Team

    missing = RESOURCES - Resource.objects.count()
    if missing > 0:
        account, _ = AwsAccount.objects.get_or_create(account_id="999999999999", defaults={"name": "Bench"})
        teams = list(Team.objects.all())
        now = timezone.now()
        created = Resource.objects.bulk_create([
            Resource(arn=f"arn:aws:ec2:eu-west-1:999999999999:instance/i-dash{i:08d}", resource_id=f"i-dash{i:08d}",
                     kind=Resource.Kind.EC2_INSTANCE, name=f"dash-{i:08d}", account=account, region="eu-west-1",
                     state="running", size="t3.micro", owner_team=teams[i % len(teams)] if i % 10 else None,
                     first_seen=now, last_seen=now)
            for i in range(missing)
        ], batch_size=5000)
        Finding.objects.bulk_create([
            Finding(resource=r, kind=Finding.Kind.UNTAGGED, team=None) for r in created if r.owner_team_id is None
        ], batch_size=5000)
    return Resource.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cto_portal.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("This bench needs PostgreSQL: set DATABASE_URL=postgres://...")
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from apps.org.models import Person

    setup_test_environment()
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", quiet=True, stdout=open(os.devnull, "w"))
    print(f"migrate + seed_demo: {time.perf_counter() - t:.0f}s")
    t = time.perf_counter()
    _grow_people()
    costs = _grow_costs()
    meetings = _grow_meetings()
    resources = _grow_resources()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"large demo in {time.perf_counter() - t:.0f}s: {costs:,} daily cost facts ({YEARS}y x {ACCOUNTS} accounts "
          f"x {SERVICES} services), {Person.objects.filter(is_active=True).count()} people, {meetings} meetings, "
          f"{resources:,} resources")
    client = Client()
    client.force_login(get_user_model().objects.get(username="cto"))
    for label, url, cold in (("CTO dashboard /", "/", False),
                             ("CTO dashboard / (cold: cost cache cleared each time)", "/", True),
                             ("API /api/v1/dashboard/cto/", "/api/v1/dashboard/cto/", False)):
        median, worst, queries = _median_ms(client, url, args.repeat, cold=cold)
        print(f"{label}: median {median:.1f} ms of {args.repeat} (max {worst:.1f} ms), {queries} queries")


if __name__ == "__main__":
    main()
