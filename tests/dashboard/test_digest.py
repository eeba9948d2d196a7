"""The weekly digest: the CTO's dashboard as an email in HTML and plain text, sent once per
week whatever the number of runs, on a beat schedule editable in the admin."""
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from apps.dashboard import services, tasks
from apps.dashboard.models import DigestSent
from tests.dashboard.data import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(world):
    return build(world)


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


def test_digest_renders_in_both_forms_with_known_data(world, known, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    digest = services.digest_render(person=world.cto)
    assert digest.recipient == "cto@example.com"
    for body in (digest.text, digest.html):
        assert "Cloud total" in body  # the budget
        assert "Em Person" in body  # overdue owner
        assert "Cost review" in body  # open agenda of this week's Tech Sync
        assert "H2 2026" in body  # review cycle
        assert "Pen test report" in body  # expiring evidence
        assert "Churn model" in body  # red initiative
        assert "GPU box" in body  # infra request past its service level
        assert "GitHub Enterprise" in body  # renewal
        assert "Postgres at scale" in body  # next Tech Monthly
        assert "Why do we rotate keys?" in body  # top-voted AMA question
        assert "Already discussed" not in body  # a discussed agenda item is not open
        assert "https://portal.example.com/costs/" in body  # absolute links
    assert "- Em Person: 2 overdue, oldest 5 days" in digest.text
    assert "<li" not in digest.text and "&amp;" not in digest.text
    assert digest.html.lstrip().startswith("<!doctype html>")
    assert "<canvas" not in digest.html and "<script" not in digest.html


def test_task_run_twice_sends_one_email(world, known, outbox):
    assert tasks.send_weekly_digest_task.delay().get() == 1
    assert tasks.send_weekly_digest_task.delay().get() == 0
    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == ["cto@example.com"]
    assert "Cloud total" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Churn model" in html
    assert DigestSent.objects.count() == 1


def test_next_week_sends_again(world, known, outbox):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    assert services.weekly_digest_send(now=now) == 1
    assert services.weekly_digest_send(now=now + timedelta(days=7)) == 1
    assert len(outbox) == 2
    assert DigestSent.objects.count() == 2


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP down")


def test_a_failed_send_is_not_recorded(world, known, settings):
    settings.EMAIL_BACKEND = "tests.dashboard.test_digest.BrokenBackend"
    with pytest.raises(OSError):
        services.weekly_digest_send()
    assert DigestSent.objects.count() == 0  # so the retry sends it


def test_send_digest_dry_run_prints_it_and_sends_nothing(world, known, outbox):
    out = StringIO()
    call_command("send_digest", "--dry-run", stdout=out)
    printed = out.getvalue()
    assert "To: cto@example.com" in printed
    assert "----- text/plain -----" in printed and "----- text/html -----" in printed
    assert "Churn model" in printed
    assert outbox == [] and DigestSent.objects.count() == 0
    call_command("send_digest", stdout=StringIO())
    assert len(outbox) == 1


def test_beat_schedule_is_monday_morning_and_editable(world):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name=services.DIGEST_TASK_NAME)
    assert task.task == tasks.WEEKLY_DIGEST_TASK and task.enabled
    assert (task.crontab.day_of_week, task.crontab.hour, task.crontab.minute) == ("1", "7", "0")
