"""The hand-written iCalendar feed: escaping, folding, the secret per-person URL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from apps.knowledge import ical, services
from apps.knowledge.models import CalendarFeed
from tests.knowledge.factories import SessionFactory, TalkFactory


def test_escape_text():
    assert ical.escape_text('a\\b;c,d\ne\r\nf "g"') == 'a\\\\b\\;c\\,d\\ne\\nf "g"'


def test_fold_line_at_75_octets_without_splitting_characters():
    line = "SUMMARY:" + "é" * 100  # 8 + 200 octets
    folded = ical.fold_line(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
    assert ical.fold_line("SHORT:x") == "SHORT:x"


def test_build_calendar(world):
    start = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    session = SessionFactory(title="Tech Monthly — December, 2026; last one", starts_at=start, duration_minutes=90,
                             location="Room 2, Lisbon", host=world.tl)
    TalkFactory(session=session, title="Kafka, at scale", duration_minutes=20, speakers=[world.engineer])
    now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    text = ical.build_calendar([session], now=now, base_url="https://portal.example.com")

    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CTO Portal//Knowledge sessions//EN\r\n")
    assert text.endswith("END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert f"UID:knowledge-session-{session.pk}@cto-portal\r\n" in unfolded
    assert "DTSTART:20261231T160000Z\r\nDTEND:20261231T173000Z\r\n" in unfolded
    assert "DTSTAMP:20261201T093000Z\r\n" in unfolded
    assert "SUMMARY:Tech Monthly — December\\, 2026\\; last one\r\n" in unfolded
    assert "LOCATION:Room 2\\, Lisbon\r\n" in unfolded
    assert ("DESCRIPTION:• Kafka\\, at scale (20 min) — Engineer Person\\n"
            f"https://portal.example.com/knowledge/sessions/{session.pk}/\r\n") in unfolded
    assert 'ORGANIZER;CN="Tl Person":mailto:tl@example.com\r\n' in unfolded
    assert "STATUS:CONFIRMED\r\n" in unfolded
    assert "You are speaking" not in unfolded

    mine = ical.build_calendar([session], now=now, person_id=world.engineer.pk).replace("\r\n ", "")
    assert "DESCRIPTION:You are speaking: Kafka\\, at scale\\n• Kafka" in mine
    hosting = ical.build_calendar([session], now=now, person_id=world.tl.pk).replace("\r\n ", "")
    assert "DESCRIPTION:You are hosting.\\n• Kafka" in hosting


def test_feed_url_works_without_login_and_reset_kills_the_old_one(world, actor):
    SessionFactory(title="Upcoming", starts_at=timezone.now() + timedelta(days=3))
    SessionFactory(title="Long ago", starts_at=timezone.now() - timedelta(days=400))
    feed = services.calendar_feed_get_or_create(actor=actor("engineer"))
    url = reverse("knowledge:calendar-feed", args=[feed.token])

    response = world.client("anonymous").get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.count("BEGIN:VEVENT") == 1
    assert "SUMMARY:Upcoming" in body

    services.calendar_feed_reset(actor=actor("engineer"))
    assert world.client("anonymous").get(url).status_code == 404


def test_feed_of_a_person_who_left_is_gone(world, actor):
    feed = services.calendar_feed_get_or_create(actor=actor("engineer"))
    world.engineer.is_active = False
    world.engineer.save()
    assert world.client("anonymous").get(reverse("knowledge:calendar-feed", args=[feed.token])).status_code == 404


def test_calendar_page_shows_the_personal_url(world):
    response = world.client("engineer").get(reverse("knowledge:calendar"))
    token = CalendarFeed.objects.get(person=world.engineer).token
    assert f"/knowledge/calendar/{token}.ics" in response.content.decode()
    assert world.client("engineer").post(reverse("knowledge:calendar-reset")).status_code == 302
    assert CalendarFeed.objects.get(person=world.engineer).token != token
