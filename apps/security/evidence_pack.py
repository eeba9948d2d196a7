"""The evidence pack an auditor reads (Annex A 6.3, clause 7.3): a ZIP of CSV files plus an
index, for a chosen period. Reads only; the view checks the actor is a security manager."""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.utils import timezone

from apps.core.access import Actor
from apps.security.access import is_security_manager
from apps.security.models import (
    AmaAttendance,
    AmaSession,
    BulletinAcknowledgement,
    Control,
    EvidenceItem,
    TrainingAttendance,
)

MAX_DAYS = 3 * 366


@dataclass
class PackFile:
    name: str
    description: str
    header: list[str]
    rows: list[list] = field(default_factory=list)


def _person(p) -> list[str]:
    return [p.full_name, p.email, p.team.name if p.team_id else ""]


def evidence_pack_files(*, actor: Actor, start: date, end: date) -> list[PackFile]:
    """The pack's tables for ``start``..``end`` (inclusive, local dates)."""
    if not is_security_manager(actor):
        raise PermissionDenied("Only security managers may export the evidence pack.")
    errors = {}
    if start is None:
        errors["start"] = "Choose the first day of the period."
    if end is None:
        errors["end"] = "Choose the last day of the period."
    if not errors and end < start:
        errors["end"] = "The period ends before it starts."
    if not errors and (end - start).days > MAX_DAYS:
        errors["end"] = "Choose a period of at most three years."
    if errors:
        raise ValidationError(errors)

    sessions = AmaSession.objects.filter(starts_at__date__gte=start, starts_at__date__lte=end) \
        .select_related("host").annotate(attendees=Count("attendances", distinct=True)).order_by("starts_at", "id")
    ama = PackFile("ama_sessions.csv", "Security AMA sessions held in the period",
                   ["session_id", "date", "title", "host", "recording_url", "attendees"])
    for s in sessions:
        ama.rows.append([s.pk, timezone.localdate(s.starts_at).isoformat(), s.title,
                         s.host.full_name if s.host else "", s.recording_url, s.attendees])

    attendance = PackFile("ama_attendance.csv", "Who attended each AMA session",
                          ["session_id", "date", "session", "person", "email", "team"])
    for a in AmaAttendance.objects.filter(session__in=sessions).select_related("session", "person__team") \
            .order_by("session__starts_at", "session_id", "person__full_name", "id"):
        attendance.rows.append([a.session_id, timezone.localdate(a.session.starts_at).isoformat(), a.session.title,
                                *_person(a.person)])

    acks = PackFile("bulletin_acknowledgements.csv", "Who acknowledged which security bulletin, and when",
                    ["bulletin_id", "bulletin", "severity", "due_date", "person", "email", "team", "acknowledged_at",
                     "on_time"])
    for a in BulletinAcknowledgement.objects.filter(
        acknowledged_at__date__gte=start, acknowledged_at__date__lte=end
    ).select_related("bulletin", "person__team").order_by("bulletin__published_at", "bulletin_id", "acknowledged_at", "id"):
        local = timezone.localtime(a.acknowledged_at)
        on_time = a.bulletin.due_date is None or local.date() <= a.bulletin.due_date
        acks.rows.append([a.bulletin_id, a.bulletin.title, a.bulletin.severity,
                          a.bulletin.due_date.isoformat() if a.bulletin.due_date else "", *_person(a.person),
                          local.isoformat(timespec="seconds"), "yes" if on_time else "no"])

    trained = PackFile("training_attendance.csv", "Who was trained when (with score and result)",
                       ["training", "kind", "session_date", "trainer", "person", "email", "team", "score", "passed"])
    for t in TrainingAttendance.objects.filter(
        session__held_on__gte=start, session__held_on__lte=end
    ).select_related("session__training", "person__team").order_by("session__held_on", "session_id", "person__full_name", "id"):
        trained.rows.append([t.session.training.title, t.session.training.kind, t.session.held_on.isoformat(),
                             t.session.trainer, *_person(t.person), "" if t.score is None else t.score,
                             "yes" if t.passed else "no"])

    evidence = PackFile("evidence_items.csv", "Evidence collected in the period, with its controls",
                        ["evidence_id", "title", "controls", "owner", "collected_on", "expires_on", "source", "url"])
    for e in EvidenceItem.objects.filter(collected_on__gte=start, collected_on__lte=end).select_related("owner") \
            .prefetch_related("controls").order_by("collected_on", "id"):
        codes = " ".join(sorted((c.code for c in e.controls.all()), key=_code_key))
        evidence.rows.append([e.pk, e.title, codes, e.owner.full_name if e.owner else "", e.collected_on.isoformat(),
                              e.expires_on.isoformat() if e.expires_on else "", e.source, e.url])

    controls = PackFile("controls.csv", "ISO 27001:2022 Annex A controls with owner and evidence count in the period",
                        ["code", "title", "theme", "owner", "applicable", "evidence_in_period"])
    in_period = EvidenceItem.objects.filter(collected_on__gte=start, collected_on__lte=end)
    for c in Control.objects.select_related("owner").order_by("sort_key"):
        controls.rows.append([c.code, c.title, c.theme, c.owner.full_name if c.owner else "",
                              "yes" if c.is_applicable else "no", 0])
    counts = dict(in_period.values_list("controls__code").annotate(n=Count("id")).values_list("controls__code", "n"))
    for row in controls.rows:
        row[-1] = counts.get(row[0], 0)
    return [ama, attendance, acks, trained, evidence, controls]


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(x) for x in code.split(".") if x.isdigit())


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(v) for v in row])
    return out.getvalue()


def _safe_cell(value):
    """Neutralise spreadsheet formulas (CSV injection) in free text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def evidence_pack_zip(*, actor: Actor, start: date, end: date) -> bytes:
    files = evidence_pack_files(actor=actor, start=start, end=end)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        index_rows = [[f.name, f.description, len(f.rows)] for f in files]
        archive.writestr("README.txt", (
            "Evidence pack: ISO 27001:2022 Annex A 6.3 (awareness, education and training) and clause 7.3.\n"
            f"Period: {start.isoformat()} to {end.isoformat()} (inclusive).\n"
            f"Generated: {timezone.now().isoformat(timespec='seconds')}.\n"
            "index.csv lists the files and their row counts.\n"
        ))
        archive.writestr("index.csv", _csv(["file", "description", "rows"], index_rows))
        for f in files:
            archive.writestr(f.name, _csv(f.header, f.rows))
    return buffer.getvalue()
