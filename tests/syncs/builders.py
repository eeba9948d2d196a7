"""Test data for syncs, built through the services (so the tests exercise the real rules)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from apps.core.access import get_actor
from apps.syncs import services
from apps.syncs.models import Meeting, SyncSeries


@dataclass
class SyncData:
    em_sync: SyncSeries
    tech_sync: SyncSeries
    one_on_one: SyncSeries  # em <-> tl: the CTO is not in it
    em_meeting: Meeting
    one_on_one_meeting: Meeting


def actor(world, key: str):
    return get_actor(world.users[key])


def meeting_at(series: SyncSeries, when: datetime) -> Meeting:
    return Meeting.objects.create(series=series, scheduled_at=when, duration_minutes=series.duration_minutes)


def build(world) -> SyncData:
    cto = actor(world, "cto")
    em_sync = services.series_create(
        actor=cto, title="EM Sync", kind=SyncSeries.Kind.EM, participants=[world.em, world.em2],
        weekday=1, start_time=time(10, 0), time_zone="Europe/Lisbon", starts_on=date.today() - timedelta(days=60),
        agenda_template="Wins\nRisks", generate=False,
    )
    tech_sync = services.series_create(
        actor=cto, title="Tech Sync", kind=SyncSeries.Kind.TECH, participants=[world.tl, world.tl2], weekday=3,
        start_time=time(15, 0), generate=False,
    )
    one_on_one = services.series_create(
        actor=actor(world, "em"), title="Em / Tl 1:1", kind=SyncSeries.Kind.ONE_ON_ONE, participants=[world.tl],
        cadence=SyncSeries.Cadence.BIWEEKLY, weekday=4, start_time=time(11, 0), generate=False,
    )
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    return SyncData(em_sync=em_sync, tech_sync=tech_sync, one_on_one=one_on_one,
                    em_meeting=meeting_at(em_sync, soon), one_on_one_meeting=meeting_at(one_on_one, soon))
