"""Security managers correct bulletins and trainings from their pages. What people acknowledged
stays as they read it; a training's due dates follow its new schedule at once."""
from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apps.security import services
from apps.security.models import Bulletin, TrainingStatus
from tests.security import helpers


def _bulletin_form(bulletin, **changes):
    data = {"title": bulletin.title, "body": bulletin.body, "severity": bulletin.severity,
            "requires_ack": "on" if bulletin.requires_ack else "", "due_date": bulletin.due_date.isoformat(),
            "audience_roles": list(bulletin.audience_roles)}
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_the_cto_corrects_a_bulletin_nobody_has_acknowledged_yet(world):
    bulletin = helpers.bulletin(world)
    response = world.client("cto").post(reverse("security:bulletin-edit", args=[bulletin.pk]),
                                        _bulletin_form(bulletin, body="Please **rotate** them by Friday."))
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.body == "Please **rotate** them by Friday."
    page = world.client("engineer").get(bulletin.get_absolute_url()).content.decode()
    assert "by Friday" in page


def test_an_acknowledged_text_stays_as_people_read_it_but_the_due_date_may_move(world):
    bulletin = helpers.bulletin(world)
    services.bulletin_acknowledge(actor=helpers.actor(world, "engineer"), bulletin=bulletin)
    before = Bulletin.objects.values("title", "body").get(pk=bulletin.pk)

    response = world.client("cto").post(reverse("security:bulletin-edit", args=[bulletin.pk]),
                                        _bulletin_form(bulletin, body="A different instruction."))
    assert response.status_code == 200
    assert "1 person has acknowledged this bulletin as written" in response.content.decode()
    assert Bulletin.objects.values("title", "body").get(pk=bulletin.pk) == before

    later = bulletin.due_date + timedelta(days=7)
    response = world.client("cto").post(reverse("security:bulletin-edit", args=[bulletin.pk]),
                                        _bulletin_form(bulletin, due_date=later.isoformat(), severity="critical"))
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert (bulletin.due_date, bulletin.severity, bulletin.body) == (later, "critical", before["body"])
    assert bulletin.acknowledgements.count() == 1


def test_engineers_may_not_edit_a_bulletin(world):
    bulletin = helpers.bulletin(world)
    response = world.client("engineer").post(reverse("security:bulletin-edit", args=[bulletin.pk]),
                                             _bulletin_form(bulletin, title="Hacked"))
    assert response.status_code == 403
    assert Bulletin.objects.get(pk=bulletin.pk).title == bulletin.title


def test_moving_a_trainings_first_due_date_moves_everyones_due_date(world):
    first = timezone.localdate() + timedelta(days=60)
    training = helpers.training(world, first_due_on=first, audience_teams=[world.teams["alpha"]])
    services.training_status_refresh()
    assert set(TrainingStatus.objects.filter(training=training).values_list("due_on", flat=True)) == {first}

    sooner = timezone.localdate() - timedelta(days=1)
    response = world.client("cto").post(reverse("security:training-edit", args=[training.pk]), {
        "title": training.title, "kind": training.kind, "description": "", "recurrence_months": 12,
        "first_due_on": sooner.isoformat(), "audience_teams": [world.teams["alpha"].pk]})
    assert response.status_code == 302
    statuses = TrainingStatus.objects.filter(training=training)
    assert statuses.count() == 3
    assert set(statuses.values_list("due_on", "state")) == {(sooner, "overdue")}


def test_a_bad_training_edit_names_the_field_and_changes_nothing(world):
    training = helpers.training(world)
    response = world.client("cto").post(reverse("security:training-edit", args=[training.pk]), {
        "title": "", "kind": training.kind, "recurrence_months": 99,
        "first_due_on": training.first_due_on.isoformat()})
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required" in body
    training.refresh_from_db()
    assert training.title == "Security awareness 2026"
