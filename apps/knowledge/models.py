"""Knowledge sharing: Tech Monthly and other sessions, talks, rolling proposals, attendance,
feedback and the personal calendar feed."""
from __future__ import annotations

import secrets
import zoneinfo
from datetime import timedelta

from django.db import models
from django.urls import reverse
from django.utils import timezone

from apps.core.models import TimeStampedModel


class Track(models.TextChoices):
    FRONTEND = "frontend", "Front-end"
    BACKEND = "backend", "Back-end"
    DATA = "data", "Data"
    AI = "ai", "AI"
    PLATFORM = "platform", "Platform"
    SECURITY = "security", "Security"
    OTHER = "other", "Other"


TIME_ZONES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz or tz == "UTC")
MAX_TALK_MINUTES = 240


class SessionSeries(TimeStampedModel):
    """A recurring session (Tech Monthly). Its sessions are generated ahead from the cadence;
    the natural key of a generated session is (series, occurrence_date)."""

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Every week"
        BIWEEKLY = "biweekly", "Every two weeks"
        MONTHLY = "monthly", "Every month"

    class WeekOfMonth(models.IntegerChoices):
        FIRST = 1, "First"
        SECOND = 2, "Second"
        THIRD = 3, "Third"
        FOURTH = 4, "Fourth"
        LAST = -1, "Last"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.THURSDAY)
    week_of_month = models.SmallIntegerField(
        choices=WeekOfMonth.choices, default=WeekOfMonth.LAST, help_text="Monthly cadence only."
    )
    start_time = models.TimeField(default="16:00")
    time_zone = models.CharField(max_length=64, choices=TIME_ZONES, default="Europe/Lisbon")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    starts_on = models.DateField(help_text="No session is generated before this date.")
    ends_on = models.DateField(null=True, blank=True)
    generate_ahead = models.PositiveSmallIntegerField(default=3, help_text="How many future sessions to keep.")
    location = models.CharField(max_length=200, blank=True)
    call_url = models.URLField(blank=True)
    host = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "session series"
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="knowledge_series_weekday_valid"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=600),
                name="knowledge_series_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(generate_ahead__gte=1, generate_ahead__lte=24),
                name="knowledge_series_ahead_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("knowledge:series-detail", args=[self.pk])


class Session(TimeStampedModel):
    """One meeting: a Tech Monthly occurrence or a one-off session."""

    series = models.ForeignKey(SessionSeries, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="sessions")
    occurrence_date = models.DateField(null=True, blank=True, help_text="The series date this session stands for.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField(db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(max_length=200, blank=True)
    call_url = models.URLField(blank=True)
    host = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="hosted_knowledge_sessions")
    recording_url = models.URLField(blank=True)
    is_cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["series", "occurrence_date"], name="knowledge_session_series_date_unique"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=600),
                name="knowledge_session_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:session-detail", args=[self.pk])

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_past(self) -> bool:
        return self.starts_at < timezone.now()


class Proposal(TimeStampedModel):
    """A talk someone would like to give. The call for proposals never closes."""

    class Status(models.TextChoices):
        BACKLOG = "backlog", "Backlog"
        SCHEDULED = "scheduled", "Scheduled"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    title = models.CharField(max_length=200)
    abstract = models.TextField(blank=True, help_text="Markdown.")
    track = models.CharField(max_length=16, choices=Track.choices, default=Track.OTHER)
    duration_minutes = models.PositiveSmallIntegerField(default=20)
    proposer = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="knowledge_proposals")
    co_speakers = models.ManyToManyField("org.Person", blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BACKLOG, db_index=True)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    repeat_of = models.ForeignKey("Talk", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="repeat_proposals", help_text="Set when a speaker offers a talk again.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=MAX_TALK_MINUTES),
                name="knowledge_proposal_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:proposal-detail", args=[self.pk])


class ProposalVote(models.Model):
    """One upvote per person and proposal (the constraint is the guard; the service is idempotent)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "person"], name="knowledge_vote_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} +1 {self.proposal_id}"


class Talk(TimeStampedModel):
    """A talk on a session's agenda. Giving it again creates a new Talk pointing at the first."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="talks")
    title = models.CharField(max_length=200)
    abstract = models.TextField(blank=True, help_text="Markdown.")
    track = models.CharField(max_length=16, choices=Track.choices, default=Track.OTHER, db_index=True)
    speakers = models.ManyToManyField("org.Person", related_name="knowledge_talks")
    duration_minutes = models.PositiveSmallIntegerField(default=20)
    position = models.PositiveSmallIntegerField(default=0)
    slides_url = models.URLField(blank=True)
    recording_url = models.URLField(blank=True)
    proposal = models.OneToOneField(Proposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="talk")
    given_again_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="repeats")
    feedback_shared = models.BooleanField(default=False, help_text="Speakers chose to show feedback to everyone.")

    class Meta:
        ordering = ["session__starts_at", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=MAX_TALK_MINUTES),
                name="knowledge_talk_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:talk-detail", args=[self.pk])


class Attendance(models.Model):
    class Source(models.TextChoices):
        SELF = "self", "Self check-in"
        IMPORT = "import", "Imported"

    # Attendance is history (who came to which session): neither side can be deleted under it.
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendances")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="knowledge_attendances")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.SELF)
    checked_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-checked_in_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="knowledge_attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} at {self.session_id}"


class Feedback(TimeStampedModel):
    """A 1–5 rating and a comment on a talk: one per person and talk. The comment is shown to
    the speakers, the session host and the CTO (everyone, once the speakers share it)."""

    talk = models.ForeignKey(Talk, on_delete=models.PROTECT, related_name="feedback")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "feedback"
        constraints = [
            models.UniqueConstraint(fields=["talk", "person"], name="knowledge_feedback_once"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5),
                                   name="knowledge_feedback_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 on {self.talk_id}"


class CalendarFeed(models.Model):
    """The secret URL of a person's iCal feed. Resetting it makes the old URL answer 404."""

    person = models.OneToOneField("org.Person", on_delete=models.CASCADE, related_name="knowledge_calendar")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar of {self.person_id}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
