"""The iCalendar (RFC 5545) text of the sessions feed, written by hand: text values escaped
(backslash, semicolon, comma, newline), lines folded at 75 octets without splitting a UTF-8
character, CRLF line ends."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from apps.knowledge.models import Session

PRODID = "-//CTO Portal//Knowledge sessions//EN"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    return (
        (value or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold_line(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets; continuation lines start with a
    space (which counts towards their 75). Never splits a multi-byte character."""
    out: list[str] = []
    current = ""
    current_len = 0
    limit = MAX_OCTETS
    for char in line:
        size = len(char.encode("utf-8"))
        if current_len + size > limit:
            out.append(current)
            current, current_len = " ", 1
        current += char
        current_len += size
    out.append(current)
    return "\r\n".join(out)


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(session: Session, *, now: datetime, base_url: str, person_id: int | None = None) -> list[str]:
    talks = list(session.talks.all())
    lines = []
    if person_id is not None:
        mine = [t.title for t in talks if any(p.pk == person_id for p in t.speakers.all())]
        if mine:
            lines.append(f"You are speaking: {'; '.join(mine)}")
        elif session.host_id == person_id:
            lines.append("You are hosting.")
    if session.description:
        lines.append(session.description)
    for talk in talks:
        speakers = ", ".join(p.full_name for p in talk.speakers.all())
        lines.append(f"• {talk.title} ({talk.duration_minutes} min) — {speakers}")
    url = f"{base_url}{session.get_absolute_url()}" if base_url else ""
    if url:
        lines.append(url)
    location = session.location or session.call_url
    props = [
        "BEGIN:VEVENT",
        f"UID:knowledge-session-{session.pk}@cto-portal",
        f"DTSTAMP:{format_utc(now)}",
        f"DTSTART:{format_utc(session.starts_at)}",
        f"DTEND:{format_utc(session.ends_at)}",
        f"SUMMARY:{escape_text(session.title)}",
        f"DESCRIPTION:{escape_text(chr(10).join(lines))}",
        f"SEQUENCE:{int(session.updated_at.timestamp()) if session.updated_at else 0}",
        f"STATUS:{'CANCELLED' if session.is_cancelled else 'CONFIRMED'}",
    ]
    if location:
        props.append(f"LOCATION:{escape_text(location)}")
    if url:
        props.append(f"URL:{url}")
    if session.host is not None:
        props.append(f"ORGANIZER;CN=\"{session.host.full_name.replace(chr(34), '')}\":mailto:{session.host.email}")
    props.append("END:VEVENT")
    return props


def session_events(sessions: Iterable[Session], *, now: datetime, base_url: str = "",
                   person_id: int | None = None) -> list[str]:
    """The VEVENT content lines (unfolded) of ``sessions``: what another feed (e.g. the syncs
    app's personal calendar) can embed in its own VCALENDAR."""
    props: list[str] = []
    for session in sessions:
        props.extend(_event(session, now=now, base_url=base_url, person_id=person_id))
    return props


def build_calendar(sessions: Iterable[Session], *, now: datetime, name: str = "Knowledge sessions",
                   base_url: str = "", person_id: int | None = None) -> str:
    props = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    props.extend(session_events(sessions, now=now, base_url=base_url, person_id=person_id))
    props.append("END:VCALENDAR")
    return "".join(fold_line(p) + "\r\n" for p in props)
