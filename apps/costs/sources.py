"""The only place the costs app calls boto3 (through ``apps.core.aws``): Cost Explorer pulls
and S3 reads for file imports. Everything here is paged, retried on throttling, and returns
plain records; nothing here touches the database.
"""
from __future__ import annotations

import gzip
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from apps.core.aws import AwsSession, is_throttling

CE_METRICS = ("UnblendedCost", "AmortizedCost")
TEAM_TAG_KEY = "team"


class AwsCallCount:
    """Requests this module sent (each attempt counts: Cost Explorer bills every request)."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, n: int = 1) -> None:
        self.count += n


@dataclass(frozen=True)
class CeRecord:
    date: date
    account_id: str
    service: str
    team_tag: str  # "" when the resource carries no team tag
    unblended: Decimal
    amortized: Decimal
    currency: str
    estimated: bool


# -- Cost Explorer ------------------------------------------------------------------------------
def ce_client_for(account, *, session_factory: Callable[..., AwsSession] = AwsSession):
    """A Cost Explorer client for ``account``: through its role (STS AssumeRole, with the
    external id) when one is set, else the default credentials chain. CE lives in us-east-1."""
    session = session_factory(
        role_arn=account.role_arn or None, external_id=account.external_id or None, region="us-east-1",
        session_name="cto-portal-costs",
    )
    return session.client("ce", region="us-east-1")


def call_with_retry(
    fn: Callable[..., dict], *, calls: AwsCallCount, sleep: Callable[[float], None] = time.sleep,
    max_attempts: int = 6, base_delay: float = 1.0, **params: Any,
) -> dict:
    """Call ``fn(**params)``; throttling (``LimitExceededException``, ``Throttling``...) is retried
    with exponential backoff up to ``max_attempts``; any other error is raised at once."""
    attempt = 0
    while True:
        attempt += 1
        calls.add()
        try:
            return fn(**params)
        except ClientError as exc:
            if not is_throttling(exc) or attempt >= max_attempts:
                raise
            sleep(min(base_delay * 2 ** (attempt - 1), 30.0))


def _tag_value(key: str) -> str:
    # Cost Explorer returns tag groups as "team$value" ("team$" when untagged).
    return key.split("$", 1)[1] if "$" in key else ""


def cost_and_usage(
    client, *, account_id: str, start: date, end: date, calls: AwsCallCount,
    sleep: Callable[[float], None] = time.sleep, team_tag_key: str = TEAM_TAG_KEY,
) -> Iterator[CeRecord]:
    """GetCostAndUsage, DAILY, UnblendedCost + AmortizedCost, grouped by service and the team
    cost-allocation tag, for one linked account over [start, end) (CE's End is exclusive).
    Follows NextPageToken until the last page."""
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": list(CE_METRICS),
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "TAG", "Key": team_tag_key}],
        "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account_id]}},
    }
    token: str | None = None
    while True:
        request = dict(params)
        if token:
            request["NextPageToken"] = token
        page = call_with_retry(client.get_cost_and_usage, calls=calls, sleep=sleep, **request)
        for result in page.get("ResultsByTime", []):
            day = date.fromisoformat(result["TimePeriod"]["Start"])
            estimated = bool(result.get("Estimated", False))
            for group in result.get("Groups", []):
                keys = group.get("Keys", [])
                metrics = group.get("Metrics", {})
                unblended = metrics.get("UnblendedCost", {})
                amortized = metrics.get("AmortizedCost", unblended)
                yield CeRecord(
                    date=day, account_id=account_id, service=keys[0] if keys else "Unknown",
                    team_tag=_tag_value(keys[1]) if len(keys) > 1 else "",
                    unblended=Decimal(unblended.get("Amount", "0")), amortized=Decimal(amortized.get("Amount", "0")),
                    currency=unblended.get("Unit", "USD"), estimated=estimated,
                )
        token = page.get("NextPageToken")
        if not token:
            return


@dataclass(frozen=True)
class CeTagRecord:
    date: date
    tag_key: str
    tag_value: str  # "" for the untagged rest
    unblended: Decimal
    amortized: Decimal
    currency: str


def cost_by_tag_key(
    client, *, account_id: str, start: date, end: date, tag_key: str, calls: AwsCallCount,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[CeTagRecord]:
    """GetCostAndUsage, DAILY, grouped by one cost-allocation tag (the cost tag dimension), for
    one linked account over [start, end); follows NextPageToken."""
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": list(CE_METRICS),
        "GroupBy": [{"Type": "TAG", "Key": tag_key}],
        "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account_id]}},
    }
    token: str | None = None
    while True:
        request = dict(params)
        if token:
            request["NextPageToken"] = token
        page = call_with_retry(client.get_cost_and_usage, calls=calls, sleep=sleep, **request)
        for result in page.get("ResultsByTime", []):
            day = date.fromisoformat(result["TimePeriod"]["Start"])
            for group in result.get("Groups", []):
                keys = group.get("Keys", [])
                metrics = group.get("Metrics", {})
                unblended = metrics.get("UnblendedCost", {})
                amortized = metrics.get("AmortizedCost", unblended)
                yield CeTagRecord(
                    date=day, tag_key=tag_key, tag_value=_tag_value(keys[0]) if keys else "",
                    unblended=Decimal(unblended.get("Amount", "0")), amortized=Decimal(amortized.get("Amount", "0")),
                    currency=unblended.get("Unit", "USD"),
                )
        token = page.get("NextPageToken")
        if not token:
            return


def cost_forecast(
    client, *, start: date, end: date, filter_: dict | None, calls: AwsCallCount,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Decimal, str] | None:
    """GetCostForecast of unblended cost over [start, end) (Start is today or later): the total
    and its currency, or None when Cost Explorer has too little history to forecast."""
    params: dict[str, Any] = {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                              "Metric": "UNBLENDED_COST", "Granularity": "MONTHLY"}
    if filter_:
        params["Filter"] = filter_
    try:
        page = call_with_retry(client.get_cost_forecast, calls=calls, sleep=sleep, **params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "DataUnavailableException":
            return None
        raise
    total = page.get("Total") or {}
    if "Amount" not in total:
        return None
    return Decimal(total["Amount"]), total.get("Unit", "USD")


# -- S3 ---------------------------------------------------------------------------------------------
@dataclass
class InputFile:
    """One file to import: a name (for messages), its size in bytes if known, and an opener
    returning a binary stream of its (possibly gzipped) content."""

    name: str
    size: int | None
    open: Callable[[], BinaryIO]


def parse_s3_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"Not an s3:// URL: {url!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def _is_data_key(key: str) -> bool:
    return key.endswith((".csv", ".csv.gz", ".gz")) and not key.endswith("/")


def s3_input_files(url: str, *, calls: AwsCallCount | None = None, session: AwsSession | None = None) -> list[InputFile]:
    """Every data file under ``s3://bucket/prefix`` (sorted by key), or the files a manifest
    (``...Manifest.json`` with ``reportKeys``, as CUR writes them) lists."""
    calls = calls or AwsCallCount()
    session = session or AwsSession()
    s3 = session.client("s3")
    bucket, prefix = parse_s3_url(url)
    if prefix.endswith(".json"):
        calls.add()
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=prefix)["Body"].read())
        keys = [(k, None) for k in manifest.get("reportKeys", [])]
    elif prefix and _is_data_key(prefix):
        keys = [(prefix, None)]
    else:
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            calls.add()
            keys.extend((obj["Key"], obj["Size"]) for obj in page.get("Contents", []) if _is_data_key(obj["Key"]))
        keys.sort()

    def opener(key: str) -> Callable[[], BinaryIO]:
        def _open() -> BinaryIO:
            calls.add()
            return s3.get_object(Bucket=bucket, Key=key)["Body"]
        return _open

    return [InputFile(name=f"s3://{bucket}/{key}", size=size, open=opener(key)) for key, size in keys]


def text_stream(raw: BinaryIO) -> tuple[io.TextIOBase, _RawAdapter]:
    """Decode a binary stream as UTF-8 text, un-gzipping it when it is gzip (by magic bytes).
    Returns the text stream and the adapter counting the (compressed) bytes read, for progress."""
    adapter = _RawAdapter(raw)
    buffered = io.BufferedReader(adapter, buffer_size=1024 * 1024)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=buffered), encoding="utf-8-sig", newline=""), adapter
    return io.TextIOWrapper(buffered, encoding="utf-8-sig", newline=""), adapter


class _RawAdapter(io.RawIOBase):
    """Lets ``io.BufferedReader`` wrap anything with ``read(n)`` (e.g. botocore's StreamingBody)."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close:
            close()
        super().close()


@dataclass(frozen=True)
class RightsizingRecord:
    account_id: str
    resource_id: str
    instance_name: str
    current_type: str
    action: str  # "Modify" or "Terminate"
    target_type: str
    monthly_savings: Decimal
    currency: str


def rightsizing_recommendations(
    client, *, calls: AwsCallCount, sleep: Callable[[float], None] = time.sleep,
) -> Iterator[RightsizingRecord]:
    """GetRightsizingRecommendation for EC2 (paged with NextPageToken)."""
    params: dict[str, Any] = {
        "Service": "AmazonEC2",
        "Configuration": {"RecommendationTarget": "SAME_INSTANCE_FAMILY", "BenefitsConsidered": True},
    }
    token: str | None = None
    while True:
        request = dict(params)
        if token:
            request["NextPageToken"] = token
        page = call_with_retry(client.get_rightsizing_recommendation, calls=calls, sleep=sleep, **request)
        for rec in page.get("RightsizingRecommendations", []):
            current = rec.get("CurrentInstance", {})
            current_type = (current.get("ResourceDetails", {}).get("EC2ResourceDetails", {}) or {}).get("InstanceType", "")
            action = rec.get("RightsizingType", "")
            if action == "Terminate":
                detail = rec.get("TerminateRecommendationDetail", {})
                savings, currency, target = detail.get("EstimatedMonthlySavings", "0"), detail.get("CurrencyCode", "USD"), ""
            else:
                targets = rec.get("ModifyRecommendationDetail", {}).get("TargetInstances", [])
                best = next((t for t in targets if t.get("DefaultTargetInstance")), targets[0] if targets else {})
                savings, currency = best.get("EstimatedMonthlySavings", "0"), best.get("CurrencyCode", "USD")
                target = (best.get("ResourceDetails", {}).get("EC2ResourceDetails", {}) or {}).get("InstanceType", "")
            yield RightsizingRecord(
                account_id=rec.get("AccountId", ""), resource_id=current.get("ResourceId", ""),
                instance_name=current.get("InstanceName", ""), current_type=current_type, action=action,
                target_type=target, monthly_savings=Decimal(str(savings or "0")), currency=currency or "USD",
            )
        token = page.get("NextPageToken")
        if not token:
            return
