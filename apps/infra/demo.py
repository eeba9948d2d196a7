"""Demo inventory and requests for ``seed_demo``. Idempotent: resources upsert by ARN, requests
by (team, title); findings are recomputed."""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from apps.costs.models import AwsAccount
from apps.costs.ownership import TeamResolver
from apps.infra import services
from apps.infra.models import InfraRequest, InfraRequestComment, InfraRequestEvent, Resource

ACCOUNTS = [
    # account id, name, default team slug, role, regions
    ("210987654321", "Production", "platform", "", ["eu-west-1", "us-east-1"]),
    ("345678901234", "Data Platform", "data", "arn:aws:iam::345678901234:role/cto-portal-inventory", ["eu-west-1"]),
    ("456789012345", "ML Sandbox", "ai", "arn:aws:iam::456789012345:role/cto-portal-inventory", ["us-east-1"]),
]

# (account index, kind, name, region, state, size, team tag or None, extra details)
TEAM_HOSTS = {
    "web-frontend": ["web-ssr", "web-assets"], "mobile": ["mobile-bff"], "payments-backend": ["payments-api", "ledger"],
    "core-api": ["core-api", "core-worker"], "platform": ["bastion", "ci-runner"], "security": ["siem-collector"],
}


def _arn(kind: str, account: str, region: str, rid: str) -> str:
    return {
        "ec2_instance": f"arn:aws:ec2:{region}:{account}:instance/{rid}",
        "ebs_volume": f"arn:aws:ec2:{region}:{account}:volume/{rid}",
        "rds_instance": f"arn:aws:rds:{region}:{account}:db:{rid}",
        "rds_cluster": f"arn:aws:rds:{region}:{account}:cluster:{rid}",
        "s3_bucket": f"arn:aws:s3:::{rid}",
        "lambda_function": f"arn:aws:lambda:{region}:{account}:function:{rid}",
        "eks_cluster": f"arn:aws:eks:{region}:{account}:cluster/{rid}",
        "load_balancer": f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{rid}/0f1e2d3c4b5a6978",
    }[kind]


def _resources(rng: random.Random) -> list[dict]:
    rows: list[dict] = []

    def add(acc: int, kind: str, rid: str, name: str, region: str, state: str, size: str, team: str | None,
            details: dict | None = None, extra_tags: dict | None = None) -> None:
        tags = {"Name": name} if kind in ("ec2_instance", "ebs_volume") else {}
        if team:
            tags["team"] = team
        tags.update(extra_tags or {})
        rows.append({"acc": acc, "kind": kind, "rid": rid, "name": name, "region": region, "state": state,
                     "size": size, "tags": tags, "details": details or {}})

    n = 0
    for team, hosts in TEAM_HOSTS.items():
        for host in hosts:
            for i in range(2):
                n += 1
                iid = f"i-0{n:016x}"
                vol = f"vol-0{n:016x}"
                add(0, "ec2_instance", iid, f"{host}-{i + 1}", "eu-west-1", "running",
                    rng.choice(["t3.large", "m6i.large", "c6i.xlarge"]), team, {"volume_ids": [vol]}, {"env": "prod"})
                add(0, "ebs_volume", vol, f"{host}-{i + 1}-root", "eu-west-1", "in-use", "50 GiB gp3", team,
                    {"attached_to": [iid], "size_gib": 50, "volume_type": "gp3"})
        add(0, "s3_bucket", f"acme-{team}-artifacts", f"acme-{team}-artifacts", "eu-west-1", "available", "", team,
            {"empty": False})
    add(0, "rds_instance", "payments-db", "payments-db", "eu-west-1", "available", "db.r6g.xlarge", "payments-backend",
        {"engine": "postgres", "storage_gib": 500})
    add(0, "rds_cluster", "core-aurora", "core-aurora", "eu-west-1", "available", "db.r6g.large", "core-api",
        {"engine": "aurora-postgresql"})
    add(0, "eks_cluster", "prod-eu", "prod-eu", "eu-west-1", "ACTIVE", "Kubernetes 1.30", "platform", {"version": "1.30"})
    add(0, "load_balancer", "prod-public", "prod-public", "eu-west-1", "active", "application", "platform")
    add(0, "lambda_function", "image-resizer", "image-resizer", "eu-west-1", "Active", "512 MB", "web-frontend")
    # Idle and untagged things worth a look.
    add(0, "ec2_instance", "i-0dead00000000beef", "old-jenkins", "us-east-1", "stopped", "m5.2xlarge", None,
        {"volume_ids": ["vol-0dead00000000beef"]})
    add(0, "ebs_volume", "vol-0dead00000000beef", "old-jenkins-root", "us-east-1", "in-use", "200 GiB gp2", None,
        {"attached_to": ["i-0dead00000000beef"], "size_gib": 200})
    add(0, "ebs_volume", "vol-0a1b2c3d4e5f60718", "", "us-east-1", "available", "500 GiB gp2", None, {"size_gib": 500})
    add(0, "s3_bucket", "acme-tmp-export-2023", "acme-tmp-export-2023", "us-east-1", "available", "", None,
        {"empty": True})
    # Data platform.
    add(1, "rds_cluster", "warehouse", "warehouse", "eu-west-1", "available", "db.r6g.2xlarge", "data",
        {"engine": "aurora-postgresql"}, {"infra-request": "demo-warehouse"})
    add(1, "s3_bucket", "acme-data-lake-raw", "acme-data-lake-raw", "eu-west-1", "available", "", "data", {"empty": False})
    add(1, "s3_bucket", "acme-data-lake-curated", "acme-data-lake-curated", "eu-west-1", "available", "", "data",
        {"empty": False})
    add(1, "lambda_function", "ingest-events", "ingest-events", "eu-west-1", "Active", "1024 MB", "data")
    add(1, "eks_cluster", "airflow", "airflow", "eu-west-1", "ACTIVE", "Kubernetes 1.29", "data", {"version": "1.29"})
    add(1, "ebs_volume", "vol-0d47a0000000c0de", "spark-scratch", "eu-west-1", "available", "1000 GiB gp3", "data",
        {"size_gib": 1000})
    add(1, "s3_bucket", "acme-data-scratch", "acme-data-scratch", "eu-west-1", "available", "", None, {"empty": True})
    # ML sandbox.
    for i in range(3):
        add(2, "ec2_instance", f"i-0a1000000000000{i}", f"gpu-trainer-{i + 1}", "us-east-1",
            "running" if i < 2 else "stopped", "g5.2xlarge", "ai", {"volume_ids": [f"vol-0a1000000000000{i}"]})
        add(2, "ebs_volume", f"vol-0a1000000000000{i}", f"gpu-trainer-{i + 1}-data", "us-east-1", "in-use",
            "500 GiB gp3", "ai", {"attached_to": [f"i-0a1000000000000{i}"], "size_gib": 500})
    add(2, "s3_bucket", "acme-ml-models", "acme-ml-models", "us-east-1", "available", "", "ai", {"empty": False})
    add(2, "lambda_function", "embedding-api", "embedding-api", "us-east-1", "Active", "2048 MB", "ai")
    add(2, "eks_cluster", "ml-serving", "ml-serving", "us-east-1", "ACTIVE", "Kubernetes 1.30", None, {"version": "1.30"})
    return rows


REQUESTS = [
    # team, requester key, title, kind, cost, status, days ago, decision note
    ("data", "tl7", "Aurora warehouse for the analytics models", InfraRequest.Kind.NEW_RESOURCE, "1850.00",
     InfraRequest.Status.PROVISIONED, 40, "Approved; size down after the backfill."),
    ("data", "eng50", "Read access to the payments replica", InfraRequest.Kind.ACCESS, "0.00",
     InfraRequest.Status.APPROVED, 12, "Approved for the reporting role only."),
    ("ai", "tl8", "Two more g5.2xlarge for fine-tuning", InfraRequest.Kind.CAPACITY, "2400.00",
     InfraRequest.Status.SUBMITTED, 9, ""),
    ("ai", "eng60", "Budget for a managed vector database", InfraRequest.Kind.BUDGET, "600.00",
     InfraRequest.Status.SUBMITTED, 1, ""),
    ("data", "eng52", "Dedicated EMR cluster for ad-hoc Spark", InfraRequest.Kind.NEW_RESOURCE, "3200.00",
     InfraRequest.Status.REJECTED, 20, "Use the shared Airflow/EKS Spark operator instead."),
]


def seed_demo(*, people: dict, teams: dict, stdout=None) -> None:
    rng = random.Random(2026)
    now = timezone.now()
    accounts = []
    for account_id, name, team_slug, role_arn, regions in ACCOUNTS:
        account, _ = AwsAccount.objects.get_or_create(account_id=account_id, defaults={
            "name": name, "default_team": teams.get(team_slug), "role_arn": role_arn, "regions": regions})
        accounts.append(account)

    requests: dict[str, InfraRequest] = {}
    for team_slug, who, title, kind, cost, status, days, note in REQUESTS:
        requester = people.get(who) or people["cto"]
        created = now - timedelta(days=days)
        decided = status != InfraRequest.Status.SUBMITTED
        req, created_now = InfraRequest.objects.update_or_create(team=teams[team_slug], title=title, defaults={
            "requester": requester, "kind": kind, "description": f"{title}.\n\nNeeded for the {team_slug} roadmap.",
            "estimated_monthly_cost": Decimal(cost), "currency": "USD", "status": status,
            "due_at": services.add_working_days(created, 5),
            "needed_by": (created + timedelta(days=30)).date(),
            "decided_by": people["cto"] if decided else None, "decided_at": created + timedelta(days=2) if decided else None,
            "decision_note": note,
            "provisioned_by": people.get("tl5") if status == InfraRequest.Status.PROVISIONED else None,
            "provisioned_at": created + timedelta(days=6) if status == InfraRequest.Status.PROVISIONED else None,
        })
        if created_now:
            InfraRequest.objects.filter(pk=req.pk).update(created_at=created)
            InfraRequestEvent.objects.create(request=req, actor_label=requester.full_name, action="submitted",
                                             to_status="submitted", created_at=created)
            if decided:
                InfraRequestEvent.objects.create(request=req, actor_label=people["cto"].full_name,
                                                 action="rejected" if status == "rejected" else "approved",
                                                 from_status="submitted", to_status="rejected" if status == "rejected"
                                                 else "approved", note=note, created_at=created + timedelta(days=2))
            if status == InfraRequest.Status.PROVISIONED:
                InfraRequestEvent.objects.create(request=req, actor_label=people["tl5"].full_name,
                                                 action="provisioned", from_status="approved", to_status="provisioned",
                                                 created_at=created + timedelta(days=6))
            InfraRequestComment.objects.create(request=req, author=people["em5"], body="Looks reasonable to me.",
                                               created_at=created + timedelta(hours=5))
        requests[title] = req

    warehouse_request = requests[REQUESTS[0][2]]
    resolver = TeamResolver()
    for row in _resources(rng):
        account = accounts[row["acc"]]
        tags = dict(row["tags"])
        if tags.get("infra-request") == "demo-warehouse":
            tags["infra-request"] = warehouse_request.reference
        team = resolver.resolve(tags, account)
        arn = _arn(row["kind"], account.account_id, row["region"], row["rid"])
        linked = warehouse_request if "infra-request" in tags else None
        values = {
            "resource_id": row["rid"], "kind": row["kind"], "name": row["name"], "account": account,
            "region": row["region"], "state": row["state"], "size": row["size"], "tags": tags,
            "details": row["details"], "owner_team": team, "gone_at": None, "last_seen": now,
            "request": linked, "request_link": Resource.Link.TAG if linked else Resource.Link.NONE,
        }
        Resource.objects.update_or_create(arn=arn, defaults=values, create_defaults={
            **values, "first_seen": now - timedelta(days=rng.randint(10, 400))})
    # One resource that went away last week, to show the soft "gone".
    Resource.objects.update_or_create(arn=_arn("ec2_instance", accounts[0].account_id, "eu-west-1", "i-0900000000000001"),
                                      defaults={"resource_id": "i-0900000000000001", "kind": "ec2_instance",
                                                "name": "legacy-cron", "account": accounts[0], "region": "eu-west-1",
                                                "state": "running", "size": "t2.medium", "tags": {"team": "core-api"},
                                                "owner_team": teams["core-api"], "first_seen": now - timedelta(days=300),
                                                "last_seen": now - timedelta(days=7), "gone_at": now - timedelta(days=7)})
    counts = services.findings_refresh(resolver=resolver)
    services._feed_savings()
    if stdout is not None:
        stdout.write(f"Infra: {Resource.objects.filter(gone_at__isnull=True).count()} resources, "
                     f"{len(requests)} requests, findings {counts}.")
