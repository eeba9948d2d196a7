from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.security import selectors, services, tasks
from apps.security.models import Bulletin, BulletinAcknowledgement, Reminder
from tests.security import helpers

JSON = "application/json"


def _completion(bulletin):
    return [(r.team, r.done, r.audience, r.percent) for r in selectors.bulletin_completion(bulletin=bulletin)]


def test_completion_per_team_for_everyone(world):
    bulletin = helpers.bulletin(world)
    services.bulletin_acknowledge(actor=helpers.actor(world, "engineer"), bulletin=bulletin)
    services.bulletin_acknowledge(actor=helpers.actor(world, "cto"), bulletin=bulletin)
    # world: Alpha = em, tl, engineer; Beta = em2, tl2, engineer2; Data = pm; no team = cto, finance, hr
    assert _completion(bulletin) == [("Alpha", 1, 3, 33), ("Beta", 0, 3, 0), ("Data", 0, 1, 0), ("No team", 1, 3, 33)]
    api = world.client("cto").get(reverse("api:security-bulletin-completion", args=[bulletin.pk])).json()
    assert api[0] == {"team": "Alpha", "audience": 3, "done": 1, "percent": 33}


def test_audience_by_team_and_role(world):
    bulletin = helpers.bulletin(world, teams=[world.teams["alpha"], world.teams["beta"]], roles=["engineer", "tl"])
    assert sorted(p.full_name for p in services.audience_people(bulletin)) == [
        "Engineer Person", "Engineer2 Person", "Tl Person", "Tl2 Person"]
    services.bulletin_acknowledge(actor=helpers.actor(world, "tl2"), bulletin=bulletin)
    assert _completion(bulletin) == [("Alpha", 0, 2, 0), ("Beta", 1, 2, 50)]
    # The EM of Alpha is not in the audience: the bulletin is 404 for them, and they cannot acknowledge.
    em = world.client("em")
    assert em.get(reverse("security:bulletin-detail", args=[bulletin.pk])).status_code == 404
    assert em.post(reverse("api:security-bulletin-acknowledge", args=[bulletin.pk])).status_code == 404
    assert BulletinAcknowledgement.objects.filter(bulletin=bulletin).count() == 1


def test_acknowledge_is_idempotent_and_shows_on_the_list(world):
    bulletin = helpers.bulletin(world)
    client = world.client("engineer")
    first = client.post(reverse("api:security-bulletin-acknowledge", args=[bulletin.pk])).json()
    second = client.post(reverse("api:security-bulletin-acknowledge", args=[bulletin.pk])).json()
    assert first == second
    assert BulletinAcknowledgement.objects.filter(bulletin=bulletin).count() == 1
    listed = client.get(reverse("api:security-bulletin-list")).json()["results"]
    assert [(b["title"], b["acknowledged"]) for b in listed] == [("Rotate your SSH keys", True)]
    assert world.client("tl").get(reverse("api:security-bulletin-list")).json()["results"][0]["acknowledged"] is False


def test_bulletin_without_acknowledgement_cannot_be_acknowledged(world):
    bulletin = services.bulletin_publish(actor=helpers.actor(world), title="FYI", body="Read me", severity="info",
                                         requires_ack=False)
    response = world.client("engineer").post(reverse("api:security-bulletin-acknowledge", args=[bulletin.pk]))
    assert response.status_code == 400
    assert response.json() == {"bulletin": ["This bulletin does not ask for an acknowledgement."]}
    assert BulletinAcknowledgement.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"title": "T", "body": "B", "requires_ack": True}, {"due_date": ["Set a due date for the acknowledgement."]}),
        ({"title": "T", "body": "B", "severity": "apocalyptic"}, {"severity": ['"apocalyptic" is not a valid choice.']}),
        ({"title": "T", "body": "B", "requires_ack": False, "audience_teams": ["nope"]},
         {"audience_teams": ["Object with slug=nope does not exist."]}),
        ({"title": "", "body": "B", "requires_ack": False}, {"title": ["This field may not be blank."]}),
        ({"title": "T", "body": "B", "requires_ack": False, "audience_roles": ["pope", "service"]},
         {"audience_roles": ["Unknown role(s): pope, service."]}),
    ],
)
def test_bad_bulletins_get_clear_errors(world, payload, expected):
    response = world.client("cto").post(reverse("api:security-bulletin-list"), payload, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == expected
    assert Bulletin.objects.count() == 0


def test_only_security_managers_publish(world):
    payload = {"title": "T", "body": "B", "requires_ack": False}
    for role in ("engineer", "tl", "em", "hr", "service"):
        assert world.client(role).post(reverse("api:security-bulletin-list"), payload, content_type=JSON).status_code == 403
    assert Bulletin.objects.count() == 0
    helpers.security_tl(world)
    response = world.client("sectl").post(reverse("api:security-bulletin-list"), payload, content_type=JSON)
    assert response.status_code == 201
    assert Bulletin.objects.get().evidence.controls.get().code == "6.3"


def test_body_markdown_is_sanitised(world):
    bulletin = services.bulletin_publish(actor=helpers.actor(world), title="XSS", body="Hi <script>evil()</script> *there*",
                                         requires_ack=False)
    page = world.client("engineer").get(reverse("security:bulletin-detail", args=[bulletin.pk])).content.decode()
    assert "<em>there</em>" in page and "<script>evil()" not in page


def test_reminders_once_per_week_to_those_who_have_not_acknowledged(world):
    bulletin = helpers.bulletin(world, teams=[world.teams["alpha"]])
    services.bulletin_acknowledge(actor=helpers.actor(world, "tl"), bulletin=bulletin)
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())

    assert services.bulletin_reminders_send(today=monday) == 2  # em and engineer
    assert sorted(m.to[0] for m in mail.outbox) == ["em@example.com", "engineer@example.com"]
    assert services.bulletin_reminders_send(today=monday + timedelta(days=3)) == 0  # same ISO week
    assert len(mail.outbox) == 2
    services.bulletin_acknowledge(actor=helpers.actor(world, "engineer"), bulletin=bulletin)
    assert services.bulletin_reminders_send(today=monday + timedelta(days=7)) == 1  # next week: only em
    assert mail.outbox[-1].to == ["em@example.com"]
    assert Reminder.objects.filter(kind="bulletin").count() == 3


def test_reminder_task_runs_the_service(world):
    bulletin = helpers.bulletin(world, roles=["hr"])
    assert tasks.bulletin_reminders_task() == 1
    assert tasks.bulletin_reminders_task() == 0
    assert Reminder.objects.get().object_id == bulletin.pk


def test_iso_week_period_across_the_year_boundary():
    assert services._iso_week(date(2026, 12, 31)) == "2026-W53"
    assert services._iso_week(date(2027, 1, 1)) == "2026-W53"
    assert services._iso_week(date(2027, 1, 4)) == "2027-W01"


def test_manager_list_shows_acknowledged_of_audience(world):
    bulletin = helpers.bulletin(world, teams=[world.teams["alpha"]])
    services.bulletin_acknowledge(actor=helpers.actor(world, "tl"), bulletin=bulletin)
    page = world.client("cto").get(reverse("security:bulletin-list")).content.decode()
    assert "1 / 3 (33%)" in page
