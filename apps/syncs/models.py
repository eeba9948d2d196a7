"""Recurring syncs (Tech, EM, Product, 1:1s): series, meetings, agenda, notes, decisions and
action items. Plain tables; every rule lives in services (writes) and selectors (reads)."""
from __future__ import annotations

import secrets

from django.db import models
from django.urls import reverse
from django.utils import timezone

from apps.core.models import TimeStampedModel
from apps.org.models import TIME_ZONE_CHOICES

MAX_NOTES_CHARS = 100_000


class SyncSeries(TimeStampedModel):
    class Kind(models.TextChoices):
        TECH = "tech", "Tech Sync"
        EM = "em", "EM Sync"
        PRODUCT = "product", "Product Sync"
        ONE_ON_ONE = "one_on_one", "1:1"
        OTHER = "other", "Other"

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        BIWEEKLY = "biweekly", "Every two weeks"
        MONTHLY = "monthly", "Monthly (first weekday of the month)"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER, db_index=True)
    title = models.CharField(max_length=150)
    owner = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="owned_sync_series")
    participants = models.ManyToManyField("org.Person", related_name="sync_series", blank=True)
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.WEEKLY)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    start_time = models.TimeField(help_text="Local time in the series' time zone.")
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    starts_on = models.DateField(default=timezone.localdate, help_text="First possible meeting date (anchors 'every two weeks').")
    agenda_template = models.TextField(blank=True, help_text="One agenda item per line, added to every new meeting.")
    is_private = models.BooleanField(default=False, help_text="Only participants see it. 1:1s are always private.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "title"]
        verbose_name_plural = "sync series"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="one_on_one") | models.Q(is_private=True), name="syncseries_1on1_private"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="syncseries_weekday_range"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=480), name="syncseries_duration_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("syncs:series-detail", args=[self.pk])


class Meeting(TimeStampedModel):
    """One occurrence of a series. ``version`` counts saves of ``notes``: a save names the
    version it started from and is refused when someone else saved in between."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    # PROTECT (here and on the series' agenda, decisions and action items): a series is ended
    # (is_active), never deleted, so its notes and decision register outlive it.
    series = models.ForeignKey(SyncSeries, on_delete=models.PROTECT, related_name="meetings")
    scheduled_at = models.DateTimeField(db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED, db_index=True)
    is_adhoc = models.BooleanField(default=False)
    title = models.CharField(max_length=150, blank=True, help_text="Optional, e.g. for an ad-hoc meeting.")
    attendees = models.ManyToManyField("org.Person", related_name="attended_sync_meetings", blank=True)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    notes_updated_at = models.DateTimeField(null=True, blank=True)
    notes_updated_by = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    carried_forward_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            # The idempotency key of meeting generation: one meeting per series and start.
            models.UniqueConstraint(fields=["series", "scheduled_at"], name="meeting_series_start_unique"),
        ]
        indexes = [models.Index(fields=["series", "scheduled_at"])]

    def __str__(self) -> str:
        return f"{self.title or self.series.title} — {timezone.localtime(self.scheduled_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("syncs:meeting-detail", args=[self.pk])

    @property
    def ends_at(self):
        return self.scheduled_at + timezone.timedelta(minutes=self.duration_minutes)


class AgendaItem(TimeStampedModel):
    """An agenda item of a meeting, or of the series backlog when ``meeting`` is empty.
    Carrying forward copies an unfinished item to the next meeting (``carried_from``) and
    marks the original ``carried``, so each meeting keeps the agenda it really had."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Discussed"
        CARRIED = "carried", "Carried forward"
        DROPPED = "dropped", "Dropped"

    series = models.ForeignKey(SyncSeries, on_delete=models.PROTECT, related_name="agenda_items")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="agenda_items")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    presenter = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    carried_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_to")
    added_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "carried_from"], name="agenda_carry_once_per_meeting"),
            models.CheckConstraint(condition=models.Q(minutes__isnull=True) | models.Q(minutes__lte=480),
                                   name="agenda_minutes_range"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_backlog(self) -> bool:
        return self.meeting_id is None


class Decision(TimeStampedModel):
    series = models.ForeignKey(SyncSeries, on_delete=models.PROTECT, related_name="decisions")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions")
    text = models.CharField(max_length=500)
    rationale = models.TextField(blank=True)
    owner = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="sync_decisions")
    decided_on = models.DateField(default=timezone.localdate, db_index=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )
    created_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(supersedes=models.F("id")), name="decision_not_self_superseding"),
        ]

    def __str__(self) -> str:
        return self.text

    def get_absolute_url(self) -> str:
        return reverse("syncs:decision-log") + f"?series={self.series_id}#decision-{self.pk}"


class ActionItem(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    series = models.ForeignKey(SyncSeries, on_delete=models.PROTECT, related_name="action_items")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items",
                                help_text="The meeting it came from.")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="sync_action_items")
    due_date = models.DateField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["owner", "status"]), models.Index(fields=["series", "status"])]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status == self.Status.OPEN and self.due_date is not None and self.due_date < today


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A person's secret iCal feed URL. Rotating replaces the token: the old URL stops."""

    person = models.OneToOneField("org.Person", on_delete=models.CASCADE, related_name="sync_calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    rotated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.person}"
