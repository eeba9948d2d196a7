import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.core.access import get_actor
from apps.core.models import SyncRun
from apps.org.models import Person
from apps.org.services import people_import

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
