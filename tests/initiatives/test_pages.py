"""Pages: the portfolio board, the detail page, the forms and the quarterly summary."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.initiatives.models import Initiative, Milestone, StatusUpdate
from tests.initiatives.factories import InitiativeFactory, MilestoneFactory, StatusUpdateFactory

BOARD = reverse("initiatives:board")


def test_board_columns_by_status_and_filters(world):
    a = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, kind="automation", title="OCR", health="red")
    b = InitiativeFactory(team=world.teams["data"], owner=world.pm, kind="feature", title="Churn",
                          status=Initiative.Status.PLANNED)
    client = world.client("engineer")
    response = client.get(BOARD)
    columns = {c.key: [i.pk for i in c.items] for c in response.context["columns"]}
    assert columns["in_progress"] == [a.pk] and columns["planned"] == [b.pk]
    assert response.context["health_counts"] == {"green": 1, "amber": 0, "red": 1}
    filtered = client.get(BOARD, {"team": "data", "kind": "feature"})
    assert [i.pk for c in filtered.context["columns"] for i in c.items] == [b.pk]
    by_health = client.get(BOARD, {"group": "health"})
    assert [(c.key, [i.pk for i in c.items]) for c in by_health.context["columns"]] == [
        ("red", [a.pk]), ("amber", []), ("green", [b.pk])]


def test_board_stale_filter(world):
    stale = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, title="Old")
    InitiativeFactory(team=world.teams["alpha"], owner=world.tl, title="New")
    Initiative.objects.filter(pk=stale.pk).update(last_update_on=timezone.localdate() - timedelta(days=20))
    response = world.client("cto").get(BOARD, {"stale": "1"})
    assert [i.pk for c in response.context["columns"] for i in c.items] == [stale.pk]
    assert response.context["stale_count"] == 1


@pytest.mark.parametrize("rows", [3, 40])
def test_board_query_count_does_not_grow(world, rows, django_assert_max_num_queries):
    for n in range(rows):
        InitiativeFactory(team=world.teams["alpha" if n % 2 else "data"], owner=world.tl, sponsor=world.em)
    client = world.client("engineer")
    with django_assert_max_num_queries(12):
        response = client.get(BOARD)
    assert response.context["total"] == rows


def test_detail_shows_markdown_sanitised_timeline_and_benefits(world):
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, problem="**Bold** <script>alert(1)</script>",
                                   replaces_process="Manual invoice keying", hours_saved_estimated=160)
    StatusUpdateFactory(initiative=initiative, text="Pilot *done*", health="amber")
    MilestoneFactory(initiative=initiative, title="EU rollout")
    html = world.client("engineer").get(reverse("initiatives:detail", args=[initiative.pk])).content.decode()
    assert "<strong>Bold</strong>" in html
    assert "<script>alert(1)" not in html
    assert "Pilot <em>done</em>" in html
    assert "EU rollout" in html
    assert "Manual invoice keying" in html
    assert 'data-testid="update-form"' not in html  # an engineer may not post


def test_create_through_form(world):
    client = world.client("tl")
    response = client.post(reverse("initiatives:create"), {
        "title": "Ticket triage", "team": world.teams["alpha"].pk, "kind": "automation", "owner": world.tl.pk,
        "status": "planned", "start_date": "2026-01-01", "target_date": "2026-05-01", "hours_saved_estimated": "40",
    })
    initiative = Initiative.objects.get()
    assert response.status_code == 302 and response["Location"] == initiative.get_absolute_url()
    assert (initiative.status, str(initiative.hours_saved_estimated)) == ("planned", "40.0")


def test_form_shows_service_errors_and_saves_nothing(world):
    response = world.client("cto").post(reverse("initiatives:create"), {
        "title": "Bad dates", "team": world.teams["alpha"].pk, "kind": "automation", "owner": world.tl.pk,
        "status": "idea", "start_date": "2026-05-01", "target_date": "2026-01-01", "hours_saved_measured": "-2",
    })
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["target_date"] == ["The target date is before the start date."]
    assert form.errors["hours_saved_measured"] == ["Hours saved cannot be negative."]
    assert Initiative.objects.count() == 0


def test_edit_form_status_move(world):
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, status="in_progress", title="OCR")
    url = reverse("initiatives:edit", args=[initiative.pk])
    data = {"title": "OCR", "team": world.teams["alpha"].pk, "kind": "automation", "owner": world.tl.pk,
            "status": "idea", "start_date": "2026-01-01", "target_date": "2026-12-31"}
    response = world.client("em").post(url, data)
    assert response.context["form"].errors["status"] == ["An initiative cannot go from In progress to Idea."]
    response = world.client("em").post(url, {**data, "status": "paused"})
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == "paused"


def test_post_update_page_changes_health(world):
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl)
    response = world.client("tl").post(reverse("initiatives:update-create", args=[initiative.pk]),
                                       {"date": timezone.localdate().isoformat(), "health": "red", "text": "Blocked"})
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.health == "red"
    assert StatusUpdate.objects.get().author == world.tl


def test_engineer_post_update_page_is_refused(world):
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl)
    response = world.client("engineer").post(reverse("initiatives:update-create", args=[initiative.pk]),
                                             {"health": "red", "text": "x"})
    assert response.status_code == 403
    assert StatusUpdate.objects.count() == 0


def test_milestone_pages(world):
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl)
    client = world.client("tl")
    response = client.post(reverse("initiatives:milestone-create", args=[initiative.pk]),
                           {"title": "Pilot", "due_date": "2026-03-01"})
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    response = client.post(reverse("initiatives:milestone-edit", args=[milestone.pk]),
                           {"title": "Pilot", "due_date": "2026-03-01", "done_date": "2026-02-27"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert str(milestone.done_date) == "2026-02-27"


def test_quarterly_page(world):
    InitiativeFactory(team=world.teams["alpha"], owner=world.tl, hours_saved_estimated=12, hours_saved_measured=9)
    response = world.client("finance").get(reverse("initiatives:quarterly"))
    assert response.status_code == 200
    assert [s.team.slug for s in response.context["summaries"]] == ["alpha"]
    assert 'data-testid="hours-alpha">12.0 · 9.0<' in response.content.decode()


def test_nav_item(world):
    html = world.client("engineer").get(BOARD).content.decode()
    assert f'href="{BOARD}"' in html
