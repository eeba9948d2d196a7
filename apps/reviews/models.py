"""Review cycles, reviews, calibration, compensation, pay bands and raise proposals.

Salary amounts (compensation records, raise proposals) are ``EncryptedDecimalField``s:
Fernet tokens in the database, ``Decimal`` in Python, always next to an ISO currency.
Pay bands are reference data (not one person's pay) and stay plain decimals.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from apps.core.models import TimeStampedModel
from apps.reviews.fields import EncryptedDecimalField

RATING_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class ReviewTemplate(TimeStampedModel):
    """A set of weighted criteria (Frappe HRMS appraisal template)."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    template = models.ForeignKey(ReviewTemplate, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, help_text="Relative weight, e.g. 40 for 40%.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["template", "name"], name="criterion_unique_name_per_template"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class ReviewCycle(TimeStampedModel):
    class Stage(models.TextChoices):
        DRAFT = "draft", "Draft"
        SELF_REVIEW = "self_review", "Self review"
        MANAGER_REVIEW = "manager_review", "Manager review"
        CALIBRATION = "calibration", "Calibration"
        SHARED = "shared", "Shared"
        CLOSED = "closed", "Closed"

    class Scope(models.TextChoices):
        EVERYONE = "everyone", "Everyone active"
        TEAMS = "teams", "Chosen teams"
        ROLES = "roles", "Chosen roles"

    name = models.CharField(max_length=150, unique=True)
    template = models.ForeignKey(ReviewTemplate, on_delete=models.PROTECT, related_name="cycles")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.DRAFT, db_index=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.EVERYONE)
    scope_teams = models.ManyToManyField("org.Team", blank=True, related_name="+")
    scope_roles = models.JSONField(default=list, blank=True, help_text="Role values when scope is 'roles'.")
    self_review_due = models.DateField()
    manager_review_due = models.DateField()
    calibration_due = models.DateField()
    share_date = models.DateField(help_text="When results are planned to be shared.")
    effective_date = models.DateField(help_text="When approved raises take effect.")
    budget_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True,
        help_text="Raise budget as a percentage of the participants' payroll, per currency.",
    )
    target_distribution = models.JSONField(
        default=dict, blank=True, help_text='Target share of each final rating in percent, e.g. {"1": 5, "3": 50}.'
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    STAGE_ORDER = [s.value for s in Stage]
    DEFAULT_TARGET = {"1": 5, "2": 15, "3": 50, "4": 22, "5": 8}

    class Meta:
        ordering = ["-self_review_due", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(self_review_due__lte=models.F("manager_review_due"))
                & models.Q(manager_review_due__lte=models.F("calibration_due"))
                & models.Q(calibration_due__lte=models.F("share_date")),
                name="reviewcycle_due_dates_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_percent__isnull=True) | models.Q(budget_percent__gte=0),
                name="reviewcycle_budget_percent_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reviews:cycle-detail", args=[self.pk])

    @property
    def stage_index(self) -> int:
        return self.STAGE_ORDER.index(self.stage)

    @property
    def next_stage(self) -> str | None:
        i = self.stage_index
        return self.STAGE_ORDER[i + 1] if i + 1 < len(self.STAGE_ORDER) else None

    @property
    def is_shared(self) -> bool:
        return self.stage in (self.Stage.SHARED, self.Stage.CLOSED)

    def due_for_stage(self, stage: str | None = None):
        stage = stage or self.stage
        return {
            self.Stage.SELF_REVIEW: self.self_review_due,
            self.Stage.MANAGER_REVIEW: self.manager_review_due,
            self.Stage.CALIBRATION: self.calibration_due,
            self.Stage.SHARED: self.share_date,
        }.get(stage)

    def target(self) -> dict[int, Decimal]:
        raw = self.target_distribution or self.DEFAULT_TARGET
        return {int(k): Decimal(str(v)) for k, v in raw.items()}


class CycleBudget(models.Model):
    """An absolute raise budget for one currency; overrides the percentage for that currency."""

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="budgets")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "currency"], name="cyclebudget_one_per_currency"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="cyclebudget_amount_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.currency} {self.amount}"


class Review(TimeStampedModel):
    class Potential(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="reviews")
    subject = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reviews_to_write",
                                 help_text="The subject's manager when the cycle opened.")
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="The subject's team when the cycle opened.")
    level = models.CharField(max_length=32, blank=True)
    self_assessment = models.TextField(blank=True)
    self_submitted_at = models.DateTimeField(null=True, blank=True)
    manager_assessment = models.TextField(blank=True)
    manager_submitted_at = models.DateTimeField(null=True, blank=True)
    derived_rating = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    override_rating = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING_VALIDATORS)
    override_reason = models.TextField(blank=True)
    potential = models.CharField(max_length=8, choices=Potential.choices, blank=True)
    promotion_recommended = models.BooleanField(default=False)
    promotion_note = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["cycle", "subject__full_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "subject"], name="review_one_per_subject_per_cycle"),
            models.CheckConstraint(
                condition=models.Q(override_rating__isnull=True)
                | (models.Q(override_rating__gte=1) & models.Q(override_rating__lte=5) & ~models.Q(override_reason="")),
                name="review_override_needs_reason_and_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} — {self.cycle}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:review-detail", args=[self.pk])

    @property
    def final_rating(self) -> int | None:
        if self.override_rating is not None:
            return self.override_rating
        if self.derived_rating is None:
            return None
        return int(self.derived_rating.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def is_overridden(self) -> bool:
        return self.override_rating is not None


class CriterionScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    self_score = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING_VALIDATORS)
    manager_score = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING_VALIDATORS)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="criterionscore_unique"),
            models.CheckConstraint(
                condition=(models.Q(self_score__isnull=True) | models.Q(self_score__gte=1, self_score__lte=5))
                & (models.Q(manager_score__isnull=True) | models.Q(manager_score__gte=1, manager_score__lte=5)),
                name="criterionscore_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id} of review {self.review_id}"


class CalibrationChange(models.Model):
    """A change made in calibration, with its reason. Append-only."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="calibration_changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    field = models.CharField(max_length=32)
    old_value = models.CharField(max_length=64, blank=True)
    new_value = models.CharField(max_length=64, blank=True)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~models.Q(reason=""), name="calibrationchange_reason")]

    def __str__(self) -> str:
        return f"{self.field} of review {self.review_id}: {self.old_value} -> {self.new_value}"


class ReminderLog(models.Model):
    """One reminder sent: the natural key makes the daily task idempotent."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=16)
    recipient = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "stage", "recipient", "sent_on"], name="reminder_once_a_day")
        ]

    def __str__(self) -> str:
        return f"reminder {self.stage} review {self.review_id} on {self.sent_on}"


class PayBand(TimeStampedModel):
    """A salary range for one level in one location zone, in that zone's currency."""

    level = models.CharField(max_length=32)
    zone = models.CharField(max_length=32, help_text='e.g. "local-PT", "remote-EU", "remote-AMER".')
    currency = models.CharField(max_length=3)
    minimum = models.DecimalField(max_digits=12, decimal_places=2)
    midpoint = models.DecimalField(max_digits=12, decimal_places=2)
    maximum = models.DecimalField(max_digits=12, decimal_places=2)
    location_factor = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("1.000"),
                                          help_text="Factor applied to the reference (HQ) band for this zone.")

    class Meta:
        ordering = ["zone", "level"]
        constraints = [
            models.UniqueConstraint(fields=["level", "zone"], name="payband_one_per_level_zone"),
            models.CheckConstraint(
                condition=models.Q(minimum__gt=0) & models.Q(minimum__lte=models.F("midpoint"))
                & models.Q(midpoint__lte=models.F("maximum")),
                name="payband_min_mid_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.zone} {self.currency} {self.minimum}–{self.maximum}"


class CompensationRecord(TimeStampedModel):
    """One row of a person's pay history. The amount is encrypted at rest."""

    class Location(models.TextChoices):
        LOCAL = "local", "Local (office)"
        REMOTE = "remote", "Remote"

    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="compensation_records")
    effective_date = models.DateField()
    base_salary = EncryptedDecimalField(max_digits=12, decimal_places=2, help_text="Yearly base, encrypted at rest.")
    currency = models.CharField(max_length=3)
    level = models.CharField(max_length=32)
    location = models.CharField(max_length=8, choices=Location.choices)
    country = models.CharField(max_length=2)
    zone = models.CharField(max_length=32)
    location_factor = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("1.000"))
    reason = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)
    cycle = models.ForeignKey(ReviewCycle, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["person", "-effective_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["person", "effective_date"], name="compensation_one_per_person_per_date"),
        ]

    def __str__(self) -> str:  # never the amount
        return f"Compensation of {self.person} from {self.effective_date}"


class RaiseProposal(TimeStampedModel):
    class Reason(models.TextChoices):
        MERIT = "merit", "Merit"
        PROMOTION = "promotion", "Promotion"
        MARKET = "market", "Market adjustment"
        EQUITY = "equity", "Pay equity correction"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        APPLIED = "applied", "Applied"

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="raise_proposals")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="raise_proposals")
    current_salary = EncryptedDecimalField(max_digits=12, decimal_places=2)
    proposed_salary = EncryptedDecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    current_level = models.CharField(max_length=32)
    proposed_level = models.CharField(max_length=32)
    zone = models.CharField(max_length=32)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    justification = models.TextField(blank=True)
    out_of_band = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cycle", "person__full_name", "pk"]
        constraints = [models.UniqueConstraint(fields=["cycle", "person"], name="raise_one_per_person_per_cycle")]

    def __str__(self) -> str:  # never the amount
        return f"Raise proposal for {self.person} in {self.cycle}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:raise-detail", args=[self.pk])

    @property
    def increase(self) -> Decimal:
        return self.proposed_salary - self.current_salary

    @property
    def percent(self) -> Decimal:
        if not self.current_salary:
            return Decimal("0")
        return (self.increase * 100 / self.current_salary).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def is_promotion(self) -> bool:
        return self.proposed_level != self.current_level
