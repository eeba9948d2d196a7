"""Idle resources found by the infra inventory become savings opportunities, once each, with
the resource's known cost as the estimate; resolving the finding closes the opportunity."""
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.costs import services
from apps.costs.models import SavingsOpportunity, TopResource
from apps.infra.models import Finding, Resource
from tests.infra.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def make_findings(world):
    volume = ResourceFactory(kind=Resource.Kind.EBS_VOLUME, resource_id="vol-0abc", name="old-data",
                             arn="arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc", owner_team=world.teams["data"])
    bucket = ResourceFactory(kind=Resource.Kind.S3_BUCKET, resource_id="empty-bucket", name="empty-bucket",
                             arn="arn:aws:s3:::empty-bucket")
    untagged = ResourceFactory(name="no-tags")
    idle = Finding.objects.create(resource=volume, kind=Finding.Kind.UNATTACHED_VOLUME, team=world.teams["data"])
    Finding.objects.create(resource=bucket, kind=Finding.Kind.EMPTY_BUCKET)
    Finding.objects.create(resource=untagged, kind=Finding.Kind.UNTAGGED)  # not a saving
    TopResource.objects.create(month=date(2026, 10, 1), provider="AWS", billing_account_id="123456789012",
                               resource_id=volume.arn, service="Amazon EC2", cost=Decimal("42.17"), currency="USD")
    return idle


def test_idle_findings_become_opportunities_once(world):
    idle = make_findings(world)
    assert services.savings_from_idle_findings() == {"created": 2, "updated": 0, "closed": 0}
    assert services.savings_from_idle_findings() == {"created": 0, "updated": 0, "closed": 0}
    rows = {o.external_id: o for o in SavingsOpportunity.objects.filter(source="idle")}
    assert set(rows) == {"unattached_volume:arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc",
                         "empty_bucket:arn:aws:s3:::empty-bucket"}
    volume = rows[f"unattached_volume:{idle.resource.arn}"]
    assert (volume.estimated_monthly, volume.currency, volume.team) == (Decimal("42.17"), "USD", world.teams["data"])
    assert volume.title == "Unattached volume: old-data"

    Finding.objects.filter(pk=idle.pk).update(resolved_at=timezone.now())
    assert services.savings_from_idle_findings() == {"created": 0, "updated": 0, "closed": 1}
    volume.refresh_from_db()
    assert volume.status == SavingsOpportunity.Status.DONE


def _volume(world) -> SavingsOpportunity:
    return SavingsOpportunity.objects.get(source="idle", external_id__startswith="unattached_volume:")


def _bucket() -> SavingsOpportunity:
    return SavingsOpportunity.objects.get(source="idle", external_id__startswith="empty_bucket:")


def test_the_sync_keeps_an_estimate_a_person_entered(world):
    from apps.core.access import get_actor

    make_findings(world)
    services.savings_from_idle_findings()
    bucket = _bucket()
    assert (bucket.estimated_monthly, bucket.estimate_source) == (Decimal("0.00"), "pending")
    finance = get_actor(world.users["finance"])
    services.savings_opportunity_update(actor=finance, opportunity=bucket, estimated_monthly=Decimal("40.00"),
                                        currency="EUR", status="in_progress", notes="Lifecycle to Glacier")
    volume = _volume(world)
    services.savings_opportunity_update(actor=finance, opportunity=volume, estimated_monthly=Decimal("50.00"))
    TopResource.objects.create(month=date(2026, 11, 1), provider="AWS", billing_account_id="123456789012",
                               resource_id="arn:aws:s3:::empty-bucket", service="Amazon S3", cost=Decimal("3.10"),
                               currency="USD")
    TopResource.objects.filter(resource_id=volume.external_id.split(":", 1)[1]).update(cost=Decimal("45.00"))

    assert services.savings_from_idle_findings() == {"created": 0, "updated": 0, "closed": 0}

    bucket, volume = _bucket(), _volume(world)
    assert (bucket.estimated_monthly, bucket.currency, bucket.estimate_source, bucket.status, bucket.notes) == (
        Decimal("40.00"), "EUR", "entered", "in_progress", "Lifecycle to Glacier")
    assert (volume.estimated_monthly, volume.estimate_source) == (Decimal("50.00"), "entered")


def test_the_sync_refreshes_the_estimates_it_computed_and_fills_those_to_be_estimated(world):
    from apps.core.access import get_actor

    make_findings(world)
    services.savings_from_idle_findings()
    volume = _volume(world)
    assert volume.estimate_source == "computed"
    # Saving the edit page without touching the estimate leaves it to the sync.
    services.savings_opportunity_update(actor=get_actor(world.users["finance"]), opportunity=volume,
                                        estimated_monthly=Decimal("42.17"), currency="USD", notes="Ask the data team")
    TopResource.objects.create(month=date(2026, 11, 1), provider="AWS", billing_account_id="123456789012",
                               resource_id=volume.external_id.split(":", 1)[1], service="Amazon EC2",
                               cost=Decimal("39.996"), currency="USD")
    TopResource.objects.create(month=date(2026, 11, 1), provider="AWS", billing_account_id="123456789012",
                               resource_id="arn:aws:s3:::empty-bucket", service="Amazon S3", cost=Decimal("3.1049"),
                               currency="USD")

    assert services.savings_from_idle_findings() == {"created": 0, "updated": 2, "closed": 0}
    assert services.savings_from_idle_findings() == {"created": 0, "updated": 0, "closed": 0}  # cents: stable

    volume, bucket = _volume(world), _bucket()
    assert (volume.estimated_monthly, volume.estimate_source, volume.notes) == (
        Decimal("40.00"), "computed", "Ask the data team")
    assert (bucket.estimated_monthly, bucket.estimate_source) == (Decimal("3.10"), "computed")
