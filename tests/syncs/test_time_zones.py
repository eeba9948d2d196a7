"""Pages show meeting times in the viewer's own zone (Person.time_zone); the stored time is UTC."""
from __future__ import annotations

from datetime import UTC, datetime

from apps.syncs.models import Meeting
from tests.syncs.builders import build, meeting_at


def test_a_meeting_page_shows_its_time_in_each_viewers_zone(world):
    data = build(world)
    world.em.time_zone = "Asia/Tokyo"
    world.em.save(update_fields=["time_zone"])
    world.em2.time_zone = "America/New_York"
    world.em2.save(update_fields=["time_zone"])
    world.cto.time_zone = "UTC"
    world.cto.save(update_fields=["time_zone"])
    meeting = meeting_at(data.em_sync, datetime(2026, 3, 2, 1, 30, tzinfo=UTC))

    tokyo = world.client("em").get(meeting.get_absolute_url()).content.decode()
    new_york = world.client("em2").get(meeting.get_absolute_url()).content.decode()
    utc = world.client("cto").get(meeting.get_absolute_url()).content.decode()

    assert "Monday 02 March 2026, 10:30 JST" in tokyo
    assert "Sunday 01 March 2026, 20:30 EST" in new_york
    assert "Monday 02 March 2026, 01:30 UTC" in utc
    assert Meeting.objects.get(pk=meeting.pk).scheduled_at == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def test_an_unknown_zone_on_a_person_falls_back_to_the_portal_zone(world):
    data = build(world)
    world.em.time_zone = "Mars/Olympus_Mons"  # not a valid choice; saved around the form on purpose
    world.em.save(update_fields=["time_zone"])
    meeting = meeting_at(data.em_sync, datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
    page = world.client("em").get(meeting.get_absolute_url())
    assert page.status_code == 200
    assert "01:30 UTC" in page.content.decode()
