from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from apps.core.currencies import validate_currency
from apps.core.models import TimeStampedModel

account_id_validator = RegexValidator(r"^\d{12}$", "An AWS account id is 12 digits.")


class AwsAccount(TimeStampedModel):
    """An AWS account the portal reads costs and inventory from (shared by costs and infra)."""

    account_id = models.CharField(max_length=12, unique=True, validators=[account_id_validator])
    name = models.CharField(max_length=100)
    role_arn = models.CharField(max_length=2048, blank=True, help_text="Role to assume through STS; empty: use the default credentials.")
    external_id = models.CharField(max_length=1224, blank=True)
    is_payer = models.BooleanField(default=False, help_text="The management (payer) account: Cost Explorer is read here.")
    default_team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="aws_accounts")
    regions = models.JSONField(default=list, blank=True, help_text="Regions to inventory; empty: the portal's default list.")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"


# -- Money ------------------------------------------------------------------------------------
def money_field(**kwargs) -> models.DecimalField:
    """Cost amounts: exact decimals, 12 places (cloud exports carry sub-cent unit prices)."""
    return models.DecimalField(max_digits=24, decimal_places=12, **kwargs)


def price_field(**kwargs) -> models.DecimalField:
    """Human-entered amounts (budgets, subscriptions, savings): cents."""
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


# What people enter is an ISO 4217 currency in use; imported billing rows are not validated here.
currency_validator = validate_currency


def currency_field(**kwargs) -> models.CharField:
    return models.CharField(max_length=3, validators=[currency_validator], **kwargs)


class CostSource(models.TextChoices):
    FOCUS = "focus", "FOCUS export"
    CUR = "cur", "AWS CUR export"
    CE = "ce", "AWS Cost Explorer"
    DEMO = "demo", "Demo"


class CostEntry(models.Model):
    """One daily cost fact: day x provider x billing account x sub-account x service x region
    x team, within a billing period (a credit or a late charge can be dated in the month before
    the bill it belongs to). Imports and syncs replace whole scopes (a billing period, a date
    window of an account) inside one transaction, so re-running them gives the same rows; the
    unique constraint is the natural key (team NULL = unallocated, compared as 0)."""

    date = models.DateField()
    billing_period = models.DateField(help_text="First day of the billing month this cost belongs to.")
    provider = models.CharField(max_length=64)
    billing_account_id = models.CharField(max_length=200)
    sub_account_id = models.CharField(max_length=200, blank=True)
    sub_account_name = models.CharField(max_length=200, blank=True)
    # The FKs' own indexes are left out: (account, date) and (team, date) below serve them, and
    # every index slows the import (which writes hundreds of thousands of facts at once).
    account = models.ForeignKey(AwsAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="cost_entries",
                                db_index=False)
    service = models.CharField(max_length=200)
    service_category = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=64, blank=True)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="cost_entries",
                             db_index=False)
    cost = money_field(help_text="Billed / unblended cost.")
    amortized_cost = money_field(help_text="Effective / amortized cost.")
    currency = currency_field()
    source = models.CharField(max_length=8, choices=CostSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "provider", "service"]
        verbose_name_plural = "cost entries"
        constraints = [
            models.UniqueConstraint(
                "date", "billing_period", "provider", "billing_account_id", "sub_account_id", "service", "region",
                Coalesce("team", Value(0)), "currency",
                name="costentry_natural_key",
            ),
        ]
        # Date ranges use the natural key (date first); an EM's teams use (team, date).
        indexes = [
            models.Index(fields=["team", "date"]),
            models.Index(fields=["billing_period", "provider", "billing_account_id"]),
            models.Index(fields=["account", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.provider} {self.service} {self.cost} {self.currency}"


class CostTagEntry(models.Model):
    """The cost tag dimension: one daily total per day x provider x billing account x sub-account
    x tag key x tag value x currency, for the tag keys in ``settings.COST_TAG_KEYS`` (and the keys
    of the tag rules). Keys are lower-cased without AWS's ``user:`` prefix, values lower-cased
    and trimmed. A row carrying two tracked tags counts in both; untagged rows count in none.
    Replaced together with the daily facts (billing period of an import, CE window of an account)."""

    date = models.DateField()
    billing_period = models.DateField()
    provider = models.CharField(max_length=64)
    billing_account_id = models.CharField(max_length=200)
    sub_account_id = models.CharField(max_length=200, blank=True)
    tag_key = models.CharField(max_length=128)
    tag_value = models.CharField(max_length=256)
    cost = money_field(help_text="Billed / unblended cost.")
    amortized_cost = money_field(help_text="Effective / amortized cost.")
    currency = currency_field()
    source = models.CharField(max_length=8, choices=CostSource.choices)

    class Meta:
        ordering = ["-date", "tag_key", "tag_value"]
        verbose_name_plural = "cost tag entries"
        constraints = [
            models.UniqueConstraint(
                fields=["date", "billing_period", "provider", "billing_account_id", "sub_account_id", "tag_key",
                        "tag_value", "currency"],
                name="costtagentry_natural_key",
            ),
        ]
        indexes = [
            models.Index(fields=["tag_key", "tag_value", "date"]),
            models.Index(fields=["billing_period", "provider", "billing_account_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.tag_key}={self.tag_value} {self.cost} {self.currency}"


class CostMonthEntry(models.Model):
    """Monthly roll-up of ``CostEntry`` (month of the fact's date), kept in step by the file
    import and the Cost Explorer sync in the same transaction as the facts, so monthly views
    over long ranges read ~30x fewer rows. Derived data: ``services.cost_rollup_refresh`` rebuilds it."""

    month = models.DateField(help_text="First day of the month of the facts' dates.")
    provider = models.CharField(max_length=64)
    billing_account_id = models.CharField(max_length=200)
    sub_account_id = models.CharField(max_length=200, blank=True)
    sub_account_name = models.CharField(max_length=200, blank=True)
    account = models.ForeignKey(AwsAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    service = models.CharField(max_length=200)
    region = models.CharField(max_length=64, blank=True)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cost = money_field()
    amortized_cost = money_field()
    currency = currency_field()

    class Meta:
        ordering = ["-month", "provider", "service"]
        verbose_name_plural = "cost month entries"
        indexes = [
            models.Index(fields=["month", "team"]),
            models.Index(fields=["provider", "billing_account_id", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.provider} {self.service} {self.cost} {self.currency}"


class TopResource(models.Model):
    """The most expensive resources of a billing month (top ``TOP_N`` per provider and billing
    account), kept by the file import; replaced with the month like the daily facts."""

    TOP_N = 100

    month = models.DateField(help_text="The billing period (first day of the month).")
    provider = models.CharField(max_length=64)
    billing_account_id = models.CharField(max_length=200)
    sub_account_id = models.CharField(max_length=200, blank=True)
    resource_id = models.CharField(max_length=512)
    resource_name = models.CharField(max_length=255, blank=True)
    service = models.CharField(max_length=200)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cost = money_field()
    currency = currency_field()

    class Meta:
        ordering = ["-month", "-cost"]
        constraints = [
            models.UniqueConstraint(fields=["month", "provider", "billing_account_id", "resource_id", "currency"],
                                    name="topresource_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.resource_id} {self.cost} {self.currency}"


class FxRate(models.Model):
    """Manually kept exchange rates: 1 ``currency`` = ``rate`` units of the reporting currency,
    from ``valid_from`` on (the latest rate on or before a day applies)."""

    currency = currency_field()
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=18, decimal_places=8)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="fxrate_unique"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} from {self.valid_from}"


class TagRule(models.Model):
    """A cost-allocation rule: rows tagged ``tag_key=tag_value`` belong to ``team``. Checked
    before the shared owner-tag rule and the account's default team."""

    tag_key = models.CharField(max_length=128)
    tag_value = models.CharField(max_length=256)
    # PROTECT: teams are deactivated, not deleted; a rule must not vanish with its team.
    team = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="cost_tag_rules")

    class Meta:
        ordering = ["tag_key", "tag_value"]
        constraints = [models.UniqueConstraint(fields=["tag_key", "tag_value"], name="tagrule_unique")]

    def __str__(self) -> str:
        return f"{self.tag_key}={self.tag_value} → {self.team}"


class CostUpload(models.Model):
    """A file uploaded on the import page, held (gzipped) until the Celery worker imports it.
    Kept in the database so any worker can read it; the import deletes its content."""

    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    format = models.CharField(max_length=8, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


class Budget(TimeStampedModel):
    class Scope(models.TextChoices):
        TOTAL = "total", "Total"
        TEAM = "team", "Team"
        ACCOUNT = "account", "Account"
        SERVICE = "service", "Service"

    class Period(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    name = models.CharField(max_length=150)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.TOTAL)
    # PROTECT: deleting a team or an account must not take its budgets and their alert history
    # with it (teams are deactivated; a budget is made inactive).
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="budgets")
    account = models.ForeignKey(AwsAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="budgets")
    service = models.CharField(max_length=200, blank=True)
    period = models.CharField(max_length=10, choices=Period.choices, default=Period.MONTHLY)
    amount = price_field()
    currency = currency_field()
    thresholds = models.JSONField(default=list, blank=True, help_text="Percentages that alert, e.g. [80, 100].")
    alert_on_forecast = models.BooleanField(default=True, help_text="Alert when the period-end forecast exceeds the budget.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=(
                    models.Q(scope="total", team__isnull=True, account__isnull=True, service="")
                    | models.Q(scope="team", team__isnull=False, account__isnull=True, service="")
                    | models.Q(scope="account", team__isnull=True, account__isnull=False, service="")
                    | (models.Q(scope="service", team__isnull=True, account__isnull=True) & ~models.Q(service=""))
                ),
                name="budget_scope_matches_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("costs:budget-detail", args=[self.pk])


class CostForecast(models.Model):
    """Cost Explorer's forecast (GetCostForecast) of a budget's scope for the rest of its
    period, from ``as_of`` to the period's end; refreshed by the daily job. The budget's
    period-end forecast is the spend before ``as_of`` plus this, while it is fresh."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="forecasts")
    period_start = models.DateField()
    as_of = models.DateField(help_text="First day the forecast covers (the day it was read).")
    amount = money_field(help_text="Forecast cost from as_of to the end of the period.")
    currency = currency_field()
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start"]
        constraints = [models.UniqueConstraint(fields=["budget", "period_start"], name="costforecast_unique")]

    def __str__(self) -> str:
        return f"{self.budget}: {self.amount} {self.currency} from {self.as_of}"


class BudgetAlert(models.Model):
    """Sent once per budget, period and threshold (the unique constraint is the guard)."""

    FORECAST = 0  # threshold value used for "forecast over budget"

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    period_start = models.DateField()
    threshold = models.PositiveSmallIntegerField(help_text="Percent of the budget; 0 means the forecast is over.")
    spent = price_field()
    forecast = price_field()
    currency = currency_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "period_start", "threshold"], name="budgetalert_once"),
        ]

    def __str__(self) -> str:
        return f"{self.budget}: {self.label}"

    @property
    def label(self) -> str:
        return "forecast over budget" if self.threshold == self.FORECAST else f"{self.threshold}% reached"


class CostAnomaly(TimeStampedModel):
    class Dimension(models.TextChoices):
        SERVICE = "service", "Service"
        TEAM = "team", "Team"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        EXPECTED = "expected", "Expected"
        RESOLVED = "resolved", "Resolved"

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED)

    date = models.DateField()
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    key = models.CharField(max_length=200, help_text="The service name, or the team slug.")
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="cost_anomalies")
    owner = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="cost_anomalies")
    expected = price_field()
    actual = price_field()
    impact = price_field()
    currency = currency_field()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    note = models.TextField(blank=True)
    triaged_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    triaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-impact"]
        verbose_name_plural = "cost anomalies"
        constraints = [
            models.UniqueConstraint(fields=["date", "dimension", "key", "currency"], name="costanomaly_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_dimension_display()} {self.key}: +{self.impact} {self.currency}"

    def get_absolute_url(self) -> str:
        return reverse("costs:anomaly-detail", args=[self.pk])


class ToolSubscription(TimeStampedModel):
    class BillingPeriod(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annual"

    MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}

    vendor = models.CharField(max_length=150)
    product = models.CharField(max_length=150)
    category = models.CharField(max_length=64, blank=True)
    owner_team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tool_subscriptions")
    owner = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="tool_subscriptions")
    amount = price_field(help_text="Price per billing period.")
    currency = currency_field()
    billing_period = models.CharField(max_length=10, choices=BillingPeriod.choices, default=BillingPeriod.MONTHLY)
    seats_purchased = models.PositiveIntegerField(null=True, blank=True)
    seats_used = models.PositiveIntegerField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    notice_days = models.PositiveIntegerField(default=30)
    reminder_sent_for = models.DateField(null=True, blank=True, help_text="The renewal date a reminder was last sent for.")
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["vendor", "product"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="toolsub_amount_nonneg"),
            models.UniqueConstraint(fields=["vendor", "product"], name="toolsub_vendor_product_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.product}"

    def get_absolute_url(self) -> str:
        return reverse("costs:subscription-edit", args=[self.pk])

    @property
    def monthly_cost(self) -> Decimal:
        return (self.amount / self.MONTHS[self.billing_period]).quantize(Decimal("0.01"))

    @property
    def cost_per_seat(self) -> Decimal | None:
        if not self.seats_purchased:
            return None
        return (self.monthly_cost / self.seats_purchased).quantize(Decimal("0.01"))

    @property
    def notice_deadline(self) -> date | None:
        if not self.renewal_date:
            return None
        return self.renewal_date - timedelta(days=self.notice_days)


class SavingsOpportunity(TimeStampedModel):
    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        RIGHTSIZING = "rightsizing", "Cost Explorer rightsizing"
        IDLE = "idle", "Idle resource"

    class EstimateSource(models.TextChoices):
        PENDING = "pending", "To be estimated"
        COMPUTED = "computed", "Computed by a sync"
        ENTERED = "entered", "Entered by a person"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DISMISSED = "dismissed", "Dismissed"

    title = models.CharField(max_length=200)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)
    external_id = models.CharField(max_length=255, blank=True, help_text="Recommendation or resource id (idempotency key).")
    account = models.ForeignKey(AwsAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="savings")
    service = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="savings")
    estimated_monthly = price_field()
    estimate_source = models.CharField(
        max_length=8, choices=EstimateSource.choices, default=EstimateSource.ENTERED,
        help_text="Where the estimate comes from: a sync refreshes only an estimate it computed itself "
                  "(or one still to be estimated), never one a person entered.")
    realised_monthly = price_field(null=True, blank=True)
    currency = currency_field()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-estimated_monthly", "title"]
        verbose_name_plural = "savings opportunities"
        constraints = [
            models.CheckConstraint(condition=models.Q(estimated_monthly__gte=0), name="saving_estimate_nonneg"),
            models.UniqueConstraint(fields=["source", "external_id"], condition=~models.Q(external_id=""),
                                    name="saving_source_external_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("costs:opportunity-edit", args=[self.pk])
