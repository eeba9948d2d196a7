"""The pages' forms call the same services as the API."""
from __future__ import annotations

from django.core.management import call_command
from django.urls import reverse

from apps.security.models import (
    AmaSession,
    Bulletin,
    BulletinAcknowledgement,
    EvidenceItem,
    Training,
    TrainingAttendance,
    TrainingSession,
)
from tests.security import helpers


def test_manager_creates_session_bulletin_training_and_evidence_through_pages(world):
    cto = world.client("cto")
    r = cto.post(reverse("security:ama-create"), {"title": "AMA May", "starts_at": "2026-05-05T15:00", "is_open": "on"})
    session = AmaSession.objects.get(title="AMA May")
    assert r.status_code == 302 and r["Location"] == session.get_absolute_url()

    r = cto.post(reverse("security:bulletin-create"), {"title": "Patch now", "body": "Update Chrome.", "severity": "high",
                                                       "requires_ack": "on", "due_date": "2026-06-01",
                                                       "audience_teams": [world.teams["beta"].pk]})
    bulletin = Bulletin.objects.get(title="Patch now")
    assert r.status_code == 302
    assert list(bulletin.audience_teams.values_list("slug", flat=True)) == ["beta"]

    r = cto.post(reverse("security:training-create"), {"title": "Phishing drill", "kind": "phishing_drill",
                                                       "recurrence_months": 6, "first_due_on": "2026-06-30"})
    training = Training.objects.get(title="Phishing drill")
    r = cto.post(reverse("security:training-session-create", args=[training.pk]), {"held_on": "2026-05-10"})
    tsession = TrainingSession.objects.get(training=training)
    assert r["Location"] == reverse("security:training-attendance", args=[tsession.pk])
    cto.post(reverse("security:training-attendance", args=[tsession.pk]), {"person": world.engineer2.pk})
    assert TrainingAttendance.objects.filter(session=tsession, person=world.engineer2, passed=True).count() == 1

    from apps.security.models import Control

    r = cto.post(reverse("security:evidence-create"), {"title": "DR test", "controls": [Control.objects.get(code="5.30").pk],
                                                       "collected_on": "2026-05-01"})
    assert r.status_code == 302
    assert EvidenceItem.objects.get(title="DR test").controls.get().code == "5.30"


def test_bulletin_form_requires_a_due_date_when_ack_is_required(world):
    r = world.client("cto").post(reverse("security:bulletin-create"), {"title": "T", "body": "B", "severity": "low",
                                                                      "requires_ack": "on"})
    assert r.status_code == 200
    assert "Set a due date for the acknowledgement." in r.content.decode()
    assert Bulletin.objects.count() == 0


def test_acknowledge_from_the_page(world):
    bulletin = helpers.bulletin(world)
    client = world.client("finance")
    assert "I have read and understood this" in client.get(reverse("security:bulletin-detail", args=[bulletin.pk])).content.decode()
    r = client.post(reverse("security:bulletin-ack", args=[bulletin.pk]))
    assert r.status_code == 302
    assert BulletinAcknowledgement.objects.filter(bulletin=bulletin, person=world.finance).count() == 1
    assert "You acknowledged this bulletin." in client.get(reverse("security:bulletin-detail", args=[bulletin.pk])).content.decode()


def test_denied_page_writes_change_nothing(world):
    session = helpers.ama_session(world)
    for role in ("engineer", "tl", "em", "pm"):
        client = world.client(role)
        assert client.post(reverse("security:ama-create"), {"title": "X", "starts_at": "2026-05-05T15:00"}).status_code == 403
        assert client.post(reverse("security:ama-attendance", args=[session.pk]), {"people": [world.pm.pk]}).status_code == 403
        assert client.post(reverse("security:bulletin-create"), {"title": "X", "body": "B", "severity": "low"}).status_code == 403
    assert AmaSession.objects.count() == 1
    assert session.attendances.count() == 0
    assert Bulletin.objects.count() == 0


def test_seed_demo_is_idempotent(db, settings):
    call_command("seed_demo", quiet=True)
    counts = [m.objects.count() for m in (AmaSession, Bulletin, BulletinAcknowledgement, Training, TrainingAttendance,
                                          EvidenceItem)]
    call_command("seed_demo", quiet=True)
    assert [m.objects.count() for m in (AmaSession, Bulletin, BulletinAcknowledgement, Training, TrainingAttendance,
                                        EvidenceItem)] == counts
    assert counts[0] == 4 and counts[1] == 4 and counts[3] == 3
    assert EvidenceItem.objects.filter(controls__code="6.3").count() >= 9


def test_security_summary_for_the_dashboard(world):
    from datetime import timedelta

    from django.utils import timezone

    from apps.security import selectors, services

    session = helpers.ama_session(world, days=3)
    services.ama_question_submit(actor=helpers.actor(world, "engineer"), session=session, body="Q?", anonymous=True)
    helpers.bulletin(world)
    helpers.bulletin(world, title="Beta only", teams=[world.teams["beta"]])
    helpers.training(world, first_due_on=timezone.localdate() - timedelta(days=1))
    services.training_status_refresh()

    mine = selectors.security_summary(actor=helpers.actor(world, "engineer"))
    assert (mine.bulletins_to_acknowledge, mine.trainings_due, mine.trainings_overdue) == (1, 0, 1)
    assert mine.next_ama == session
    assert (mine.questions_pending, mine.evidence_expiring) == (None, None)
    boss = selectors.security_summary(actor=helpers.actor(world, "cto"))
    assert (boss.bulletins_to_acknowledge, boss.questions_pending, boss.evidence_expiring) == (1, 1, 0)
