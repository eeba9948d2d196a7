"""The shared boto3 plumbing: sessions, role assumption and a call counter.

Only this module and each app's ``sources.py`` import boto3. Every client honours the
standard credentials chain and ``AWS_ENDPOINT_URL`` (boto3 reads it itself; we pass it
explicitly too so a setting from Django settings also applies), retries throttling with
adaptive backoff, and counts the calls it makes so a SyncRun can record them
(Cost Explorer bills $0.01 per request).
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings

RETRY_CONFIG = Config(retries={"max_attempts": 8, "mode": "adaptive"}, connect_timeout=10, read_timeout=60)

THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "LimitExceededException", "RequestThrottled", "SlowDown",
})
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
    "UnrecognizedClientException", "InvalidClientTokenId", "OptInRequired",
})


def error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "")
    return ""


def is_throttling(exc: Exception) -> bool:
    return error_code(exc) in THROTTLING_CODES


def is_access_denied(exc: Exception) -> bool:
    return error_code(exc) in ACCESS_DENIED_CODES


def endpoint_url() -> str | None:
    return getattr(settings, "AWS_ENDPOINT_URL", None) or os.environ.get("AWS_ENDPOINT_URL") or None


@dataclass
class CallCounter:
    """Counts API calls made through clients built by :class:`AwsSession`."""

    count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def hook(self, **kwargs) -> None:
        with self._lock:
            self.count += 1


class AwsSession:
    """A boto3 session for one account, optionally through an assumed role."""

    def __init__(
        self,
        *,
        role_arn: str | None = None,
        external_id: str | None = None,
        region: str | None = None,
        counter: CallCounter | None = None,
        session_name: str = "cto-portal",
    ) -> None:
        self.counter = counter or CallCounter()
        self.region = region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
        base = boto3.session.Session(region_name=self.region)
        if role_arn:
            sts = self._client_from(base, "sts")
            params = {"RoleArn": role_arn, "RoleSessionName": session_name}
            if external_id:
                params["ExternalId"] = external_id
            creds = sts.assume_role(**params)["Credentials"]
            base = boto3.session.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                region_name=self.region,
            )
        self.session = base

    def _client_from(self, session, service: str, region: str | None = None):
        client = session.client(
            service, region_name=region or self.region, endpoint_url=endpoint_url(), config=RETRY_CONFIG
        )
        # One event per API operation attempt that is actually sent.
        client.meta.events.register("before-send", self.counter.hook)
        return client

    def client(self, service: str, region: str | None = None):
        return self._client_from(self.session, service, region)
