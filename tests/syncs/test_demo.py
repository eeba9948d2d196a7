import io

from django.core.management import call_command
from django.utils import timezone

from apps.syncs.models import ActionItem, AgendaItem, Decision, Meeting, SyncSeries


def _counts():
    return (SyncSeries.objects.count(), Meeting.objects.count(), AgendaItem.objects.count(),
            Decision.objects.count(), ActionItem.objects.count())


def test_seed_demo_is_idempotent_and_realistic(db):
    call_command("seed_demo", quiet=True, stdout=io.StringIO())
    first = _counts()
    call_command("seed_demo", quiet=True, stdout=io.StringIO())
    assert _counts() == first
    assert set(SyncSeries.objects.values_list("kind", flat=True)) == {"tech", "em", "product", "one_on_one"}
    assert SyncSeries.objects.filter(kind="one_on_one", is_private=False).count() == 0
    assert Meeting.objects.filter(status="held").count() >= 60
    assert ActionItem.objects.filter(status="open", due_date__lt=timezone.localdate()).count() >= 5
    assert Decision.objects.count() >= 10
    assert Decision.objects.filter(supersedes__isnull=False).count() == 2
    assert AgendaItem.objects.filter(carried_from__isnull=False).exists()
