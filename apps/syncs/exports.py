"""Exports: a meeting as Markdown, the decision log as CSV, a personal iCal feed (RFC 5545).

The iCal text is written by hand (the ``icalendar`` package is not a dependency yet): lines
are CRLF-terminated, TEXT values escaped and long lines folded at 75 octets, as RFC 5545
sections 3.1 and 3.3.11 require."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import timezone

from apps.syncs.models import Decision, Meeting


def meeting_markdown(*, meeting: Meeting, data) -> str:
    local = timezone.localtime(meeting.scheduled_at)
    lines = [f"# {meeting.title or meeting.series.title} — {local:%Y-%m-%d %H:%M}", "",
             f"Status: {meeting.get_status_display()}", ""]
    if data.attendee_ids:
        names = [p.full_name for p in data.participants if p.pk in data.attendee_ids]
        lines += [f"Attendees: {', '.join(names)}", ""]
    lines += ["## Agenda", ""]
    for item in data.agenda:
        mark = "x" if item.status == item.Status.DONE else " "
        extra = f" ({item.presenter.full_name})" if item.presenter else ""
        lines.append(f"- [{mark}] {item.title}{extra}")
    lines += ["", "## Notes", "", meeting.notes or "_No notes._", "", "## Decisions", ""]
    for d in data.decisions:
        lines.append(f"- {d.text} — {d.owner.full_name}" + (f"  \n  Rationale: {d.rationale}" if d.rationale else ""))
    if not data.decisions:
        lines.append("_None._")
    lines += ["", "## Action items", ""]
    for a in [*data.overdue_actions, *data.carried_actions, *data.new_actions]:
        due = f", due {a.due_date:%Y-%m-%d}" if a.due_date else ""
        lines.append(f"- [{'x' if a.status == a.Status.DONE else ' '}] {a.title} — {a.owner.full_name}{due}")
    return "\n".join(lines) + "\n"


DECISION_COLUMNS = ["id", "decided_on", "series", "text", "rationale", "owner", "meeting", "supersedes",
                    "superseded_by"]


def _cell(value: str) -> str:
    """Neutralise spreadsheet formula injection (=, +, -, @ at the start of a cell)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def decisions_csv(decisions: Iterable[Decision], writer) -> None:
    writer.writerow(DECISION_COLUMNS)
    for d in decisions:
        superseded_by = getattr(d, "superseded_by", None)
        writer.writerow([
            d.pk, d.decided_on.isoformat(), _cell(d.series.title), _cell(d.text), _cell(d.rationale),
            _cell(d.owner.full_name), d.meeting_id or "", d.supersedes_id or "",
            superseded_by.pk if superseded_by else "",
        ])


# -- iCal ----------------------------------------------------------------------------------------------
def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Fold at 75 octets without splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    limit = 75
    for ch in line:
        if len((current + ch).encode()) > limit:
            out.append(current)
            current = " " + ch
            limit = 75
        else:
            current += ch
    out.append(current)
    return "\r\n".join(out)


def _utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ical(*, person, meetings: Iterable[Meeting], base_url: str, host: str = "cto-portal",
         extra_events: Iterable[str] = ()) -> str:
    """The personal feed. ``extra_events`` are other apps' unfolded VEVENT lines (the knowledge
    sessions), so one subscription carries every meeting and talk of the person."""
    now = _utc(timezone.now())
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//CTO Portal//Syncs//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape('Syncs of ' + person.full_name)}"]
    base = base_url.rstrip("/")
    for m in meetings:
        summary = m.title or m.series.title
        lines += [
            "BEGIN:VEVENT",
            f"UID:syncs-meeting-{m.pk}@{host}",
            f"DTSTAMP:{now}",
            f"DTSTART:{_utc(m.scheduled_at)}",
            f"DTEND:{_utc(m.ends_at)}",
            f"SUMMARY:{_escape(summary)}",
            f"URL:{base}{m.get_absolute_url()}",
            f"DESCRIPTION:{_escape(m.series.get_kind_display() + ' — agenda and notes: ' + base + m.get_absolute_url())}",
            "STATUS:" + ("CANCELLED" if m.status == Meeting.Status.CANCELLED else "CONFIRMED"),
            "END:VEVENT",
        ]
    lines.extend(extra_events)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
