"""Server time of the meeting page and the decision log with three years of weekly syncs
(~500 meetings, ~5,000 action items): median of 20 requests. Prints figures; asserts nothing.

Runs against a throw-away test database (``test_<name>`` of DATABASE_URL), never the real one:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cto_syncs DEBUG=1 python bench/syncs_pages.py
"""
from __future__ import annotations

import os
import statistics
import sys
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cto_portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

MEETINGS = 156 * 3 + 32  # three years of weekly syncs plus a few ad-hoc ones: ~500
ACTIONS_PER_MEETING = 10
RUNS = 20


def build():
    from django.contrib.auth import get_user_model

    from apps.core.access import Actor
    from apps.org.models import Person
    from apps.syncs import services
    from apps.syncs.models import ActionItem, AgendaItem, Decision, Meeting

    user = get_user_model().objects.create_user("bench-em", password="bench-pass-1")
    cto = Person.objects.create(full_name="Bench CTO", email="cto@bench.example", role="cto")
    em = Person.objects.create(full_name="Bench EM", email="em@bench.example", role="em", manager=cto, user=user)
    others = [Person.objects.create(full_name=f"EM {i}", email=f"em{i}@bench.example", role="em", manager=cto)
              for i in range(5)]
    series = services.series_create(actor=Actor(user=None, role="cto", person=cto), title="EM Sync", kind="em",
                                    participants=[em, *others], start_time=time(10, 0), generate=False)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(weeks=MEETINGS)
    meetings = Meeting.objects.bulk_create([
        Meeting(series=series, scheduled_at=start + timedelta(weeks=i), status="held", notes="## Notes\n\n- a\n- b")
        for i in range(MEETINGS)
    ])
    people = [em, *others]
    AgendaItem.objects.bulk_create([AgendaItem(series=series, meeting=m, title=f"Topic {k}", order=k, status="done")
                                    for m in meetings for k in range(4)])
    Decision.objects.bulk_create([Decision(series=series, meeting=m, text=f"Decision {m.pk}", owner=people[m.pk % 6],
                                           decided_on=m.scheduled_at.date()) for m in meetings])
    ActionItem.objects.bulk_create([
        ActionItem(series=series, meeting=m, title=f"Action {m.pk}-{k}", owner=people[k % 6],
                   due_date=m.scheduled_at.date() + timedelta(days=14),
                   status="open" if (m.pk + k) % 25 == 0 else "done")
        for m in meetings for k in range(ACTIONS_PER_MEETING)
    ])
    upcoming = Meeting.objects.create(series=series, scheduled_at=datetime.now(UTC) + timedelta(days=1))
    return user, upcoming


def measure(client: Client, url: str) -> float:
    client.get(url)  # warm up
    times = []
    for _ in range(RUNS):
        t0 = clock.perf_counter()
        response = client.get(url)
        times.append((clock.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def main() -> None:
    setup_test_environment()
    config = setup_databases(verbosity=0, interactive=False)
    try:
        from apps.syncs.models import ActionItem, Meeting

        user, upcoming = build()
        client = Client()
        client.force_login(user)
        print(f"data: {Meeting.objects.count()} meetings, {ActionItem.objects.count()} action items "
              f"({ActionItem.objects.filter(status='open').count()} open)")
        for label, url in [
            ("meeting page (next meeting)", f"/syncs/meetings/{upcoming.pk}/"),
            ("decision log", "/syncs/decisions/"),
            ("decision log, text search", "/syncs/decisions/?q=Decision+4"),
            ("my action items", "/syncs/actions/mine/"),
            ("API decisions", "/api/v1/sync-decisions/"),
        ]:
            print(f"{label:<32} median {measure(client, url):7.1f} ms over {RUNS} requests")
    finally:
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
