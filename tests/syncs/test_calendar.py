"""The personal iCal feed: RFC 5545 text that parses back, behind a rotatable secret URL."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from apps.syncs import services
from apps.syncs.models import CalendarFeed
from tests.syncs.builders import actor, build, meeting_at


def parse_ics(text: str) -> list[dict]:
    """A strict little RFC 5545 reader: CRLF lines, folding, one VCALENDAR of VEVENTs."""
    assert text.endswith("\r\n")
    raw_lines = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in raw_lines)
    assert all(len(line.encode()) <= 75 for line in raw_lines)
    lines: list[str] = []
    for line in raw_lines:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    props = dict(line.split(":", 1) for line in lines[1:] if not line.startswith(("BEGIN:VEVENT", "END:VEVENT")))
    assert props["VERSION"] == "2.0" and props["PRODID"]
    events, current = [], None
    for line in lines[1:-1]:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name] = value
    for event in events:
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert required in event, required
        for stamp in ("DTSTAMP", "DTSTART", "DTEND"):
            assert re.fullmatch(r"\d{8}T\d{6}Z", event[stamp]), event[stamp]
        assert event["DTEND"] > event["DTSTART"]
    return events


def unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


@pytest.fixture
def data(world):
    return build(world)


def test_feed_parses_back_with_the_persons_meetings_only(world, data):
    tech_meeting = meeting_at(data.tech_sync, datetime.now(UTC).replace(microsecond=0) + timedelta(days=3))
    tech_meeting.title = "Tech Sync, Q3; planning — a rather long title that will need folding in the ics output ✓"
    tech_meeting.save()
    em_feed = CalendarFeed.objects.create(person=world.em)
    response = world.client("anonymous").get(reverse("syncs:ical-feed", args=[em_feed.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = parse_ics(response.content.decode())
    assert sorted(unescape(e["SUMMARY"]) for e in events) == ["EM Sync", "Em / Tl 1:1"]
    # The reference parser (icalendar) reads the same feed back, folding and escaping included.
    import icalendar

    calendar = icalendar.Calendar.from_ical(response.content)
    parsed = sorted(str(c["SUMMARY"]) for c in calendar.walk("VEVENT"))
    assert parsed == ["EM Sync", "Em / Tl 1:1"]
    start = datetime.strptime(next(e for e in events if e["SUMMARY"] == "EM Sync")["DTSTART"], "%Y%m%dT%H%M%SZ")
    assert start.replace(tzinfo=UTC) == data.em_meeting.scheduled_at

    tl_feed = CalendarFeed.objects.create(person=world.tl)
    tl_events = parse_ics(world.client("anonymous").get(reverse("syncs:ical-feed", args=[tl_feed.token])).content.decode())
    assert sorted(unescape(e["SUMMARY"]) for e in tl_events) == ["Em / Tl 1:1", tech_meeting.title]
    cto_feed = services.calendar_feed_get(actor=actor(world, "cto"))
    cto_events = parse_ics(world.client("anonymous").get(reverse("syncs:ical-feed", args=[cto_feed.token])).content.decode())
    assert sorted(unescape(e["SUMMARY"]) for e in cto_events) == ["EM Sync", tech_meeting.title]  # no 1:1


def test_rotating_the_token_stops_the_old_url(world, data):
    client = world.client("em")
    page = client.get(reverse("syncs:calendar"))
    assert page.status_code == 200
    old = CalendarFeed.objects.get(person=world.em).token
    assert old in page.content.decode()
    assert client.get(reverse("syncs:ical-feed", args=[old])).status_code == 200
    assert client.post(reverse("syncs:calendar")).status_code == 302
    new = CalendarFeed.objects.get(person=world.em).token
    assert new != old
    assert client.get(reverse("syncs:ical-feed", args=[old])).status_code == 404
    assert client.get(reverse("syncs:ical-feed", args=[new])).status_code == 200


def test_feed_of_a_person_who_left_is_gone(world, data):
    feed = CalendarFeed.objects.create(person=world.tl)
    world.tl.is_active = False
    world.tl.save()
    assert world.client("anonymous").get(reverse("syncs:ical-feed", args=[feed.token])).status_code == 404



def test_feed_also_carries_the_knowledge_sessions(world, data):
    import icalendar

    from apps.knowledge.models import Session

    Session.objects.create(title="Tech Monthly: December", starts_at=datetime.now(UTC) + timedelta(days=10),
                           duration_minutes=60)
    feed = CalendarFeed.objects.create(person=world.engineer)
    response = world.client("anonymous").get(reverse("syncs:ical-feed", args=[feed.token]))
    calendar = icalendar.Calendar.from_ical(response.content)
    assert "Tech Monthly: December" in [str(c["SUMMARY"]) for c in calendar.walk("VEVENT")]
