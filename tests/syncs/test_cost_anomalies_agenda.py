"""A planned Tech Sync offers open cost anomalies (read through the costs app's selector, so
only to those who may see costs) as agenda items."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.costs.models import CostAnomaly
from apps.syncs.models import AgendaItem
from tests.syncs.builders import build, meeting_at

pytestmark = pytest.mark.django_db


def anomaly(**extra) -> CostAnomaly:
    fields = dict(date=timezone.localdate() - timedelta(days=2), dimension="service", key="Amazon Redshift",
                  expected=Decimal("100.00"), actual=Decimal("350.00"), impact=Decimal("250.00"), currency="USD")
    return CostAnomaly.objects.create(**{**fields, **extra})


def test_tech_sync_offers_open_anomalies_and_adds_one_to_the_agenda(world):
    data = build(world)
    data.tech_sync.participants.add(world.cto)
    meeting = meeting_at(data.tech_sync, datetime.now(UTC) + timedelta(days=2))
    anomaly()
    anomaly(key="Amazon S3", status=CostAnomaly.Status.RESOLVED)  # closed: not offered
    cto = world.client("cto")
    page = cto.get(reverse("syncs:meeting-detail", args=[meeting.pk])).content.decode()
    assert "Open cost anomalies to discuss" in page
    assert "Amazon Redshift" in page and "Amazon S3" not in page

    title = f"Cost anomaly: Amazon Redshift on {timezone.localdate() - timedelta(days=2):%Y-%m-%d} (+250.00 USD)"
    cto.post(reverse("syncs:agenda-add", args=[meeting.pk]), {"title": title, "minutes": 5})
    item = AgendaItem.objects.get(meeting=meeting, title=title)
    assert item.minutes == 5


def test_tl_without_cost_access_is_offered_nothing(world):
    data = build(world)
    meeting = meeting_at(data.tech_sync, datetime.now(UTC) + timedelta(days=2))
    anomaly()
    page = world.client("tl").get(reverse("syncs:meeting-detail", args=[meeting.pk])).content.decode()
    assert "Open cost anomalies" not in page
    assert "Amazon Redshift" not in page


def test_other_syncs_offer_no_anomalies(world):
    data = build(world)
    meeting = meeting_at(data.em_sync, datetime.now(UTC) + timedelta(days=2))
    anomaly()
    page = world.client("cto").get(reverse("syncs:meeting-detail", args=[meeting.pk])).content.decode()
    assert "Open cost anomalies" not in page
