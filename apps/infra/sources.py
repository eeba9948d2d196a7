"""The AWS side of the inventory: the only infra module that calls boto3 (through
:class:`apps.core.aws.AwsSession`). Every listing is paged with botocore paginators;
throttling is retried by botocore (adaptive mode) and, if it still escapes, the whole listing
is retried here with exponential backoff (a listing is read-only, so re-running it is safe).
Functions return plain :class:`ResourceRecord` values; nothing here touches the database.
"""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore import loaders
from botocore.exceptions import ClientError

from apps.core.aws import AwsSession, error_code, is_access_denied, is_throttling
from apps.infra.models import Resource

Kind = Resource.Kind


@dataclass
class ResourceRecord:
    arn: str
    resource_id: str
    kind: str
    name: str
    region: str
    state: str = ""
    size: str = ""
    tags: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)


def with_backoff(call: Callable[[], Any], *, attempts: int = 5, base_delay: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> Any:
    """Run ``call``; on a throttling error wait (exponential, jittered) and try again, up to
    ``attempts`` times. Any other error is raised at once (access denied is not transient)."""
    for attempt in range(attempts):
        try:
            return call()
        except ClientError as exc:
            if not is_throttling(exc) or attempt == attempts - 1:
                raise
            sleep(min(base_delay * (2 ** attempt), 30.0) * (0.5 + random.random() / 2))
    raise AssertionError("unreachable")  # pragma: no cover


def _collect(client, operation: str, key: str, **params) -> list:
    """Every item of a paged listing (restarted whole on throttling)."""

    def run() -> list:
        items: list = []
        for page in client.get_paginator(operation).paginate(**params):
            items.extend(page.get(key, []))
        return items

    return with_backoff(run)


def _tags(tag_list: list | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in (tag_list or []) if "Key" in t}


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value is not None else "")


# -- regional services ------------------------------------------------------------------------
def fetch_ec2(session: AwsSession, *, account_id: str, region: str) -> list[ResourceRecord]:
    """EC2 instances (terminated ones are left out: they are gone) and EBS volumes."""
    ec2 = session.client("ec2", region)
    records: list[ResourceRecord] = []
    for reservation in _collect(ec2, "describe_instances", "Reservations"):
        for inst in reservation.get("Instances", []):
            state = inst.get("State", {}).get("Name", "")
            if state in ("terminated", "shutting-down"):
                continue
            tags = _tags(inst.get("Tags"))
            iid = inst["InstanceId"]
            volumes = sorted(m["Ebs"]["VolumeId"] for m in inst.get("BlockDeviceMappings", []) if "Ebs" in m)
            records.append(ResourceRecord(
                arn=f"arn:aws:ec2:{region}:{account_id}:instance/{iid}", resource_id=iid,
                kind=Kind.EC2_INSTANCE, name=tags.get("Name", ""), region=region, state=state,
                size=inst.get("InstanceType", ""), tags=tags,
                details={"volume_ids": volumes, "launch_time": _iso(inst.get("LaunchTime")),
                         "private_ip": inst.get("PrivateIpAddress", "")},
            ))
    for vol in _collect(ec2, "describe_volumes", "Volumes"):
        tags = _tags(vol.get("Tags"))
        vid = vol["VolumeId"]
        attached = sorted(a["InstanceId"] for a in vol.get("Attachments", []) if a.get("InstanceId"))
        records.append(ResourceRecord(
            arn=f"arn:aws:ec2:{region}:{account_id}:volume/{vid}", resource_id=vid, kind=Kind.EBS_VOLUME,
            name=tags.get("Name", ""), region=region, state=vol.get("State", ""),
            size=f"{vol.get('Size', 0)} GiB {vol.get('VolumeType', '')}".strip(), tags=tags,
            details={"attached_to": attached, "size_gib": vol.get("Size", 0), "volume_type": vol.get("VolumeType", "")},
        ))
    return records


def fetch_rds(session: AwsSession, *, account_id: str, region: str) -> list[ResourceRecord]:
    rds = session.client("rds", region)
    records: list[ResourceRecord] = []
    for db in _collect(rds, "describe_db_instances", "DBInstances"):
        tags = _tags(db.get("TagList"))
        records.append(ResourceRecord(
            arn=db["DBInstanceArn"], resource_id=db["DBInstanceIdentifier"], kind=Kind.RDS_INSTANCE,
            name=db["DBInstanceIdentifier"], region=region, state=db.get("DBInstanceStatus", ""),
            size=db.get("DBInstanceClass", ""), tags=tags,
            details={"engine": db.get("Engine", ""), "storage_gib": db.get("AllocatedStorage", 0),
                     "cluster": db.get("DBClusterIdentifier", "")},
        ))
    for cluster in _collect(rds, "describe_db_clusters", "DBClusters"):
        tags = _tags(cluster.get("TagList"))
        members = sorted(m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", []))
        records.append(ResourceRecord(
            arn=cluster["DBClusterArn"], resource_id=cluster["DBClusterIdentifier"], kind=Kind.RDS_CLUSTER,
            name=cluster["DBClusterIdentifier"], region=region, state=cluster.get("Status", ""),
            size=cluster.get("DBClusterInstanceClass", "") or cluster.get("EngineMode", ""), tags=tags,
            details={"engine": cluster.get("Engine", ""), "members": members},
        ))
    return records


IDLE_DAYS = 30


def lambda_invocations(session: AwsSession, *, region: str, names: list[str]) -> dict[str, int] | None:
    """Invocations of each function over the last 30 days from CloudWatch (500 functions per
    GetMetricData call). None when CloudWatch refuses us: then nobody is called idle."""
    if not names:
        return {}
    cloudwatch = session.client("cloudwatch", region)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=IDLE_DAYS)
    totals: dict[str, int] = {}
    try:
        for offset in range(0, len(names), 500):
            chunk = names[offset:offset + 500]
            queries = [{
                "Id": f"f{i}", "ReturnData": True,
                "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Invocations",
                                          "Dimensions": [{"Name": "FunctionName", "Value": name}]},
                               "Period": IDLE_DAYS * 86400, "Stat": "Sum"},
            } for i, name in enumerate(chunk)]
            results = _collect(cloudwatch, "get_metric_data", "MetricDataResults", MetricDataQueries=queries,
                               StartTime=start, EndTime=end)
            for result in results:
                name = chunk[int(result["Id"][1:])]
                totals[name] = totals.get(name, 0) + int(sum(result.get("Values") or []))
    except ClientError as exc:
        if is_access_denied(exc):
            return None
        raise
    return {name: totals.get(name, 0) for name in names}


def fetch_lambda(session: AwsSession, *, account_id: str, region: str) -> list[ResourceRecord]:
    """Lambda functions, with their invocations over the last 30 days when CloudWatch answers."""
    client = session.client("lambda", region)
    records: list[ResourceRecord] = []
    functions = _collect(client, "list_functions", "Functions")
    invocations = lambda_invocations(session, region=region, names=[fn["FunctionName"] for fn in functions])
    for fn in functions:
        arn = fn["FunctionArn"]
        tags = with_backoff(lambda arn=arn: client.list_tags(Resource=arn)).get("Tags", {}) or {}
        records.append(ResourceRecord(
            arn=arn, resource_id=fn["FunctionName"], kind=Kind.LAMBDA_FUNCTION, name=fn["FunctionName"],
            region=region, state=fn.get("State", "") or "Active", size=f"{fn.get('MemorySize', 0)} MB",
            tags=dict(tags), details={"runtime": fn.get("Runtime", ""), "last_modified": fn.get("LastModified", ""),
                                      "invocations_30d": None if invocations is None
                                      else invocations.get(fn["FunctionName"], 0)},
        ))
    return records


def fetch_eks(session: AwsSession, *, account_id: str, region: str) -> list[ResourceRecord]:
    client = session.client("eks", region)
    records: list[ResourceRecord] = []
    for name in _collect(client, "list_clusters", "clusters"):
        cluster = with_backoff(lambda name=name: client.describe_cluster(name=name))["cluster"]
        records.append(ResourceRecord(
            arn=cluster["arn"], resource_id=name, kind=Kind.EKS_CLUSTER, name=name, region=region,
            state=cluster.get("status", ""), size=f"Kubernetes {cluster.get('version', '')}".strip(),
            tags=dict(cluster.get("tags") or {}), details={"version": cluster.get("version", "")},
        ))
    return records


def fetch_elbv2(session: AwsSession, *, account_id: str, region: str) -> list[ResourceRecord]:
    client = session.client("elbv2", region)
    lbs = _collect(client, "describe_load_balancers", "LoadBalancers")
    tags_by_arn: dict[str, dict] = {}
    arns = [lb["LoadBalancerArn"] for lb in lbs]
    for start in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
        chunk = arns[start:start + 20]
        for desc in with_backoff(lambda chunk=chunk: client.describe_tags(ResourceArns=chunk))["TagDescriptions"]:
            tags_by_arn[desc["ResourceArn"]] = _tags(desc.get("Tags"))
    return [
        ResourceRecord(
            arn=lb["LoadBalancerArn"], resource_id=lb["LoadBalancerName"], kind=Kind.LOAD_BALANCER,
            name=lb["LoadBalancerName"], region=region, state=lb.get("State", {}).get("Code", ""),
            size=lb.get("Type", ""), tags=tags_by_arn.get(lb["LoadBalancerArn"], {}),
            details={"scheme": lb.get("Scheme", ""), "dns_name": lb.get("DNSName", "")},
        )
        for lb in lbs
    ]


# -- global services ----------------------------------------------------------------------------
def _bucket_call(call: Callable[[], Any], *, missing: str) -> Any:
    """A per-bucket read: None when the bucket has no such configuration (``missing`` code)
    or when this one bucket refuses us; the rest of the account goes on."""
    try:
        return with_backoff(call)
    except ClientError as exc:
        if error_code(exc) == missing or is_access_denied(exc):
            return None
        raise


def fetch_s3(session: AwsSession, *, account_id: str, region: str | None = None) -> list[ResourceRecord]:
    """S3 buckets: listed once per account (the listing is global); each bucket carries its own
    region, its tags and whether it holds any object."""
    s3 = session.client("s3")
    records: list[ResourceRecord] = []
    for bucket in _collect(s3, "list_buckets", "Buckets"):
        name = bucket["Name"]
        location = _bucket_call(lambda name=name: s3.get_bucket_location(Bucket=name), missing="NoSuchBucket")
        bucket_region = (location or {}).get("LocationConstraint") or "us-east-1"
        if bucket_region == "EU":
            bucket_region = "eu-west-1"
        tagging = _bucket_call(lambda name=name: s3.get_bucket_tagging(Bucket=name), missing="NoSuchTagSet")
        listing = _bucket_call(lambda name=name: s3.list_objects_v2(Bucket=name, MaxKeys=1), missing="NoSuchBucket")
        empty = None if listing is None else listing.get("KeyCount", 0) == 0
        records.append(ResourceRecord(
            arn=f"arn:aws:s3:::{name}", resource_id=name, kind=Kind.S3_BUCKET, name=name, region=bucket_region,
            state="available", size="", tags=_tags((tagging or {}).get("TagSet")),
            details={"empty": empty, "created": _iso(bucket.get("CreationDate"))},
        ))
    return records


@dataclass(frozen=True)
class Fetcher:
    service: str
    kinds: tuple[str, ...]
    fetch: Callable[..., list[ResourceRecord]]


REGIONAL_FETCHERS: tuple[Fetcher, ...] = (
    Fetcher("ec2", (Kind.EC2_INSTANCE, Kind.EBS_VOLUME), fetch_ec2),
    Fetcher("rds", (Kind.RDS_INSTANCE, Kind.RDS_CLUSTER), fetch_rds),
    Fetcher("lambda", (Kind.LAMBDA_FUNCTION,), fetch_lambda),
    Fetcher("eks", (Kind.EKS_CLUSTER,), fetch_eks),
    Fetcher("elbv2", (Kind.LOAD_BALANCER,), fetch_elbv2),
)
GLOBAL_FETCHERS: tuple[Fetcher, ...] = (
    Fetcher("s3", (Kind.S3_BUCKET,), fetch_s3),
)


_LOADER_LOCK = threading.Lock()
_LOADER: loaders.Loader | None = None


def shared_loader() -> loaders.Loader:
    """One botocore data loader for the process: service models are parsed once, not once per
    account and region (parsing them dominated the sync's time)."""
    global _LOADER
    with _LOADER_LOCK:
        if _LOADER is None:
            _LOADER = loaders.create_loader()
        return _LOADER


class InventorySession(AwsSession):
    """:class:`AwsSession` whose clients share :func:`shared_loader`."""

    def _client_from(self, session, service: str, region: str | None = None):
        session._session.register_component("data_loader", shared_loader())
        return super()._client_from(session, service, region)


def open_session(*, role_arn: str = "", external_id: str = "", counter=None, region: str | None = None) -> AwsSession:
    """A session for one account; assumes ``role_arn`` through STS when set."""
    return InventorySession(role_arn=role_arn or None, external_id=external_id or None, counter=counter,
                      region=region, session_name="cto-portal-inventory")


def describe_error(exc: Exception) -> str:
    code = error_code(exc)
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message", "")
        return f"{code}: {message}".strip(": ") or str(exc)
    return f"{type(exc).__name__}: {exc}"
