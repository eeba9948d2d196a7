"""Reminders (Celery task + beat schedule) and the payroll CSV export."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from django.core import mail
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from apps.core.models import AccessLog
from apps.reviews import services
from apps.reviews.models import ReminderLog
from apps.reviews.tasks import send_reminders_task
from tests.reviews.scenario import build, cto_actor, finish_manager_reviews, make_cycle


def test_the_daily_reminder_is_scheduled_in_beat(db):
    task = PeriodicTask.objects.get(name="reviews: daily review reminders")
    assert (task.task, task.enabled, task.crontab.hour, task.crontab.minute) == (
        "reviews.send_reminders_task", True, "7", "0")


def test_reminders_go_to_who_owes_work_once_a_day(world):
    sc = build(world, stage="self_review")  # self review due in 2 days; engineer and engineer2 submitted
    assert send_reminders_task.apply().get() == 7
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"{k}@example.com" for k in ("em", "tl", "em2", "tl2", "pm", "finance", "hr"))
    assert "your self assessment is due" in mail.outbox[0].subject
    for m in mail.outbox:  # no rating, text or pay in a reminder
        assert "CONFIDENTIAL" not in m.body and "61234" not in m.body
    # A second run the same day (a re-delivered task) sends nothing.
    assert send_reminders_task.apply().get() == 0
    assert len(mail.outbox) == 7 and ReminderLog.objects.count() == 7
    # The next day it reminds again.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert send_reminders_task.apply(args=[tomorrow]).get() == 7
    assert sc.cycle.stage == "self_review"


def test_manager_reminders_go_to_the_reviewer(world):
    sc = build(world)  # manager review due in 10 days: not yet
    assert send_reminders_task.apply().get() == 0
    in_9_days = (date.today() + timedelta(days=9)).isoformat()
    assert send_reminders_task.apply(args=[in_9_days]).get() == 7  # one per review still owed
    assert sorted(m.to[0] for m in mail.outbox) == ["cto@example.com"] * 5 + ["em2@example.com", "em@example.com"]
    assert "manager review of" in mail.outbox[0].subject
    assert sc.review.manager_submitted_at is not None


def _closed(world):
    sc = build(world)
    cto = cto_actor(world)
    finish_manager_reviews(world, sc.cycle)
    services.raise_decide(actor=cto, proposal=sc.proposal, approve=True)
    services.raise_decide(actor=cto, proposal=sc.proposal2, approve=False)
    cycle = sc.cycle
    for _ in range(3):
        cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    return sc, cycle


def test_payroll_export_of_a_closed_cycle(world):
    sc, cycle = _closed(world)
    AccessLog.objects.all().delete()
    response = world.client("hr").get(reverse("reviews:cycle-export", args=[cycle.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    assert len(rows) == 9
    eng = rows["engineer@example.com"]
    assert (eng["salary_before"], eng["salary_after"], eng["raise_percent"], eng["raise_reason"], eng["currency"],
            eng["final_rating"], eng["effective_date"]) == (
        "61234.56", "63500.00", "3.70", "merit", "EUR", "4", cycle.effective_date.isoformat())
    eng2 = rows["engineer2@example.com"]
    assert (eng2["salary_before"], eng2["salary_after"], eng2["raise_percent"]) == ("73456.78", "73456.78", "")
    assert AccessLog.objects.filter(object_type="reviews.export").count() == 9


def test_export_is_for_hr_and_cto_only_and_closed_cycles_only(world):
    sc, cycle = _closed(world)
    for role in ("em", "tl", "engineer", "pm", "finance"):
        assert world.client(role).get(reverse("reviews:cycle-export", args=[cycle.pk])).status_code == 403
    other = make_cycle(cto_actor(world), sc.template, name="Running")
    other = services.review_cycle_advance(actor=cto_actor(world), cycle=other)
    response = world.client("cto").get(reverse("reviews:cycle-export", args=[other.pk]))
    assert (response.status_code, response.content.decode()) == (409, "Only a closed cycle can be exported for payroll.")
