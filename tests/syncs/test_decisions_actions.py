"""The decision log (filters, CSV), my action items, per-owner overdue lists and completion
rates, and the daily overdue reminder."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from apps.syncs import selectors, services, tasks
from apps.syncs.models import ActionItem
from tests.syncs.builders import actor, build


@pytest.fixture
def data(world):
    d = build(world)
    cto, em = actor(world, "cto"), actor(world, "em")
    services.decision_record(actor=cto, series=d.em_sync, text="Adopt on-call rotation", rationale="Burnout",
                             decided_on=date(2026, 1, 10))
    services.decision_record(actor=em, series=d.em_sync, text="=HYPERLINK(\"evil\")", decided_on=date(2026, 2, 1))
    services.decision_record(actor=cto, series=d.tech_sync, text="Use PostgreSQL 17", owner=world.tl,
                             decided_on=date(2026, 3, 5))
    services.decision_record(actor=em, series=d.one_on_one, text="Private promotion plan", decided_on=date(2026, 3, 6))
    return d


def _texts(response) -> list[str]:
    html = response.content.decode()
    return [t for t in ("Adopt on-call rotation", "HYPERLINK", "Use PostgreSQL 17", "Private promotion plan")
            if t in html]


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["Adopt on-call rotation", "HYPERLINK", "Use PostgreSQL 17"]),
    ("q=postgres", ["Use PostgreSQL 17"]),
    ("date_from=2026-02-01&date_to=2026-03-01", ["HYPERLINK"]),
    ("date_from=not-a-date", ["Adopt on-call rotation", "HYPERLINK", "Use PostgreSQL 17"]),  # ignored, shown
])
def test_decision_log_filters(world, data, query, expected):
    response = world.client("cto").get(reverse("syncs:decision-log") + "?" + query)
    assert response.status_code == 200
    assert _texts(response) == expected


def test_decision_log_filters_by_series_and_person(world, data):
    cto = world.client("cto")
    by_series = cto.get(reverse("syncs:decision-log") + f"?series={data.tech_sync.pk}")
    assert _texts(by_series) == ["Use PostgreSQL 17"]
    by_person = cto.get(reverse("syncs:decision-log") + f"?person={world.em.pk}")
    assert _texts(by_person) == ["HYPERLINK"]
    # The EM sees the EM Sync and their 1:1, not the Tech Sync.
    assert _texts(world.client("em").get(reverse("syncs:decision-log"))) == [
        "Adopt on-call rotation", "HYPERLINK", "Private promotion plan"]


def test_decision_log_csv(world, data):
    response = world.client("cto").get(reverse("syncs:decision-export") + "?date_from=2026-01-01")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["id", "decided_on", "series", "text", "rationale", "owner", "meeting", "supersedes",
                       "superseded_by"]
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        ("2026-03-05", "Tech Sync", "Use PostgreSQL 17"),
        ("2026-02-01", "EM Sync", "'=HYPERLINK(\"evil\")"),  # no formula injection
        ("2026-01-10", "EM Sync", "Adopt on-call rotation"),
    ]


@pytest.fixture
def actions(world, data):
    em, tl = actor(world, "em"), actor(world, "tl")
    today = date.today()
    services.action_item_create(actor=em, series=data.em_sync, title="Late report", due_date=today - timedelta(days=5))
    services.action_item_create(actor=em, series=data.em_sync, title="Future plan", due_date=today + timedelta(days=5))
    done = services.action_item_create(actor=em, series=data.em_sync, title="Finished", due_date=today)
    services.action_item_update(actor=em, item=done, status="done")
    services.action_item_create(actor=em, series=data.one_on_one, title="Read the book", owner=world.tl,
                                due_date=today - timedelta(days=1))
    services.action_item_create(actor=tl, series=data.tech_sync, title="Upgrade Django", owner=world.tl,
                                due_date=today - timedelta(days=2))


def test_my_action_items_page(world, actions):
    response = world.client("tl").get(reverse("syncs:my-actions"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Upgrade Django" in html and "Read the book" in html
    assert "Late report" not in html
    assert html.count(">overdue</span>") == 2
    em_html = world.client("em").get(reverse("syncs:my-actions") + "?status=all").content.decode()
    assert all(t in em_html for t in ("Late report", "Future plan", "Finished"))
    assert "Finished" not in world.client("em").get(reverse("syncs:my-actions")).content.decode()


def test_overdue_per_owner_and_completion_rate(world, actions):
    stats = {s.owner.full_name: s for s in selectors.action_items_by_owner(actor=actor(world, "em"))}
    assert set(stats) == {"Em Person", "Tl Person"}  # the EM does not see the Tech Sync
    em_stats = stats["Em Person"]
    assert (em_stats.total, em_stats.done, em_stats.open, em_stats.completion_rate) == (3, 1, 2, 33)
    assert [a.title for a in em_stats.overdue] == ["Late report"]
    assert [a.title for a in stats["Tl Person"].overdue] == ["Read the book"]
    cto_stats = {s.owner.full_name: s for s in selectors.action_items_by_owner(actor=actor(world, "cto"))}
    assert [a.title for a in cto_stats["Tl Person"].overdue] == ["Upgrade Django"]  # not the 1:1 item
    page = world.client("cto").get(reverse("syncs:actions-by-owner")).content.decode()
    assert "33%" in page and "Read the book" not in page


def test_page_marks_an_action_done_and_refuses_strangers(world, actions):
    item = ActionItem.objects.get(title="Read the book")
    refused = world.client("cto").post(reverse("syncs:action-status", args=[item.pk]),
                                       {"status": "done", "seen_status": "open"})
    assert refused.status_code == 404
    item.refresh_from_db()
    assert item.status == "open"
    ok = world.client("tl").post(reverse("syncs:action-status", args=[item.pk]), {"status": "done", "seen_status": "open"})
    assert ok.status_code == 302
    item.refresh_from_db()
    assert item.status == "done" and item.completed_at is not None


def test_daily_overdue_reminder_emails_each_owner(world, actions, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = tasks.overdue_reminders_task.apply().get()
    assert sent == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"em@example.com", "tl@example.com"}
    assert by_recipient["tl@example.com"].subject == "2 overdue action items"
    assert "Upgrade Django" in by_recipient["tl@example.com"].body
    assert "Read the book" in by_recipient["tl@example.com"].body
    assert "Late report" not in by_recipient["tl@example.com"].body


def test_summary_for_the_dashboard(world, actions, django_assert_max_num_queries):
    from apps.syncs.selectors import syncs_summary

    em = actor(world, "em")
    with django_assert_max_num_queries(6):
        summary = syncs_summary(actor=em)
    assert (summary.my_open_actions, summary.my_overdue_actions) == (2, 1)
    assert [m.series.title for m in summary.upcoming] == ["EM Sync", "Em / Tl 1:1"]
    assert [d.text for d in summary.recent_decisions] == [
        "Private promotion plan", '=HYPERLINK("evil")', "Adopt on-call rotation"]
    cto_summary = syncs_summary(actor=actor(world, "cto"))
    assert [m.series.title for m in cto_summary.upcoming] == ["EM Sync"]
