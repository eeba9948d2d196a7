"""Writes for the shared pieces: SyncRun progress, the access log, API tokens."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.models import AccessLog, ApiToken, ServiceAccount, SyncRun
from apps.core.roles import Role


# -- SyncRun ------------------------------------------------------------------------------
def syncrun_create(*, kind: str, user=None, params: dict | None = None, total: int | None = None) -> SyncRun:
    return SyncRun.objects.create(kind=kind, started_by=user, params=params or {}, total=total)


def syncrun_start(*, run: SyncRun, total: int | None = None) -> SyncRun:
    """Mark a run as running. Re-delivery of the same task (worker died) restarts it: the
    jobs themselves are idempotent upserts, so counters restart from zero."""
    now = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.RUNNING, started_at=now, finished_at=None, error="", done=0, total=total,
        rows_written=0,
    )
    run.refresh_from_db()
    return run


def syncrun_progress(
    *, run: SyncRun, done: int | None = None, advance: int = 0, total: int | None = None,
    rows: int = 0, aws_calls: int = 0, message: str | None = None,
) -> None:
    """Record progress with a single UPDATE (safe from any process, outside the job's transaction)."""
    changes: dict = {}
    if total is not None:
        changes["total"] = total
    if done is not None:
        changes["done"] = done
    elif advance:
        changes["done"] = F("done") + advance
    if rows:
        changes["rows_written"] = F("rows_written") + rows
    if aws_calls:
        changes["aws_calls"] = F("aws_calls") + aws_calls
    if message is not None:
        changes["message"] = message[:255]
    if changes:
        SyncRun.objects.filter(pk=run.pk).update(**changes)


def syncrun_succeed(*, run: SyncRun, result: dict | None = None, message: str = "") -> SyncRun:
    run.refresh_from_db()
    run.status = SyncRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    if run.total is not None:
        run.done = run.total
    run.result = result or run.result
    run.message = message[:255] or run.message
    run.save(update_fields=["status", "finished_at", "done", "result", "message"])
    return run


def syncrun_fail(*, run: SyncRun, error: str) -> SyncRun:
    run.refresh_from_db()
    run.status = SyncRun.Status.FAILED
    run.finished_at = timezone.now()
    run.error = error
    if run.total is not None and run.done > run.total:
        run.done = run.total
    run.save(update_fields=["status", "finished_at", "error", "done"])
    return run


@dataclass
class RunOutcome:
    failed: bool = False


@contextmanager
def syncrun_failures(*, run: SyncRun, nothing_changed: str) -> Iterator[RunOutcome]:
    """A task's work on its SyncRun: a run is never left "running". Bad input (ValidationError,
    PermissionDenied) fails the run with ``nothing_changed`` and the messages, and is absorbed
    (``outcome.failed`` tells the task to stop); anything else fails the run with the error's
    name and is raised again, so the worker logs it with its traceback. The work's own
    transaction has rolled back by then, hence ``nothing_changed`` ("Nothing was imported.").

        with core_services.syncrun_failures(run=run, nothing_changed="Nothing was imported.") as outcome:
            result = services.people_import(...)
        if outcome.failed:
            return
    """
    outcome = RunOutcome()
    try:
        yield outcome
    except (ValidationError, PermissionDenied) as exc:
        outcome.failed = True
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        syncrun_fail(run=run, error="\n".join([nothing_changed, *messages]))
    except Exception as exc:
        try:
            syncrun_fail(run=run, error=f"{nothing_changed} Unexpected error: {type(exc).__name__}: {exc}")
        except Exception:  # the database itself is gone: the worker's log still gets the first error
            logging.getLogger(__name__).exception("SyncRun %s could not be marked failed", run.pk)
        raise


# -- Access log -----------------------------------------------------------------------------
def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def access_log_record(
    *, user, object_type: str, object_id: str | int = "", subject=None, request=None, action: str = "read"
) -> AccessLog:
    """Write one line to the access log for a read of sensitive data (who, whose, when, where from)."""
    return AccessLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        subject_person_id=getattr(subject, "pk", None),
        subject_label=str(subject)[:200] if subject is not None else "",
        path=(request.get_full_path()[:500] if request is not None else ""),
        ip=client_ip(request),
    )


# -- Service accounts and tokens --------------------------------------------------------------
@transaction.atomic
def service_account_create(*, name: str, role: str = Role.SERVICE, description: str = "") -> ServiceAccount:
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if ServiceAccount.objects.filter(name=name).exists():
        raise ValidationError({"name": f"A service account named {name!r} exists already."})
    User = get_user_model()
    user = User(username=f"svc-{name}"[:150], is_active=True)
    user.set_unusable_password()
    user.save()
    return ServiceAccount.objects.create(name=name, user=user, role=role, description=description)


@transaction.atomic
def api_token_issue(
    *, service_account: ServiceAccount, name: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token; returns (token, clear key). The clear key is not stored anywhere."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        service_account=service_account, name=name, key_prefix=key[: len(ApiToken.PREFIX) + 6],
        key_hash=ApiToken.hash_key(key), expires_at=expires_at,
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
