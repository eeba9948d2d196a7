"""Initiatives of the AI and Data teams (and any team): internal automation, product
features, data platform work and research, with milestones, status updates, benefits and
links to the meetings, requests and costs around them."""
from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from apps.core.models import TimeStampedModel

STALE_AFTER_DAYS = 14


class Health(models.TextChoices):
    GREEN = "green", "On track"
    AMBER = "amber", "At risk"
    RED = "red", "Off track"


class Initiative(TimeStampedModel):
    class Kind(models.TextChoices):
        AUTOMATION = "automation", "Internal automation"
        FEATURE = "feature", "Product feature"
        DATA_PLATFORM = "data_platform", "Data platform"
        RESEARCH = "research", "Research"

    class Status(models.TextChoices):
        IDEA = "idea", "Idea"
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        SHIPPED = "shipped", "Shipped"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"

    team = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="initiatives")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.AUTOMATION, db_index=True)
    title = models.CharField(max_length=200)
    problem = models.TextField(blank=True, help_text="Markdown: the problem, for whom, how it hurts today.")
    goal = models.TextField(blank=True, help_text="Markdown: what done looks like.")
    owner = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="owned_initiatives")
    sponsor = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="sponsored_initiatives"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IDEA, db_index=True)
    health = models.CharField(max_length=8, choices=Health.choices, default=Health.GREEN, db_index=True)
    start_date = models.DateField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    shipped_on = models.DateField(null=True, blank=True)
    cost_tag = models.CharField(
        max_length=128, blank=True, db_index=True,
        help_text="Value of the cost-allocation tag on its cloud resources, e.g. initiative=invoice-ocr.",
    )
    # Benefits. Automation: hours saved a month and the process it replaces. Feature: the metric.
    replaces_process = models.CharField(max_length=255, blank=True)
    hours_saved_estimated = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True,
                                                help_text="Estimated hours saved per month.")
    hours_saved_measured = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True,
                                               help_text="Measured hours saved per month.")
    product_metric = models.CharField(max_length=200, blank=True, help_text="The product metric it should move.")
    metric_baseline = models.CharField(max_length=64, blank=True)
    metric_target = models.CharField(max_length=64, blank=True)
    metric_current = models.CharField(max_length=64, blank=True)
    # Denormalised from the latest status update (the service keeps it in step) so the board
    # and the stale check need no subquery.
    last_update_on = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(target_date__isnull=True) | Q(target_date__gte=F("start_date")),
                name="initiative_target_after_start",
            ),
            models.CheckConstraint(
                condition=Q(hours_saved_estimated__isnull=True) | Q(hours_saved_estimated__gte=0),
                name="initiative_hours_estimated_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(hours_saved_measured__isnull=True) | Q(hours_saved_measured__gte=0),
                name="initiative_hours_measured_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["team", "status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("initiatives:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_stale(self, today: date | None = None) -> bool:
        """Open (planned, in progress) and no status update for 14 days (counted from its
        creation when it never had one)."""
        if self.status not in (self.Status.PLANNED, self.Status.IN_PROGRESS):
            return False
        today = today or timezone.localdate()
        last = self.last_update_on or timezone.localdate(self.created_at)
        return (today - last).days >= STALE_AFTER_DAYS

    @property
    def days_since_update(self) -> int | None:
        if self.last_update_on is None:
            return None
        return (timezone.localdate() - self.last_update_on).days


OPEN_STATUSES = (Initiative.Status.PLANNED, Initiative.Status.IN_PROGRESS, Initiative.Status.PAUSED)
# Stale detection and reminders apply to work that should be moving.
ACTIVE_STATUSES = (Initiative.Status.PLANNED, Initiative.Status.IN_PROGRESS)


class Milestone(TimeStampedModel):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    done_date = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_date is not None

    def is_late(self, today: date | None = None) -> bool:
        return self.done_date is None and self.due_date < (today or timezone.localdate())


class StatusUpdate(models.Model):
    """A dated report on an initiative. The initiative's health follows its latest update
    (by date, then by creation); a back-dated update does not overwrite a newer one."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="initiative_updates")
    source = models.CharField(max_length=100, blank=True, help_text="The tool that posted it (service account).")
    date = models.DateField(default=timezone.localdate, db_index=True)
    health = models.CharField(max_length=8, choices=Health.choices)
    text = models.TextField(help_text="Markdown.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-date", "-created_at", "-pk"]
        indexes = [models.Index(fields=["initiative", "-date"])]

    def __str__(self) -> str:
        return f"{self.initiative} · {self.date} · {self.health}"

    @property
    def author_label(self) -> str:
        if self.author_id:
            return str(self.author)
        return self.source or "–"


class InitiativeLink(models.Model):
    """A link to an initiative from an object of another app (a sync decision or action item,
    an infrastructure request). Generic so this app does not import the others."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="links")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    label = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "content_type", "object_id"], name="initiative_link_unique"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.initiative} ← {self.label}"


class StaleReminder(models.Model):
    """One row per initiative and day a stale reminder was sent: the idempotency key of the
    reminder task (running it twice on a day sends one email)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="stale_reminders")
    sent_on = models.DateField()
    recipient = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "sent_on"], name="stale_reminder_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative} reminded {self.sent_on}"


from auditlog.registry import auditlog  # noqa: E402

auditlog.register(Initiative, exclude_fields=["updated_at", "last_update_on"])
auditlog.register(Milestone, exclude_fields=["updated_at"])
