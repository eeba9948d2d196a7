from __future__ import annotations

import zoneinfo
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from apps.core.models import TimeStampedModel
from apps.core.roles import PERSON_ROLES, Role

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz or tz == "UTC")


class Team(TimeStampedModel):
    class Kind(models.TextChoices):
        ENGINEERING = "engineering", "Engineering"
        PRODUCT = "product", "Product"
        DATA = "data", "Data"
        AI = "ai", "AI"
        PLATFORM = "platform", "Platform"
        SECURITY = "security", "Security"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ENGINEERING)
    lead = models.ForeignKey("Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:team-detail", args=[self.slug])


class Person(TimeStampedModel):
    class Location(models.TextChoices):
        LOCAL = "local", "Local (office)"
        REMOTE = "remote", "Remote"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    full_name = models.CharField(max_length=150)
    email = models.EmailField()
    title = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=PERSON_ROLES, default=Role.ENGINEER, db_index=True)
    level = models.CharField(max_length=32, blank=True, help_text="Career level, e.g. L3, Senior, Staff.")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    location = models.CharField(max_length=8, choices=Location.choices, default=Location.LOCAL)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code, e.g. PT.")
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="Set when the person leaves.")
    is_active = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_ci_unique"),
            models.CheckConstraint(condition=~models.Q(manager=models.F("id")), name="person_not_own_manager"),
        ]
        indexes = [models.Index(fields=["manager", "is_active"])]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("org:person-detail", args=[self.pk])

    @property
    def is_remote(self) -> bool:
        return self.location == self.Location.REMOTE

    def tenure_days(self, today: date | None = None) -> int | None:
        if not self.start_date:
            return None
        end = self.end_date or today or timezone.localdate()
        return max(0, (end - self.start_date).days)

    @property
    def tenure_label(self) -> str:
        days = self.tenure_days()
        if days is None:
            return "–"
        years, rest = divmod(days, 365)
        months = rest // 30
        if years:
            return f"{years}y {months}m"
        return f"{months}m"


# Change history of the org (who changed whose manager, role or team, and when).
from auditlog.registry import auditlog  # noqa: E402

auditlog.register(Team)
auditlog.register(Person, exclude_fields=["updated_at"])
