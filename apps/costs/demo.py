"""Demo data for costs: a year of daily cloud cost for a few AWS accounts and an Azure
subscription, generated in FOCUS form and loaded through the same importer as real exports;
budgets, anomalies (detected, not invented), subscriptions and savings. Idempotent: the import
replaces the billing periods, everything else is keyed by name."""
from __future__ import annotations

import csv
import io
import json
import math
import random
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings

from apps.costs import services, sources
from apps.costs.models import AwsAccount, Budget, FxRate, SavingsOpportunity, TagRule, ToolSubscription

PAYER = "200000000000"
# (account id, name, default team slug, {service: (daily base USD, category)})
ACCOUNTS = [
    ("210000000001", "payments-prod", "payments-backend", {
        "Amazon Elastic Compute Cloud": (310, "Compute"), "Amazon Relational Database Service": (240, "Databases"),
        "Amazon Simple Storage Service": (35, "Storage"), "AWS Key Management Service": (9, "Security")}),
    ("210000000002", "core-api-prod", "core-api", {
        "Amazon Elastic Compute Cloud": (420, "Compute"), "Amazon Elastic Kubernetes Service": (75, "Compute"),
        "Amazon DynamoDB": (120, "Databases"), "Amazon CloudFront": (60, "Networking")}),
    ("210000000003", "data-lake", "data", {
        "Amazon Simple Storage Service": (180, "Storage"), "Amazon Redshift": (290, "Analytics"),
        "AWS Glue": (95, "Analytics"), "Amazon Athena": (40, "Analytics")}),
    ("210000000004", "platform-shared", "platform", {
        "Amazon Elastic Compute Cloud": (150, "Compute"), "Amazon CloudWatch": (55, "Management and Governance"),
        "Amazon Route 53": (6, "Networking")}),
    (PAYER, "acme-payer", None, {"AWS Support (Business)": (110, "Other"), "AWS Cost Explorer": (2, "Cloud Financial Management")}),
]
AZURE = ("/subscriptions/7c1e0f2a-demo", "ai-research", {"Azure OpenAI": (140, "AI and Machine Learning"),
                                                          "Virtual Machines": (210, "Compute")})
# Initiative tags (matching the cost_tag of the initiatives demo) on some of the data and AI costs.
INITIATIVE_TAGS = {("210000000003", "Amazon Redshift"): "lakehouse", ("210000000003", "AWS Glue"): "finance-bi",
                   ("210000000003", "Amazon Athena"): "churn-model"}
OPENAI_SPLIT = (("invoice-ocr", 0.45), ("ticket-triage", 0.35), ("smart-retries", 0.20))
COLUMNS = ["BilledCost", "EffectiveCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
           "BillingPeriodStart", "ChargePeriodStart", "ProviderName", "RegionId", "ServiceName", "ServiceCategory",
           "SubAccountId", "SubAccountName", "Tags"]


def _factor(day: date, start: date, category: str, rng: random.Random) -> float:
    weekend = day.weekday() >= 5 and category in ("Compute", "Analytics")
    growth = 1 + 0.25 * (day - start).days / 365
    season = 1 + 0.05 * math.sin((day - start).days / 58)
    return growth * season * (0.7 if weekend else 1.0) * rng.uniform(0.93, 1.07)


def focus_rows(today: date, rng: random.Random) -> list[dict]:
    start = today - timedelta(days=365)
    rows = []
    spikes = {(today - timedelta(days=4), "210000000002", "Amazon DynamoDB"): 4.0,
              (today - timedelta(days=9), "210000000003", "Amazon Redshift"): 2.6}
    for i in range(365):
        day = start + timedelta(days=i)
        for account_id, name, _team, services_ in ACCOUNTS:
            for service, (base, category) in services_.items():
                cost = base * _factor(day, start, category, rng) * spikes.get((day, account_id, service), 1.0)
                tags = "NULL"
                if service == "Amazon CloudFront":  # the web team's CDN lives in the core-api account
                    tags = json.dumps({"team": "web-frontend", "environment": "prod"})
                elif service.startswith("AWS Support"):
                    tags = "NULL"  # nobody's: shown as unallocated
                elif (account_id, service) in INITIATIVE_TAGS:
                    tags = json.dumps({"initiative": INITIATIVE_TAGS[(account_id, service)], "environment": "prod"})
                rows.append(_row(day, "AWS", PAYER, "Acme Payer", account_id, name, service, category, "eu-west-1",
                                 cost, tags, effective=0.82 if category == "Compute" else 1.0))
        sub_id, sub_name, services_ = AZURE
        for service, (base, category) in services_.items():
            cost = base * _factor(day, start, category, rng)
            split = OPENAI_SPLIT if service == "Azure OpenAI" else ((None, 1.0),)
            for initiative, share in split:  # one deployment per AI initiative, tagged with it
                tags = {"team": "ai", **({"initiative": initiative} if initiative else {})}
                rows.append(_row(day, "Microsoft", "/providers/Microsoft.Billing/billingAccounts/demo", "Acme EA",
                                 sub_id, sub_name, service, category, "westeurope", cost * share, json.dumps(tags)))
    return rows


def _row(day, provider, billing_id, billing_name, sub_id, sub_name, service, category, region, cost, tags,
         effective=1.0) -> dict:
    billed = Decimal(str(round(cost, 4)))
    return {"BilledCost": billed, "EffectiveCost": (billed * Decimal(str(effective))).quantize(Decimal("0.0001")),
            "BillingAccountId": billing_id, "BillingAccountName": billing_name, "BillingCurrency": "USD",
            "BillingPeriodStart": day.replace(day=1).isoformat() + " 00:00:00",
            "ChargePeriodStart": day.isoformat() + " 00:00:00", "ProviderName": provider, "RegionId": region,
            "ServiceName": service, "ServiceCategory": category, "SubAccountId": sub_id, "SubAccountName": sub_name,
            "Tags": tags}


def seed_demo(*, people: dict, teams: dict, stdout=None, today: date | None = None) -> None:
    today = today or date.today()
    rng = random.Random(4242)
    AwsAccount.objects.update_or_create(account_id=PAYER, defaults={"name": "acme-payer", "is_payer": True})
    for account_id, name, team, _ in ACCOUNTS:
        AwsAccount.objects.update_or_create(account_id=account_id, defaults={
            "name": name, "default_team": teams[team] if team else None})
    TagRule.objects.update_or_create(tag_key="business_unit", tag_value="Growth", defaults={"team": teams["web-frontend"]})
    FxRate.objects.update_or_create(currency="EUR", valid_from=date(today.year - 1, 1, 1), defaults={"rate": Decimal("1.08")})

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(focus_rows(today - timedelta(days=1), rng))
    data = buffer.getvalue().encode()
    result = services.cost_file_import(
        actor=services.SYSTEM, files=[sources.InputFile(name="demo-focus.csv", size=len(data), open=lambda: io.BytesIO(data))],
    )

    reporting = settings.REPORTING_CURRENCY
    budgets = [
        ("Cloud total", "total", None, 95000, "monthly"),
        ("Payments Backend", "team", "payments-backend", 22000, "monthly"),
        ("Core API", "team", "core-api", 21500, "monthly"),
        ("Data", "team", "data", 140000, "quarterly"),
        ("Platform", "team", "platform", 6800, "monthly"),
    ]
    for name, scope, team, amount, period in budgets:
        Budget.objects.update_or_create(name=name, defaults={
            "scope": scope, "team": teams[team] if team else None, "amount": Decimal(amount), "currency": reporting,
            "period": period, "thresholds": [80, 100], "alert_on_forecast": True, "is_active": True})
    for offset in range(14, 0, -1):
        services.anomalies_detect(day=today - timedelta(days=offset))
    services.budget_alerts_check(today=today, notify=False)

    subs = [
        ("GitHub", "Enterprise Cloud", "Source control", "platform", "em4", "25200.00", "USD", "annual", 110, 96, 75),
        ("Atlassian", "Jira Software", "Planning", "product", "pm1", "1890.00", "USD", "monthly", 140, 121, 200),
        ("Datadog", "Pro (hosts)", "Observability", "platform", "tl5", "4200.00", "USD", "monthly", None, None, 20),
        ("Figma", "Organization", "Design", "web-frontend", "em1", "10800.00", "EUR", "annual", 24, 17, 40),
        ("Snyk", "Team", "Security", "security", "tl6", "9500.00", "USD", "annual", 50, 49, 12),
        ("OpenAI", "API (ChatGPT Team)", "AI", "ai", "tl8", "750.00", "USD", "monthly", 25, 25, 300),
    ]
    for vendor, product, category, team, owner, amount, currency, period, seats, used, renew_in in subs:
        ToolSubscription.objects.update_or_create(vendor=vendor, product=product, defaults={
            "category": category, "owner_team": teams[team], "owner": people.get(owner), "amount": Decimal(amount),
            "currency": currency, "billing_period": period, "seats_purchased": seats, "seats_used": used,
            "renewal_date": today + timedelta(days=renew_in), "notice_days": 30, "is_active": True})

    opportunities = [
        ("demo-rds-rightsize", "Rightsize payments RDS (db.r6g.4xlarge → 2xlarge)", "rightsizing", "210000000001",
         "Amazon Relational Database Service", "payments-backend", "1850.00", None, "open"),
        ("demo-redshift-pause", "Pause Redshift dev cluster at night and weekends", "manual", "210000000003",
         "Amazon Redshift", "data", "2300.00", None, "in_progress"),
        ("demo-s3-ia", "S3 lifecycle to Infrequent Access for data-lake raw zone", "manual", "210000000003",
         "Amazon Simple Storage Service", "data", "900.00", "1040.00", "done"),
        ("demo-ebs-idle", "Delete 14 unattached EBS volumes", "idle", "210000000004",
         "Amazon Elastic Compute Cloud", "platform", "310.00", None, "open"),
    ]
    accounts = {a.account_id: a for a in AwsAccount.objects.all()}
    for external_id, title, source, account, service, team, estimate, realised, status in opportunities:
        SavingsOpportunity.objects.update_or_create(source=source, external_id=external_id, defaults={
            "title": title, "account": accounts[account], "service": service, "team": teams[team],
            "estimated_monthly": Decimal(estimate), "realised_monthly": Decimal(realised) if realised else None,
            "currency": reporting, "status": status})
    services.costs_schedule_ensure()
    if stdout is not None:
        stdout.write(f"Costs: {result.rows} FOCUS rows imported into {result.entries} daily entries, "
                     f"{len(budgets)} budgets, {len(subs)} subscriptions, {len(opportunities)} savings.")
