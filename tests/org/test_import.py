import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.core.access import get_actor
from apps.core.models import SyncRun
from apps.org import services
from apps.org.models import Person, Team
from apps.org.services import people_import
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

HEADER = "email,full_name,title,role,level,team,manager_email,location,country,time_zone,start_date,active\n"
GOOD = HEADER + (
    "ana.new@example.com,Ana New,Backend Engineer,engineer,L3,alpha,tl@example.com,remote,ES,Europe/Madrid,2024-02-01,yes\n"
    "bo.new@example.com,Bo New,Tech Lead,tl,L5,beta,em2@example.com,local,PT,Europe/Lisbon,2021-06-15,yes\n"
    "cy.new@example.com,Cy New,Engineer,engineer,L2,beta,bo.new@example.com,local,PT,Europe/Lisbon,2025-01-10,yes\n"
)


def test_valid_file_creates_people_with_managers_from_the_file(world):
    before = Person.objects.count()
    result = people_import(actor=get_actor(world.users["hr"]), content=GOOD)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert Person.objects.count() == before + 3
    cy = Person.objects.get(email="cy.new@example.com")
    assert cy.manager.email == "bo.new@example.com"
    assert cy.team.slug == "beta"
    ana = Person.objects.get(email="ana.new@example.com")
    assert (ana.location, ana.country, ana.time_zone, str(ana.start_date)) == ("remote", "ES", "Europe/Madrid", "2024-02-01")


def test_importing_the_same_file_twice_changes_nothing(world):
    actor = get_actor(world.users["hr"])
    people_import(actor=actor, content=GOOD)
    snapshot = list(Person.objects.order_by("pk").values())
    result = people_import(actor=actor, content=GOOD)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert list(Person.objects.order_by("pk").values()) == snapshot


def test_a_changed_manager_counts_as_updated(world):
    actor = get_actor(world.users["hr"])
    people_import(actor=actor, content=GOOD)
    moved = GOOD.replace("alpha,tl@example.com", "alpha,em@example.com")
    result = people_import(actor=actor, content=moved)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Person.objects.get(email="ana.new@example.com").manager == world.em


def test_a_broken_row_writes_nothing_and_names_row_and_column(world):
    bad = GOOD + "dee@example.com,Dee,Engineer,wizard,L2,alpha,,local,PT,Europe/Lisbon,2024-13-01,yes\n"
    before = list(Person.objects.order_by("pk").values())
    with pytest.raises(ValidationError) as exc:
        people_import(actor=get_actor(world.users["hr"]), content=bad)
    messages = exc.value.messages
    assert "Row 5, column 'role': 'wizard' is not one of cto, em, engineer, finance, hr, pm, tl." in messages
    assert "Row 5, column 'start_date': '2024-13-01' is not a date (YYYY-MM-DD)." in messages
    assert len(messages) == 2
    assert list(Person.objects.order_by("pk").values()) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The file is empty"),
        ("email,full_name\n", "Row 1: missing required column(s): role."),
        ("email,full_name,role,shoe_size\n", "Row 1: unknown column(s): shoe_size"),
        (HEADER, "The file has a header but no rows."),
        (HEADER + "x@example.com,X,,engineer,,nosuchteam,,,,,,\n", "Row 2, column 'team': no team named 'nosuchteam'"),
        (HEADER + "x@example.com,X,,engineer,,,ghost@example.com,,,,,\n", "Row 2, column 'manager_email': no person with email ghost@example.com"),
        (HEADER + "x@example.com,X,,engineer,,,,moon,,,,\n", "Row 2, column 'location': 'moon' is not 'local' or 'remote'."),
        (HEADER + "not-an-email,X,,engineer,,,,,,,,\n", "Row 2, column 'email': 'not-an-email' is not a valid email address."),
        (HEADER + "x@example.com,X,,engineer,,,,,,,,\nX@example.com,Y,,engineer,,,,,,,,\n", "Row 3, column 'email': x@example.com appears already in row 2."),
        (HEADER + "a1@example.com,A,,engineer,,,b1@example.com,,,,,\nb1@example.com,B,,engineer,,,a1@example.com,,,,,\n",
         "Row 2, column 'manager_email': the reporting line loops back to a1@example.com."),
    ],
)
def test_bad_files_are_refused_whole(world, content, message):
    count = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        people_import(actor=get_actor(world.users["cto"]), content=content)
    assert any(m.startswith(message) for m in exc.value.messages), exc.value.messages
    assert Person.objects.count() == count


def test_only_cto_and_hr_may_import(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        people_import(actor=get_actor(world.users["em"]), content=GOOD)
    assert not Person.objects.filter(email="ana.new@example.com").exists()


def test_import_page_lists_every_error_and_writes_nothing(world):
    client = world.client("hr")
    bad = GOOD + "dee@example.com,Dee,Engineer,wizard,L2,alpha,,local,PT,Europe/Lisbon,,yes\n"
    response = client.post(reverse("org:people-import"), {"file": SimpleUploadedFile("hr.csv", bad.encode())})
    assert response.status_code == 200
    assert "Row 5, column &#x27;role&#x27;: &#x27;wizard&#x27;" in response.content.decode()
    assert not Person.objects.filter(email="ana.new@example.com").exists()
    assert SyncRun.objects.count() == 0


def test_import_page_runs_the_import_as_a_task_with_a_syncrun(world, django_capture_on_commit_callbacks):
    client = world.client("hr")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("org:people-import"), {"file": SimpleUploadedFile("hr.csv", GOOD.encode())})
    run = SyncRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:syncrun-detail", args=[run.pk])
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.result == {"created": 3, "updated": 0, "unchanged": 0}
    assert run.rows_written == 3
    page = client.get(response["Location"])
    assert b"3 created, 0 updated, 0 unchanged" in page.content
    assert b"100%" in page.content
    # Another user's run is not theirs to see.
    assert world.client("em").get(response["Location"]).status_code == 404


# -- Leavers and rejoiners go through the same flow as the page and the API ----------------------------
def _row(person, *, manager="", active="yes", team="") -> str:
    return f"{person.email},{person.full_name},,{person.role},,{team},{manager},,,,,{active}\n"


def test_a_leaver_in_the_file_is_handed_over_like_a_deactivation(world):
    """The TL leaves: an end date, no login, no longer alpha's lead, and the engineer (not in the
    file) now reports to the TL's manager."""
    content = HEADER + _row(world.em, manager="cto@example.com") + _row(world.tl, manager="em@example.com", active="no")

    result = people_import(actor=get_actor(world.users["hr"]), content=content)

    tl = Person.objects.get(pk=world.tl.pk)
    assert (tl.is_active, tl.end_date) == (False, timezone.localdate())
    assert get_user_model().objects.get(pk=tl.user_id).is_active is False
    assert Person.objects.get(pk=world.engineer.pk).manager_id == world.em.pk
    assert Team.objects.get(slug="alpha").lead_id is None
    assert result.created == 0
    # Idempotent: the same file again changes nothing (the leaver keeps their end date).
    again = people_import(actor=get_actor(world.users["hr"]), content=content)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_reports_of_a_leaver_whose_manager_leaves_too_move_to_the_first_manager_who_stays(world):
    content = HEADER + _row(world.em, manager="cto@example.com", active="no") + _row(
        world.tl, manager="em@example.com", active="no")

    people_import(actor=get_actor(world.users["hr"]), content=content)

    assert Person.objects.get(pk=world.engineer.pk).manager_id == world.cto.pk
    assert list(Person.objects.filter(pk__in=[world.em.pk, world.tl.pk], is_active=True)) == []
    # The leavers' own reporting lines are history: kept as they were.
    assert Person.objects.get(pk=world.tl.pk).manager_id == world.em.pk


def test_a_row_reporting_to_a_leaver_is_refused(world):
    content = HEADER + _row(world.tl, manager="em@example.com", active="no") + _row(
        world.engineer, manager="tl@example.com")
    before = list(Person.objects.order_by("pk").values())

    with pytest.raises(ValidationError) as exc:
        people_import(actor=get_actor(world.users["hr"]), content=content)

    assert exc.value.messages == [
        "Row 3, column 'manager_email': tl@example.com marked as a leaver in row 2; give this person a current manager."]
    assert list(Person.objects.order_by("pk").values()) == before


def test_the_importer_cannot_mark_themself_as_a_leaver(world):
    content = HEADER + _row(world.hr, manager="cto@example.com", active="no")

    with pytest.raises(ValidationError) as exc:
        people_import(actor=get_actor(world.users["hr"]), content=content)

    assert exc.value.messages == ["Row 2, column 'active': you cannot mark yourself as a leaver."]
    assert Person.objects.get(pk=world.hr.pk).is_active is True


def test_a_rejoiner_in_the_file_gets_their_login_back_and_loses_the_end_date(world):
    services.person_deactivate(actor=get_actor(world.users["hr"]), person=world.tl)

    result = people_import(actor=get_actor(world.users["hr"]), content=HEADER + _row(world.tl, manager="em@example.com"))

    tl = Person.objects.get(pk=world.tl.pk)
    assert (tl.is_active, tl.end_date, result.updated) == (True, None, 1)
    assert get_user_model().objects.get(pk=tl.user_id).is_active is True


def test_leavers_are_handed_over_in_a_number_of_queries_that_does_not_grow(world, django_assert_max_num_queries):
    """Ten or two hundred leavers, each with a report outside the file: a few more batched
    statements (SQLite caps a statement's parameters), never one per leaver."""
    actor = get_actor(world.users["hr"])

    def leave(n: int, tag: str) -> int:
        leavers = [PersonFactory(email=f"{tag}{i}@example.com", manager=world.em, team=None) for i in range(n)]
        for leaver in leavers:
            PersonFactory(manager=leaver, team=None)
        content = HEADER + "".join(_row(p, manager="em@example.com", active="no") for p in leavers)
        with django_assert_max_num_queries(60) as queries:
            people_import(actor=actor, content=content)
        assert not Person.objects.filter(manager__in=leavers, is_active=True).exists()
        return len(queries.captured_queries)

    small = leave(10, "small")
    assert leave(200, "large") <= small + 5


# -- Every value fits its column: a file that passes cannot fail half-way with a database error ----------
@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("title", "Principal Engineer " * 10, "Row 2, column 'title': is 189 characters long; at most 150 fit."),
        ("full_name", "N" * 151, "Row 2, column 'full_name': is 151 characters long; at most 150 fit."),
        ("level", "L" * 33, "Row 2, column 'level': is 33 characters long; at most 32 fit."),
        ("email", "a" * 250 + "@example.com", "Row 2, column 'email': is 262 characters long; at most 254 fit."),
        ("title", "Staff\x00Engineer", "Row 2, column 'title': contains a NUL character."),
        ("time_zone", "EST", "Row 2, column 'time_zone': 'EST' is not a known time zone (e.g. Europe/Lisbon)."),
    ],
)
def test_a_value_the_database_cannot_hold_is_a_row_error(world, column, value, message):
    values = {"email": "x@example.com", "full_name": "X", "role": "engineer", column: value}
    content = "email,full_name,role,title,level,time_zone\n" + ",".join(
        values.get(c, "") for c in ("email", "full_name", "role", "title", "level", "time_zone")) + "\n"
    count = Person.objects.count()

    with pytest.raises(ValidationError) as exc:
        people_import(actor=get_actor(world.users["hr"]), content=content)

    assert exc.value.messages == [message]
    assert Person.objects.count() == count


def test_an_unexpected_error_fails_the_run_instead_of_leaving_it_running(world, monkeypatch):
    from apps.core import services as core_services
    from apps.org import tasks

    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks.services, "people_import", explode)
    run = core_services.syncrun_create(kind=tasks.PEOPLE_IMPORT, user=world.users["hr"], params={"content": GOOD})

    with pytest.raises(RuntimeError):  # eager tasks re-raise; a worker logs it
        tasks.people_import_task.apply(args=[run.pk])

    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert run.error == "Nothing was imported. Unexpected error: RuntimeError: disk full"
    assert run.finished_at is not None
