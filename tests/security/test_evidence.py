from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.security import services, tasks
from apps.security.models import (
    Bulletin,
    BulletinAcknowledgement,
    Control,
    EvidenceItem,
    Reminder,
)
from tests.security import helpers

JSON = "application/json"


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_annex_a_controls_are_loaded_as_data(db):
    codes = set(Control.objects.values_list("code", flat=True))
    expected = ({f"5.{i}" for i in range(1, 38)} | {f"6.{i}" for i in range(1, 9)}
                | {f"7.{i}" for i in range(1, 15)} | {f"8.{i}" for i in range(1, 35)})
    assert codes == expected
    assert len(codes) == 93
    assert Control.objects.get(code="6.3").title == "Security awareness, education and training"
    assert [c.code for c in Control.objects.all()[:11]] == [f"5.{i}" for i in range(1, 12)]  # numeric order
    assert dict(Control.objects.values_list("code", "theme").filter(code__in=["5.15", "6.3", "7.7", "8.28"])) == {
        "5.15": "organisational", "6.3": "people", "7.7": "physical", "8.28": "technological"}


def test_beat_schedules_exist(db):
    from django_celery_beat.models import PeriodicTask

    assert set(PeriodicTask.objects.filter(task__startswith="security.").values_list("task", flat=True)) == {
        "security.training_status_refresh_task", "security.bulletin_reminders_task",
        "security.evidence_expiry_reminders_task"}


def _build_period(world):
    """March 2026 data, plus rows just outside it."""
    cto = helpers.actor(world)
    inside = services.ama_session_create(actor=cto, title="AMA March", starts_at=_utc(2026, 3, 10, 15), host=world.cto)
    outside = services.ama_session_create(actor=cto, title="AMA April", starts_at=_utc(2026, 4, 2, 15), host=world.cto)
    services.ama_attendance_record(actor=cto, session=inside, people=[world.tl, world.engineer])
    services.ama_attendance_record(actor=cto, session=outside, people=[world.pm])

    bulletin = helpers.bulletin(world, title="Lock your screen", due=date(2026, 3, 20))
    Bulletin.objects.filter(pk=bulletin.pk).update(published_at=_utc(2026, 3, 1, 9))
    EvidenceItem.objects.filter(bulletin=bulletin).update(collected_on=date(2026, 3, 1))
    for person, when in [(world.engineer, _utc(2026, 3, 5, 10)), (world.em, _utc(2026, 3, 25, 8, 30)),
                         (world.tl, _utc(2026, 4, 1, 9))]:
        BulletinAcknowledgement.objects.create(bulletin=bulletin, person=person, acknowledged_at=when)

    training = services.training_create(actor=cto, title="Secure coding", kind="secure_coding",
                                        first_due_on=date(2026, 6, 30), pass_score=70)
    march = services.training_session_create(actor=cto, training=training, held_on=date(2026, 3, 15), trainer="Sec Team")
    february = services.training_session_create(actor=cto, training=training, held_on=date(2026, 2, 28))
    services.training_attendance_record(actor=cto, session=march, person=world.engineer, score=90)
    services.training_attendance_record(actor=cto, session=march, person=world.tl, score=50)
    services.training_attendance_record(actor=cto, session=february, person=world.em, score=80)

    manual = services.evidence_create(actor=cto, title="=Access review", controls=Control.objects.filter(code__in=["5.18", "5.15"]),
                                      owner=world.cto, collected_on=date(2026, 3, 20), expires_on=date(2027, 3, 20),
                                      url="https://wiki.example.com/ar")
    return inside, bulletin, march, manual


def _read(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode())))


def test_evidence_pack_contains_exactly_the_rows_of_the_period(world):
    inside, bulletin, march, manual = _build_period(world)
    response = world.client("cto").get(reverse("security:evidence-pack"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="evidence-pack-2026-03-01-2026-03-31.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["README.txt", "ama_attendance.csv", "ama_sessions.csv",
                                          "bulletin_acknowledgements.csv", "controls.csv", "evidence_items.csv",
                                          "index.csv", "training_attendance.csv"]
    assert "Period: 2026-03-01 to 2026-03-31 (inclusive)." in archive.read("README.txt").decode()

    assert _read(archive, "ama_sessions.csv") == [
        ["session_id", "date", "title", "host", "recording_url", "attendees"],
        [str(inside.pk), "2026-03-10", "AMA March", "Cto Person", "", "2"],
    ]
    assert _read(archive, "ama_attendance.csv") == [
        ["session_id", "date", "session", "person", "email", "team"],
        [str(inside.pk), "2026-03-10", "AMA March", "Engineer Person", "engineer@example.com", "Alpha"],
        [str(inside.pk), "2026-03-10", "AMA March", "Tl Person", "tl@example.com", "Alpha"],
    ]
    assert _read(archive, "bulletin_acknowledgements.csv") == [
        ["bulletin_id", "bulletin", "severity", "due_date", "person", "email", "team", "acknowledged_at", "on_time"],
        [str(bulletin.pk), "Lock your screen", "high", "2026-03-20", "Engineer Person", "engineer@example.com", "Alpha",
         "2026-03-05T10:00:00+00:00", "yes"],
        [str(bulletin.pk), "Lock your screen", "high", "2026-03-20", "Em Person", "em@example.com", "Alpha",
         "2026-03-25T08:30:00+00:00", "no"],
    ]
    assert _read(archive, "training_attendance.csv") == [
        ["training", "kind", "session_date", "trainer", "person", "email", "team", "score", "passed"],
        ["Secure coding", "secure_coding", "2026-03-15", "Sec Team", "Engineer Person", "engineer@example.com", "Alpha",
         "90", "yes"],
        ["Secure coding", "secure_coding", "2026-03-15", "Sec Team", "Tl Person", "tl@example.com", "Alpha", "50", "no"],
    ]
    evidence = _read(archive, "evidence_items.csv")
    assert evidence[0] == ["evidence_id", "title", "controls", "owner", "collected_on", "expires_on", "source", "url"]
    assert [row[1:] for row in evidence[1:]] == [
        ["Bulletin acknowledged: Lock your screen", "6.3", "Cto Person", "2026-03-01", "", "bulletin", ""],
        ["AMA held: AMA March", "6.3", "Cto Person", "2026-03-10", "", "ama_session", ""],
        ["Training held: Secure coding (2026-03-15)", "6.3", "Cto Person", "2026-03-15", "", "training_session", ""],
        ["'=Access review", "5.15 5.18", "Cto Person", "2026-03-20", "2027-03-20", "manual", "https://wiki.example.com/ar"],
    ]
    controls = _read(archive, "controls.csv")
    assert len(controls) == 94
    counts = {row[0]: row[5] for row in controls[1:] if row[5] != "0"}
    assert counts == {"5.15": "1", "5.18": "1", "6.3": "3"}
    assert _read(archive, "index.csv") == [
        ["file", "description", "rows"],
        ["ama_sessions.csv", "Security AMA sessions held in the period", "1"],
        ["ama_attendance.csv", "Who attended each AMA session", "2"],
        ["bulletin_acknowledgements.csv", "Who acknowledged which security bulletin, and when", "2"],
        ["training_attendance.csv", "Who was trained when (with score and result)", "2"],
        ["evidence_items.csv", "Evidence collected in the period, with its controls", "4"],
        ["controls.csv", "ISO 27001:2022 Annex A controls with owner and evidence count in the period", "93"],
    ]


def test_evidence_pack_api_and_bad_periods(world):
    _build_period(world)
    cto = world.client("cto")
    ok = cto.get(reverse("api:security-evidence-pack"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert ok.status_code == 200 and ok["Content-Type"] == "application/zip"
    backwards = cto.get(reverse("api:security-evidence-pack"), {"start": "2026-03-31", "end": "2026-03-01"})
    assert backwards.status_code == 400
    assert backwards.json() == {"end": ["The period ends before it starts."]}
    missing = cto.get(reverse("api:security-evidence-pack"), {"start": "2026-03-31"})
    assert missing.json() == {"end": ["This field is required."]}
    too_long = cto.get(reverse("api:security-evidence-pack"), {"start": "2020-01-01", "end": "2026-01-01"})
    assert too_long.json() == {"end": ["Choose a period of at most three years."]}
    page = cto.get(reverse("security:evidence-pack"), {"start": "2026-03-31", "end": "2026-03-01"})
    assert page.status_code == 400
    assert "The period ends before it starts." in page.content.decode()
    assert world.client("em").get(reverse("api:security-evidence-pack"),
                                  {"start": "2026-03-01", "end": "2026-03-31"}).status_code == 403


def test_awareness_records_become_evidence_automatically(world):
    inside, bulletin, march, manual = _build_period(world)
    auto = EvidenceItem.objects.exclude(source="manual")
    assert sorted(auto.values_list("source", flat=True)) == ["ama_session", "ama_session", "bulletin",
                                                             "training_session", "training_session"]
    assert set(auto.values_list("controls__code", flat=True)) == {"6.3"}
    # Recording attendance again updates the same evidence item.
    services.ama_attendance_record(actor=helpers.actor(world), session=inside, people=[world.hr])
    assert EvidenceItem.objects.filter(ama_session=inside).count() == 1


def test_evidence_create_errors_and_permissions(world):
    cto = world.client("cto")
    bad = cto.post(reverse("api:security-evidence-list"), {"title": "X", "controls": ["9.9"], "collected_on": "2026-01-01"},
                   content_type=JSON)
    assert bad.status_code == 400
    assert bad.json() == {"controls": ["Object with code=9.9 does not exist."]}
    backwards = cto.post(reverse("api:security-evidence-list"),
                         {"title": "X", "controls": ["8.15"], "collected_on": "2026-02-01", "expires_on": "2026-01-01"},
                         content_type=JSON)
    assert backwards.json() == {"expires_on": ["The expiry date cannot be before the collection date."]}
    assert world.client("tl").post(reverse("api:security-evidence-list"),
                                   {"title": "X", "controls": ["8.15"], "collected_on": "2026-01-01"},
                                   content_type=JSON).status_code == 403
    assert EvidenceItem.objects.count() == 0
    helpers.security_tl(world)
    created = world.client("sectl").post(reverse("api:security-evidence-list"),
                                         {"title": "Log config", "controls": ["8.15"], "collected_on": "2026-01-01",
                                          "owner": world.sectl.pk}, content_type=JSON)
    assert created.status_code == 201
    assert created.json()["controls"] == ["8.15"]


def test_control_owner_update(world):
    response = world.client("cto").patch(reverse("api:security-control-detail", args=["8.28"]),
                                         {"owner": world.tl.pk}, content_type=JSON)
    assert response.status_code == 200
    assert Control.objects.get(code="8.28").owner == world.tl
    denied = world.client("tl").patch(reverse("api:security-control-detail", args=["8.28"]), {"owner": None},
                                      content_type=JSON)
    assert denied.status_code == 403
    assert Control.objects.get(code="8.28").owner == world.tl


def test_expiry_reminders_once_per_item(world):
    today = timezone.localdate()
    cto = helpers.actor(world)
    soon = services.evidence_create(actor=cto, title="Pen test report", controls=Control.objects.filter(code="8.29"),
                                    owner=world.tl, collected_on=today - timedelta(days=300), expires_on=today + timedelta(days=10))
    services.evidence_create(actor=cto, title="Later", controls=Control.objects.filter(code="8.29"), owner=world.tl,
                             collected_on=today, expires_on=today + timedelta(days=200))
    assert tasks.evidence_expiry_reminders_task() == 1
    assert tasks.evidence_expiry_reminders_task() == 0
    assert mail.outbox[0].subject == "Evidence expiring: Pen test report"
    assert mail.outbox[0].to == ["tl@example.com"]
    assert Reminder.objects.get().object_id == soon.pk


def test_security_team_tl_manages_but_another_tl_does_not(world):
    helpers.security_tl(world)
    assert world.client("sectl").get(reverse("security:control-list")).status_code == 200
    assert world.client("sectl").get(reverse("api:security-control-list")).status_code == 200
    assert world.client("tl").get(reverse("security:control-list")).status_code == 403
    assert world.client("tl").get(reverse("api:security-control-list")).status_code == 403


@pytest.mark.parametrize("role", ["engineer", "em", "hr", "finance"])
def test_controls_and_evidence_are_for_security_managers(world, role):
    client = world.client(role)
    assert client.get(reverse("security:evidence-list")).status_code == 403
    assert client.get(reverse("api:security-evidence-list")).status_code == 403
