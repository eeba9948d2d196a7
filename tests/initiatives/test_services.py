"""Status and health transitions, bad input, and who may write (denied writes change nothing)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.core.access import get_actor
from apps.initiatives import services
from apps.initiatives.models import Initiative, Milestone, StatusUpdate
from tests.initiatives.factories import InitiativeFactory

S = Initiative.Status


def actor(world, key):
    return get_actor(world.users[key])


@pytest.fixture
def initiative(world):
    return InitiativeFactory(team=world.teams["alpha"], owner=world.tl, status=S.PLANNED, title="Invoice OCR")


def valid_fields(world, **extra):
    fields = {"team": world.teams["alpha"], "kind": "automation", "title": "Ticket triage", "owner": world.tl,
              "start_date": date(2026, 1, 1), "target_date": date(2026, 6, 30), "hours_saved_estimated": Decimal("40")}
    fields.update(extra)
    return fields


def test_create_sets_defaults(world):
    created = services.initiative_create(actor=actor(world, "em"), **valid_fields(world))
    assert (created.status, created.health, created.last_update_on) == ("idea", "green", None)
    assert created.hours_saved_estimated == Decimal("40")


@pytest.mark.parametrize("extra, field, message", [
    ({"start_date": date(2026, 6, 1), "target_date": date(2026, 5, 31)}, "target_date",
     "The target date is before the start date."),
    ({"hours_saved_estimated": Decimal("-1")}, "hours_saved_estimated", "Hours saved cannot be negative."),
    ({"hours_saved_measured": Decimal("-0.5")}, "hours_saved_measured", "Hours saved cannot be negative."),
    ({"team": "no-such-team"}, "team", "Unknown team 'no-such-team'."),
    ({"title": "   "}, "title", "Give it a title."),
    ({"status": "shipped"}, "status", "A new initiative starts as an idea, planned, in progress or paused."),
])
def test_bad_input_is_refused_and_nothing_saved(world, extra, field, message):
    with pytest.raises(ValidationError) as exc:
        services.initiative_create(actor=actor(world, "cto"), **valid_fields(world, **extra))
    assert exc.value.message_dict[field] == [message]
    assert Initiative.objects.count() == 0


def test_unknown_field_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.initiative_create(actor=actor(world, "cto"), **valid_fields(world, health="red"))
    assert exc.value.message_dict == {"health": ["Unknown field."]}


@pytest.mark.parametrize("key", ["engineer", "finance", "hr"])
def test_roles_that_may_not_create(world, key):
    with pytest.raises(PermissionDenied):
        services.initiative_create(actor=actor(world, key), **valid_fields(world, owner=world.people[key]))
    assert Initiative.objects.count() == 0


def test_em_of_another_team_may_not_create_for_alpha(world):
    with pytest.raises(PermissionDenied):
        services.initiative_create(actor=actor(world, "em2"), **valid_fields(world))
    assert Initiative.objects.count() == 0


def test_pm_may_create_one_they_own(world):
    created = services.initiative_create(actor=actor(world, "pm"), **valid_fields(world, owner=world.pm,
                                                                                    team=world.teams["data"]))
    assert created.owner == world.pm


@pytest.mark.parametrize("path", [
    [S.IN_PROGRESS, S.PAUSED, S.IN_PROGRESS, S.SHIPPED],
    [S.CANCELLED, S.IDEA, S.PLANNED],
    [S.IDEA],
])
def test_allowed_status_paths(world, initiative, path):
    for status in path:
        initiative = services.initiative_set_status(actor=actor(world, "tl"), initiative=initiative, status=status)
    initiative.refresh_from_db()
    assert initiative.status == path[-1]
    if path[-1] == S.SHIPPED:
        assert initiative.shipped_on == timezone.localdate()


@pytest.mark.parametrize("start, target", [
    (S.SHIPPED, S.IN_PROGRESS), (S.IDEA, S.SHIPPED), (S.CANCELLED, S.IN_PROGRESS), (S.PLANNED, S.SHIPPED),
])
def test_forbidden_status_moves(world, start, target):
    initiative = InitiativeFactory(team=world.teams["alpha"], owner=world.tl, status=start)
    with pytest.raises(ValidationError) as exc:
        services.initiative_set_status(actor=actor(world, "cto"), initiative=initiative, status=target)
    assert list(exc.value.message_dict) == ["status"]
    initiative.refresh_from_db()
    assert initiative.status == start


@pytest.mark.parametrize("key, allowed", [
    ("cto", True), ("em", True), ("tl", True), ("em2", False), ("tl2", False), ("engineer", False), ("pm", False),
    ("finance", False), ("hr", False),
])
def test_who_edits(world, initiative, key, allowed):
    if allowed:
        services.initiative_update(actor=actor(world, key), initiative=initiative, title="Renamed")
        initiative.refresh_from_db()
        assert initiative.title == "Renamed"
    else:
        with pytest.raises(PermissionDenied):
            services.initiative_update(actor=actor(world, key), initiative=initiative, title="Renamed")
        initiative.refresh_from_db()
        assert initiative.title == "Invoice OCR"


def test_engineer_owner_edits_own_initiative(world):
    own = InitiativeFactory(team=world.teams["alpha"], owner=world.engineer, title="Mine")
    services.initiative_update(actor=actor(world, "engineer"), initiative=own, target_date=date(2026, 11, 30))
    own.refresh_from_db()
    assert own.target_date == date(2026, 11, 30)


def test_edit_with_target_before_start_saves_nothing(world, initiative):
    with pytest.raises(ValidationError) as exc:
        services.initiative_update(actor=actor(world, "cto"), initiative=initiative, title="New",
                                   target_date=date(2025, 12, 1))
    assert exc.value.message_dict == {"target_date": ["The target date is before the start date."]}
    initiative.refresh_from_db()
    assert (initiative.title, initiative.target_date) == ("Invoice OCR", date(2026, 12, 31))


# -- status updates and health ---------------------------------------------------------------------
def test_health_follows_latest_update(world, initiative):
    today = timezone.localdate()
    services.status_update_post(actor=actor(world, "tl"), initiative=initiative, health="amber", text="Slipping",
                                date=today - timedelta(days=3))
    initiative.refresh_from_db()
    assert (initiative.health, initiative.last_update_on) == ("amber", today - timedelta(days=3))
    services.status_update_post(actor=actor(world, "em"), initiative=initiative, health="red", text="Blocked")
    initiative.refresh_from_db()
    assert (initiative.health, initiative.last_update_on) == ("red", today)
    # A back-dated update is history: it does not overwrite the newer health.
    services.status_update_post(actor=actor(world, "tl"), initiative=initiative, health="green", text="Catch-up note",
                                date=today - timedelta(days=10))
    initiative.refresh_from_db()
    assert (initiative.health, initiative.last_update_on) == ("red", today)
    services.status_update_post(actor=actor(world, "tl"), initiative=initiative, health="green", text="Unblocked")
    initiative.refresh_from_db()
    assert initiative.health == "green"
    assert StatusUpdate.objects.filter(initiative=initiative).count() == 4


def test_update_can_move_status(world, initiative):
    services.status_update_post(actor=actor(world, "tl"), initiative=initiative, health="green", text="Kick-off",
                                status=S.IN_PROGRESS)
    initiative.refresh_from_db()
    assert initiative.status == S.IN_PROGRESS


def test_update_with_forbidden_move_saves_nothing(world, initiative):
    with pytest.raises(ValidationError) as exc:
        services.status_update_post(actor=actor(world, "tl"), initiative=initiative, health="red", text="Done?",
                                    status=S.SHIPPED)
    assert list(exc.value.message_dict) == ["status"]
    initiative.refresh_from_db()
    assert (initiative.status, initiative.health) == (S.PLANNED, "green")
    assert StatusUpdate.objects.count() == 0


@pytest.mark.parametrize("kwargs, field", [
    ({"health": "purple", "text": "x"}, "health"),
    ({"health": "green", "text": "  "}, "text"),
    ({"health": "green", "text": "x", "date": date.today() + timedelta(days=2)}, "date"),
])
def test_bad_update_input(world, initiative, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        services.status_update_post(actor=actor(world, "tl"), initiative=initiative, **kwargs)
    assert list(exc.value.message_dict) == [field]
    assert StatusUpdate.objects.count() == 0


@pytest.mark.parametrize("key", ["engineer", "pm", "em2", "finance"])
def test_denied_update_changes_nothing(world, initiative, key):
    with pytest.raises(PermissionDenied):
        services.status_update_post(actor=actor(world, key), initiative=initiative, health="red", text="Hijack")
    initiative.refresh_from_db()
    assert (initiative.health, initiative.last_update_on) == ("green", None)
    assert StatusUpdate.objects.count() == 0


def test_service_account_posts_update(world, initiative):
    service = get_actor(world.service_account.user)
    update = services.status_update_post(actor=service, initiative=initiative, health="amber", text="From Jira")
    assert (update.author, update.source) == (None, "test-tool")
    initiative.refresh_from_db()
    assert initiative.health == "amber"


def test_service_account_with_other_role_may_not_post(world, initiative):
    from apps.core import services as core_services

    account = core_services.service_account_create(name="finance-tool", role="finance")
    with pytest.raises(PermissionDenied):
        services.status_update_post(actor=get_actor(account.user), initiative=initiative, health="red", text="x")
    assert StatusUpdate.objects.count() == 0


# -- milestones ------------------------------------------------------------------------------------
def test_milestones(world, initiative):
    m = services.milestone_create(actor=actor(world, "tl"), initiative=initiative, title=" Pilot ",
                                  due_date=date(2026, 3, 1))
    assert m.title == "Pilot"
    services.milestone_update(actor=actor(world, "em"), milestone=m, done_date=date(2026, 2, 27))
    m.refresh_from_db()
    assert m.done_date == date(2026, 2, 27)
    with pytest.raises(PermissionDenied):
        services.milestone_update(actor=actor(world, "engineer"), milestone=m, title="Hijack")
    m.refresh_from_db()
    assert m.title == "Pilot"
    with pytest.raises(ValidationError) as exc:
        services.milestone_update(actor=actor(world, "tl"), milestone=m, done_date=timezone.localdate() + timedelta(5))
    assert list(exc.value.message_dict) == ["done_date"]
    assert Milestone.objects.get().done_date == date(2026, 2, 27)
