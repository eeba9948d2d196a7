"""Shared helpers for the costs tests."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.db.models import Sum

from apps.costs import services
from apps.costs.models import CostEntry

FIXTURES = Path(__file__).parent / "fixtures"
FOCUS_SAMPLE = FIXTURES / "focus_sample.csv"


def csv_totals(path: Path, group: str, column: str = "BilledCost") -> dict[str, Decimal]:
    """Independent sum of a FOCUS file's column per ``group`` column, straight from the CSV."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            totals[row[group]] += Decimal(row[column])
    return dict(totals)


def db_totals(field: str, amount: str = "cost") -> dict[str, Decimal]:
    rows = CostEntry.objects.order_by().values(field).annotate(total=Sum(amount))
    return {r[field]: r["total"] for r in rows}


def import_path(path, fmt=None, actor=None):
    return services.cost_file_import(actor=actor or services.SYSTEM, files=services.input_files_for(str(path)), fmt=fmt)


def focus_csv(rows: list[dict]) -> str:
    """A small FOCUS file with the columns the importer reads."""
    columns = ["BilledCost", "EffectiveCost", "BillingAccountId", "BillingCurrency", "BillingPeriodStart",
               "ChargePeriodStart", "ProviderName", "RegionId", "ServiceName", "ServiceCategory", "SubAccountId",
               "SubAccountName", "Tags"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        base = {"BillingAccountId": "999999999999", "BillingCurrency": "USD", "BillingPeriodStart": "2024-09-01 00:00:00",
                "ChargePeriodStart": "2024-09-10 00:00:00", "ProviderName": "AWS", "RegionId": "eu-west-1",
                "ServiceName": "Amazon EC2", "ServiceCategory": "Compute", "SubAccountId": "111111111111",
                "SubAccountName": "prod", "Tags": "NULL", "BilledCost": "1", "EffectiveCost": "1"}
        base.update(row)
        writer.writerow(base)
    return out.getvalue()
