"""Query counts stay flat as history grows (the same ceiling at two data sizes)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse

from apps.syncs import services
from apps.syncs.models import ActionItem, AgendaItem, Decision, Meeting, SyncSeries
from tests.syncs.builders import actor


def _history(world, meetings: int) -> tuple[SyncSeries, Meeting]:
    """``meetings`` weekly EM Syncs, each with agenda items, a decision and two action items
    (one still open, some overdue), plus the next planned meeting."""
    series = services.series_create(actor=actor(world, "cto"), title="EM Sync", kind="em",
                                    participants=[world.em, world.em2], start_time=time(10, 0), generate=False)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(weeks=meetings + 1)
    rows = Meeting.objects.bulk_create([
        Meeting(series=series, scheduled_at=start + timedelta(weeks=i), status="held", notes=f"Notes {i}")
        for i in range(meetings)
    ])
    AgendaItem.objects.bulk_create([
        AgendaItem(series=series, meeting=m, title=f"Topic {m.pk}", presenter=world.em, status="done") for m in rows
    ])
    Decision.objects.bulk_create([
        Decision(series=series, meeting=m, text=f"Decision {m.pk}", owner=world.em2, decided_on=m.scheduled_at.date())
        for m in rows
    ])
    ActionItem.objects.bulk_create([
        ActionItem(series=series, meeting=m, title=f"Action {m.pk}-{k}", owner=world.em if k else world.cto,
                   due_date=m.scheduled_at.date() + timedelta(days=7), status="open" if k else "done")
        for m in rows for k in (0, 1)
    ])
    upcoming = Meeting.objects.create(series=series, scheduled_at=datetime.now(UTC) + timedelta(days=1))
    services.agenda_item_add(actor=actor(world, "em"), series=series, meeting=upcoming, title="Next topic",
                             presenter=world.em)
    services.agenda_item_add(actor=actor(world, "em"), series=series, meeting=None, title="Backlog topic")
    return series, upcoming


MAX_MEETING_PAGE = 16  # 15 measured at both sizes


@pytest.mark.parametrize("meetings", [20, 500])
def test_meeting_page_queries_do_not_grow(world, django_assert_max_num_queries, meetings):
    series, upcoming = _history(world, meetings)
    client = world.client("em")
    with django_assert_max_num_queries(MAX_MEETING_PAGE):
        response = client.get(reverse("syncs:meeting-detail", args=[upcoming.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="action-item"') == meetings  # every still-open item follows the series
    assert "Next topic" in html


MAX_DECISION_LOG = 9  # 8 measured (page), 6 (API)


@pytest.mark.parametrize("meetings", [20, 500])
def test_decision_log_queries_do_not_grow(world, django_assert_max_num_queries, meetings):
    _history(world, meetings)
    client = world.client("cto")
    with django_assert_max_num_queries(MAX_DECISION_LOG):
        response = client.get(reverse("syncs:decision-log"))
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="decision-') == min(meetings, 50)
    with django_assert_max_num_queries(MAX_DECISION_LOG):
        response = client.get(reverse("api:sync-decision-list"))
    assert response.json()["count"] == meetings


def _many_series(world, n: int) -> None:
    for i in range(n):
        series = services.series_create(actor=actor(world, "cto"), title=f"Sync {i:03d}", kind="other",
                                        participants=[world.em, world.tl], generate=False)
        Meeting.objects.create(series=series, scheduled_at=datetime.now(UTC) + timedelta(days=i + 1))
        ActionItem.objects.create(series=series, title="Do it", owner=world.em, due_date=date.today())


@pytest.mark.parametrize("count", [3, 40])
def test_series_list_queries_do_not_grow(world, django_assert_max_num_queries, count):
    _many_series(world, count)
    client = world.client("em")
    with django_assert_max_num_queries(8):  # 7 measured
        response = client.get(reverse("syncs:series-list"))
    assert response.status_code == 200
    assert response.content.decode().count("Sync 0") == count
    with django_assert_max_num_queries(8):
        response = client.get(reverse("api:sync-series-list"))
    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [3, 40])
def test_meeting_and_action_lists_queries_do_not_grow(world, django_assert_max_num_queries, count):
    _many_series(world, count)
    client = world.client("em")
    for name in ("api:sync-meeting-list", "api:sync-action-item-list", "api:sync-agenda-item-list"):
        with django_assert_max_num_queries(8):
            response = client.get(reverse(name))
        assert response.status_code == 200
    with django_assert_max_num_queries(8):
        response = client.get(reverse("syncs:my-actions"))
    assert response.content.decode().count("Do it") == count
    with django_assert_max_num_queries(8):
        response = client.get(reverse("syncs:actions-by-owner"))
    assert response.status_code == 200
