"""Infra: the inventory sync against moto with 5,000 resources (seconds and AWS calls per sync,
first and repeated run) and the inventory page and API at 50,000 resources (median time).

moto runs in-process (``mock_aws``): its server mode needs ``moto[server]`` (flask), which is
not in requirements-dev.txt. Run with ``make bench`` or ``DEBUG=1 python bench/bench_infra.py``."""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

N_INSTANCES = 2_500  # moto gives each a root volume: 5,000 resources
N_PAGE_ROWS = 50_000


def _median_ms(client, url: str, repeat: int = 15) -> tuple[float, int]:
    from django.db import connections

    client.get(url)  # warm
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(count):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(executed)


def _sync_rows() -> list[tuple[str, float, int]]:
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                      MOTO_EC2_LOAD_DEFAULT_AMIS="false")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import boto3
    from moto import mock_aws

    from apps.costs.models import AwsAccount
    from apps.infra import services

    rows = []
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        for _ in range(N_INSTANCES // 500):
            ec2.run_instances(ImageId="ami-12c6146b", MinCount=500, MaxCount=500, InstanceType="t3.micro",
                              TagSpecifications=[{"ResourceType": "instance",
                                                  "Tags": [{"Key": "team", "Value": "platform"}]}])
        AwsAccount.objects.update_or_create(account_id="123456789012", defaults={
            "name": "Bench", "regions": ["us-east-1"], "enabled": True})
        AwsAccount.objects.exclude(account_id="123456789012").update(enabled=False)
        for label in ("first sync", "second sync (no change)"):
            start = time.perf_counter()
            run = services.inventory_sync_run(account_ids=["123456789012"])
            seconds = time.perf_counter() - start
            rows.append((f"inventory {label}: {run.rows_written} rows written, {run.aws_calls} AWS calls, "
                         f"{run.message}", seconds * 1000, 0))
    return rows


def _page_rows(client) -> list[tuple[str, float, int]]:
    from django.utils import timezone

    from apps.costs.models import AwsAccount
    from apps.infra.models import Resource
    from apps.org.models import Team

    account, _ = AwsAccount.objects.get_or_create(account_id="999999999999", defaults={"name": "Bench pages"})
    teams = list(Team.objects.all()[:8])
    now = timezone.now()
    existing = Resource.objects.count()
    Resource.objects.bulk_create([
        Resource(arn=f"arn:aws:ec2:eu-west-1:999999999999:instance/i-bench{i:08d}", resource_id=f"i-bench{i:08d}",
                 kind=Resource.Kind.EC2_INSTANCE, name=f"bench-{i:08d}", account=account, region="eu-west-1",
                 state="running", size="t3.micro", tags={"team": teams[i % len(teams)].slug},
                 owner_team=teams[i % len(teams)], first_seen=now, last_seen=now)
        for i in range(max(0, N_PAGE_ROWS - existing))
    ], batch_size=5000)
    total = Resource.objects.count()
    return [
        (f"inventory page, {total:,} resources (median)", *_median_ms(client, "/infra/")),
        ("inventory page filtered by team (median)", *_median_ms(client, f"/infra/?team={teams[0].slug}")),
        (f"API infra-resources, {total:,} resources (median)", *_median_ms(client, "/api/v1/infra-resources/")),
    ]


def run(client, timed=None):
    return [*_sync_rows(), *_page_rows(client)]


if __name__ == "__main__":  # standalone: a throw-away SQLite database with the demo data
    import tempfile

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cto_portal.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='cto-bench-')}/bench.sqlite3"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", quiet=True, stdout=open(os.devnull, "w"))
    client = Client()
    client.force_login(get_user_model().objects.get(username="cto"))
    for label, ms, queries in run(client):
        print(f"{ms:10.1f} ms  {queries:3d} q  {label}")
