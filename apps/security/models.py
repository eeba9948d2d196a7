"""Security awareness: AMA sessions and questions, bulletins, trainings, ISO 27001 Annex A
controls and the evidence that proves them.

Anonymity: an anonymous :class:`AmaQuestion` stores no link to its asker (``asker`` is NULL,
enforced by a check constraint), and none of these models is registered with django-auditlog,
whose middleware would otherwise record the acting user next to the new row.
"""
from __future__ import annotations

from django.db import models
from django.urls import reverse

from apps.core.models import TimeStampedModel


class Audience(models.Model):
    """Who a bulletin or training is for: teams and/or roles; both empty means everyone."""

    audience_teams = models.ManyToManyField("org.Team", blank=True, related_name="+")
    audience_roles = models.JSONField(default=list, blank=True, help_text="Role codes, e.g. [\"engineer\", \"tl\"].")

    class Meta:
        abstract = True


# -- AMA ------------------------------------------------------------------------------------
class AmaSession(TimeStampedModel):
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField(db_index=True)
    host = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    description = models.TextField(blank=True)
    recording_url = models.URLField(blank=True)
    is_open = models.BooleanField(default=True, help_text="Accepting questions.")

    class Meta:
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("security:ama-detail", args=[self.pk])


class AmaAttendance(models.Model):
    session = models.ForeignKey(AmaSession, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "person__full_name"]
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="ama_attendance_unique")]

    def __str__(self) -> str:
        return f"{self.person} attended {self.session}"


class AmaQuestion(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending moderation"
        PUBLISHED = "published", "Published"
        HIDDEN = "hidden", "Hidden"

    session = models.ForeignKey(AmaSession, on_delete=models.CASCADE, related_name="questions")
    body = models.TextField()
    is_anonymous = models.BooleanField(default=False)
    # NULL for anonymous questions, always: nothing else records who asked.
    asker = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    answer = models.TextField(blank=True, help_text="Markdown.")
    answered_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    in_faq = models.BooleanField(default=False, db_index=True)
    faq_title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_anonymous=False) | models.Q(asker__isnull=True), name="ama_question_anonymous_no_asker"
            ),
            models.CheckConstraint(
                condition=models.Q(in_faq=False) | (models.Q(status="published") & ~models.Q(answer="")),
                name="ama_question_faq_needs_published_answer",
            ),
        ]

    def __str__(self) -> str:
        return self.body[:60]


class AmaVote(models.Model):
    question = models.ForeignKey(AmaQuestion, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "person"], name="ama_vote_one_per_person")]

    def __str__(self) -> str:
        return f"vote #{self.pk} on question #{self.question_id}"


# -- Bulletins ---------------------------------------------------------------------------------
class Severity(models.TextChoices):
    INFO = "info", "Info"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Bulletin(TimeStampedModel, Audience):
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MEDIUM, db_index=True)
    requires_ack = models.BooleanField(default=True)
    due_date = models.DateField(null=True, blank=True)
    author = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requires_ack=False) | models.Q(due_date__isnull=False), name="bulletin_ack_needs_due_date"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("security:bulletin-detail", args=[self.pk])


class BulletinAcknowledgement(models.Model):
    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="acknowledgements")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["acknowledged_at"]
        constraints = [models.UniqueConstraint(fields=["bulletin", "person"], name="bulletin_ack_unique")]

    def __str__(self) -> str:
        return f"{self.person} acknowledged {self.bulletin}"


# -- Trainings -------------------------------------------------------------------------------
class Training(TimeStampedModel, Audience):
    class Kind(models.TextChoices):
        AWARENESS = "awareness", "Security awareness"
        SECURE_CODING = "secure_coding", "Secure coding"
        PHISHING_DRILL = "phishing_drill", "Phishing drill"

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    description = models.TextField(blank=True)
    recurrence_months = models.PositiveSmallIntegerField(
        default=12, help_text="Repeat every N months after each completion (12 = yearly); 0 = once."
    )
    first_due_on = models.DateField(help_text="By when people who never completed it must do so.")
    pass_score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0-100; empty = attendance suffices.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(pass_score__isnull=True) | models.Q(pass_score__lte=100),
                                   name="training_pass_score_lte_100"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("security:training-detail", args=[self.pk])


class TrainingSession(TimeStampedModel):
    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(db_index=True)
    trainer = models.CharField(max_length=150, blank=True)
    location = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.training} on {self.held_on}"


class TrainingAttendance(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(default=True, help_text="Derived from the score and the training's pass score.")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "person__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="training_attendance_unique"),
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__lte=100),
                                   name="training_attendance_score_lte_100"),
        ]

    def __str__(self) -> str:
        return f"{self.person} at {self.session}"


class TrainingStatus(models.Model):
    """Who is due or overdue for a training; recomputed nightly (``training_status_refresh``)."""

    class State(models.TextChoices):
        COMPLETE = "complete", "Complete"
        DUE = "due", "Due soon"
        OVERDUE = "overdue", "Overdue"

    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="statuses")
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    last_completed_on = models.DateField(null=True, blank=True)
    due_on = models.DateField()
    state = models.CharField(max_length=16, choices=State.choices, db_index=True)
    computed_on = models.DateField()

    class Meta:
        ordering = ["due_on"]
        constraints = [models.UniqueConstraint(fields=["training", "person"], name="training_status_unique")]

    def __str__(self) -> str:
        return f"{self.person}: {self.training} {self.state} (due {self.due_on})"


# -- Reminders (idempotency ledger) ------------------------------------------------------------
class Reminder(models.Model):
    """One reminder to one person about one thing in one period. The unique constraint makes
    the beat tasks idempotent: a second run in the same period sends nothing."""

    class Kind(models.TextChoices):
        BULLETIN = "bulletin", "Bulletin acknowledgement"
        TRAINING = "training", "Training due"
        EVIDENCE = "evidence", "Evidence expiring"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=16, help_text="e.g. 2026-W48 or the due date.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "person", "period"], name="reminder_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder to {self.person} ({self.period})"


# -- ISO 27001 ---------------------------------------------------------------------------------
class Control(TimeStampedModel):
    class Theme(models.TextChoices):
        ORGANISATIONAL = "organisational", "Organisational (5)"
        PEOPLE = "people", "People (6)"
        PHYSICAL = "physical", "Physical (7)"
        TECHNOLOGICAL = "technological", "Technological (8)"

    code = models.CharField(max_length=8, unique=True)
    title = models.CharField(max_length=200)
    theme = models.CharField(max_length=16, choices=Theme.choices)
    sort_key = models.PositiveIntegerField(default=0, help_text="Numeric order: 5.2 before 5.10.")
    owner = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True)
    is_applicable = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_key"]

    def __str__(self) -> str:
        return f"A.{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("security:control-detail", args=[self.code])


class EvidenceItem(TimeStampedModel):
    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        AMA_SESSION = "ama_session", "AMA session (attendance)"
        BULLETIN = "bulletin", "Bulletin (acknowledgements)"
        TRAINING_SESSION = "training_session", "Training session (attendance)"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    controls = models.ManyToManyField(Control, related_name="evidence")
    owner = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    url = models.URLField(blank=True)
    collected_on = models.DateField(db_index=True)
    expires_on = models.DateField(null=True, blank=True, db_index=True)
    source = models.CharField(max_length=24, choices=Source.choices, default=Source.MANUAL)
    ama_session = models.OneToOneField(AmaSession, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    bulletin = models.OneToOneField(Bulletin, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    training_session = models.OneToOneField(
        TrainingSession, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )

    class Meta:
        ordering = ["-collected_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=models.F("collected_on")),
                name="evidence_expires_after_collected",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("security:evidence-detail", args=[self.pk])
