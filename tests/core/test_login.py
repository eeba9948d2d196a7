import pytest
from django.urls import reverse

from apps.core import services
from apps.core.models import AccessLog


@pytest.mark.django_db
def test_axes_locks_an_account_after_five_failed_logins(world):
    url = reverse("login")
    client = world.client("anonymous")
    for _ in range(4):
        response = client.post(url, {"username": "engineer", "password": "wrong"})
        assert response.status_code == 200  # the form again, with an error
    # The fifth failure locks the account.
    assert client.post(url, {"username": "engineer", "password": "wrong"}).status_code == 429
    # Locked now: even the right password is refused.
    response = client.post(url, {"username": "engineer", "password": "pw-for-tests-1"})
    assert response.status_code == 429
    assert b"Account locked" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_and_logout(world):
    client = world.client("anonymous")
    response = client.post(reverse("login"), {"username": "tl", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert client.get(reverse("dashboard:home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard:home")).status_code == 302


@pytest.mark.django_db
def test_audit_page_shows_changes_and_reads_to_the_cto_only(world):
    services.access_log_record(user=world.users["hr"], object_type="compensation", object_id=7, subject=world.engineer)
    cto = world.client("cto")
    reads = cto.get(reverse("core:audit") + "?tab=reads")
    assert reads.status_code == 200
    assert b"Engineer Person" in reads.content
    assert AccessLog.objects.get().subject_person_id == world.engineer.pk
    cto.post(reverse("org:person-edit", args=[world.engineer.pk]), {
        "full_name": "Renamed Engineer", "email": "engineer@example.com", "title": "Engineer", "role": "engineer",
        "level": "", "team": "", "manager": world.tl.pk, "location": "remote", "country": "PT",
        "time_zone": "Europe/Lisbon", "start_date": "",
    })
    changes = cto.get(reverse("core:audit"))
    assert b"Renamed Engineer" in changes.content
    assert world.client("hr").get(reverse("core:audit")).status_code == 403
