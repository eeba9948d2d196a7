"""Global search over a grown demo: 500 meetings with a page of notes each, 10,000 resources,
200 people. Median time and queries of the page and the API, for the CTO and an EM, on both
backends when the database is PostgreSQL (full text and the simple fallback), else the simple one.

``make bench`` runs it on SQLite. On PostgreSQL (standalone, a throw-away test database):
``DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name> python bench/bench_search.py``."""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

N_MEETINGS = 500
N_RESOURCES = 10_000
N_PEOPLE = 200
WORDS = ("latency budget rollout canary kafka schema migration incident review hiring roadmap vendor "
         "observability terraform capacity postgres replica failover onboarding security patch").split()


def _median_ms(client, url: str, repeat: int = 20) -> tuple[float, int]:
    from django.db import connections

    client.get(url)  # warm
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(count):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(executed)


def _grow() -> None:
    from datetime import UTC, datetime, timedelta
    from datetime import time as dtime

    from django.utils import timezone

    from apps.core.roles import Role
    from apps.costs.models import AwsAccount
    from apps.infra.models import Resource
    from apps.org.models import Person, Team
    from apps.syncs.models import Meeting, SyncSeries

    teams = list(Team.objects.all()[:8])
    cto = Person.objects.filter(role=Role.CTO).first()
    people = Person.objects.count()
    Person.objects.bulk_create([
        Person(full_name=f"Bench Person {i}", email=f"bench.search{i}@example.com", title="Engineer",
               team=teams[i % len(teams)], manager=cto)
        for i in range(max(0, N_PEOPLE - people))
    ])
    series, _ = SyncSeries.objects.get_or_create(title="Bench Sync", defaults={"owner": cto, "start_time": dtime(9)})
    series.participants.add(cto)
    start = datetime(2023, 1, 2, 9, tzinfo=UTC)
    notes = []
    for i in range(N_MEETINGS - Meeting.objects.count()):
        text = " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(250))
        notes.append(Meeting(series=series, scheduled_at=start + timedelta(days=i), notes=f"Meeting {i}. {text}"))
    Meeting.objects.bulk_create(notes, ignore_conflicts=True)
    account, _ = AwsAccount.objects.get_or_create(account_id="888888888888", defaults={"name": "Bench search"})
    now = timezone.now()
    Resource.objects.bulk_create([
        Resource(arn=f"arn:aws:ec2:eu-west-1:888888888888:instance/i-srch{i:08d}", resource_id=f"i-srch{i:08d}",
                 kind=Resource.Kind.EC2_INSTANCE, name=f"{WORDS[i % len(WORDS)]}-{i:05d}", account=account,
                 region="eu-west-1", owner_team=teams[i % len(teams)], first_seen=now, last_seen=now)
        for i in range(max(0, N_RESOURCES - Resource.objects.count()))
    ], batch_size=5000)


def run(client, timed=None) -> list[tuple[str, float, int]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings

    from apps.infra.models import Resource
    from apps.syncs.models import Meeting

    _grow()
    em = Client()
    em.force_login(get_user_model().objects.get(username="em"))
    backends = ("fulltext", "simple") if connection.vendor == "postgresql" else ("simple",)
    size = f"{Meeting.objects.count()} meetings, {Resource.objects.count():,} resources"
    rows = []
    for backend in backends:
        with override_settings(SEARCH_BACKEND=backend):
            for who, c in (("CTO", client), ("EM", em)):
                for q in ("kafka", "canary rollout", "failo", "i-srch00004242"):
                    rows.append((f"search [{backend}] {who} page q={q!r} ({size}, median)",
                                 *_median_ms(c, f"/search/?q={q}")))
            rows.append((f"search [{backend}] CTO API q='kafka' kind=meeting limit=50 (median)",
                         *_median_ms(client, "/api/v1/search/?q=kafka&kind=meeting&limit=50")))
    return rows


if __name__ == "__main__":  # standalone: a throw-away database (SQLite, or PostgreSQL's test_<name>)
    import tempfile

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cto_portal.settings")
    os.environ.setdefault("DEBUG", "1")
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    if not on_postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='cto-bench-')}/bench.sqlite3"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    if on_postgres:
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        call_command("migrate", verbosity=0)
    try:
        call_command("seed_demo", quiet=True, stdout=open(os.devnull, "w"))
        client = Client()
        client.force_login(get_user_model().objects.get(username="cto"))
        for label, ms, queries in run(client):
            print(f"{ms:10.1f} ms  {queries:3d} q  {label}")
    finally:
        if on_postgres:
            connection.creation.destroy_test_db(old_name, verbosity=0)
