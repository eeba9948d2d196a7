"""The AWS inventory (resources keyed by ARN), its findings, and the infrastructure requests
of the Data and AI teams."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from apps.core.models import TimeStampedModel

# A resource carrying this tag (value "REQ-12" or "12") is linked to request 12 by the sync.
REQUEST_TAG_KEY = "infra-request"
# Pending requests older than this many working days are flagged.
SLA_WORKING_DAYS = 5


class Resource(TimeStampedModel):
    """One AWS resource, keyed by its ARN. Never deleted: a resource the sync no longer sees is
    marked gone (``gone_at``); when it shows up again it is restored."""

    class Kind(models.TextChoices):
        EC2_INSTANCE = "ec2_instance", "EC2 instance"
        EBS_VOLUME = "ebs_volume", "EBS volume"
        RDS_INSTANCE = "rds_instance", "RDS instance"
        RDS_CLUSTER = "rds_cluster", "RDS cluster"
        S3_BUCKET = "s3_bucket", "S3 bucket"
        LAMBDA_FUNCTION = "lambda_function", "Lambda function"
        EKS_CLUSTER = "eks_cluster", "EKS cluster"
        LOAD_BALANCER = "load_balancer", "Load balancer"

    class Link(models.TextChoices):
        NONE = "", "Not linked"
        TAG = "tag", "By tag"
        MANUAL = "manual", "By hand"

    arn = models.CharField(max_length=1024, unique=True)
    resource_id = models.CharField(max_length=255, help_text="The native id: i-..., vol-..., the bucket name...")
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=255, blank=True)
    account = models.ForeignKey("costs.AwsAccount", on_delete=models.PROTECT, related_name="infra_resources")
    region = models.CharField(max_length=32, db_index=True)
    state = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.CharField(max_length=128, blank=True, help_text="Instance type, class, volume size, memory...")
    tags = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    owner_team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="infra_resources")
    request = models.ForeignKey("InfraRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="resources")
    request_link = models.CharField(max_length=8, choices=Link.choices, default=Link.NONE, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    gone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["account", "region", "kind"]),
            models.Index(fields=["owner_team", "kind"]),
            models.Index(fields=["gone_at"]),
            models.Index(fields=["name", "id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(last_seen__gte=models.F("first_seen")),
                                   name="infra_resource_seen_order"),
        ]

    def __str__(self) -> str:
        return self.name or self.resource_id

    def get_absolute_url(self) -> str:
        return reverse("infra:resource-detail", args=[self.pk])

    @property
    def is_gone(self) -> bool:
        return self.gone_at is not None


class Finding(models.Model):
    """Something worth a look on a resource: no owner tag, or idle. One row per (resource, kind);
    ``resolved_at`` is set when a sync no longer sees the problem and cleared if it returns."""

    class Kind(models.TextChoices):
        UNTAGGED = "untagged", "No owner tag"
        STOPPED_WITH_VOLUMES = "stopped_with_volumes", "Stopped instance holding volumes"
        UNATTACHED_VOLUME = "unattached_volume", "Unattached volume"
        EMPTY_BUCKET = "empty_bucket", "Empty bucket"
        IDLE_FUNCTION = "idle_function", "Function not invoked in 30 days"

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="infra_findings")
    detail = models.CharField(max_length=255, blank=True)
    first_detected_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-first_detected_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["resource", "kind"], name="infra_finding_unique_kind")]
        indexes = [models.Index(fields=["team", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.resource}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class InfraRequest(TimeStampedModel):
    """A team's request for infrastructure: submitted -> approved / rejected -> provisioned."""

    class Kind(models.TextChoices):
        NEW_RESOURCE = "new_resource", "New resource"
        CAPACITY = "capacity", "Capacity"
        ACCESS = "access", "Access"
        BUDGET = "budget", "Budget"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        PROVISIONED = "provisioned", "Provisioned"

    title = models.CharField(max_length=200)
    requester = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="infra_requests")
    team = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="infra_requests")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    description = models.TextField()
    estimated_monthly_cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="USD")
    needed_by = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    due_at = models.DateTimeField(help_text="Service level: a decision is due by then.")
    decided_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    provisioned_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    provisioned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "status"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(estimated_monthly_cost__gte=0),
                                   name="infra_request_cost_not_negative"),
            models.CheckConstraint(
                condition=models.Q(status="submitted") | models.Q(decided_at__isnull=False),
                name="infra_request_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="provisioned") | models.Q(provisioned_at__isnull=False),
                name="infra_request_provisioned_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("infra:request-detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"REQ-{self.pk}"

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.status == self.Status.SUBMITTED and self.due_at < (now or timezone.now())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


class InfraRequestComment(models.Model):
    request = models.ForeignKey(InfraRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.request.reference}"


class InfraRequestEvent(models.Model):
    """The audit trail of a request: every step, who took it and when. Append-only."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        PROVISIONED = "provisioned", "Provisioned"
        COMMENTED = "commented", "Commented"
        LINKED = "linked", "Linked resources"

    request = models.ForeignKey(InfraRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request.reference} {self.action} by {self.actor_label}"


# Change history of requests in the shared change log (in addition to InfraRequestEvent).
from auditlog.registry import auditlog  # noqa: E402

auditlog.register(InfraRequest, exclude_fields=["updated_at"])
