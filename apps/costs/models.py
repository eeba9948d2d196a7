from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

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
