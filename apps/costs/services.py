"""Every write of the costs app: imports, Cost Explorer syncs, budgets and their alerts, anomaly
detection and triage, subscriptions, savings opportunities. Keyword-only, one transaction each,
permission first (``actor``), ``ValidationError`` with field names.
"""
from __future__ import annotations

import gzip
import io
import logging
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.core.aws import error_code, is_access_denied, is_throttling
from apps.core.models import SyncRun
from apps.core.roles import Role
from apps.costs import copy_import, importers, selectors, sources
from apps.costs.models import (
    AwsAccount,
    Budget,
    BudgetAlert,
    CostAnomaly,
    CostEntry,
    CostForecast,
    CostMonthEntry,
    CostSource,
    CostTagEntry,
    CostUpload,
    FxRate,
    SavingsOpportunity,
    TagRule,
    ToolSubscription,
    TopResource,
)
from apps.org.models import Person, Team

logger = logging.getLogger(__name__)
BATCH_SIZE = 2000
CE_BACKFILL_DAYS = 365  # first run: up to 12 months back
CE_RESTATE_DAYS = 5  # later runs: re-read the days Cost Explorer still restates
ANOMALY_LOOKBACK_DAYS = 28
CENT = Decimal("0.01")

SYSTEM = Actor(role=Role.CTO)  # scheduled jobs and management commands act with full rights


def _require_admin(actor: Actor) -> None:
    if not selectors.can_admin_costs(actor):
        raise PermissionDenied("Only finance and the CTO may change costs.")


# -- File import ------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    rows: int
    entries: int
    deleted: int
    periods: list[tuple[str, str, str]]
    formats: list[str]
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "entries": self.entries, "deleted": self.deleted, "periods": self.periods,
                "formats": self.formats, "files": self.files}


def cost_tag_keys() -> set[str]:
    """The tag keys the cost tag dimension keeps: ``settings.COST_TAG_KEYS`` and the tag rules' keys."""
    keys = {importers.Attribution._normalise_key(k) for k in settings.COST_TAG_KEYS}
    keys |= {importers.Attribution._normalise_key(k) for k in TagRule.objects.values_list("tag_key", flat=True)}
    return {k[:128] for k in keys if k}


def _attribution() -> importers.Attribution:
    rules = {(k.lower(), v.lower()): t for k, v, t in TagRule.objects.values_list("tag_key", "tag_value", "team_id")}
    accounts = {a.account_id: a for a in AwsAccount.objects.select_related("default_team")}
    return importers.Attribution(tag_rules=rules, accounts=accounts, tag_keys=cost_tag_keys())


def input_files_for(location: str) -> list[sources.InputFile]:
    """A local file or directory, or an ``s3://`` URL, as a list of files to read."""
    if location.startswith("s3://"):
        files = sources.s3_input_files(location)
    elif os.path.isdir(location):
        names = sorted(n for n in os.listdir(location) if n.endswith((".csv", ".csv.gz", ".gz")))
        files = [_local_file(os.path.join(location, n)) for n in names]
    elif os.path.isfile(location):
        files = [_local_file(location)]
    else:
        raise ValidationError({"location": f"{location}: no such file, directory or s3:// URL."})
    if not files:
        raise ValidationError({"location": f"{location}: no .csv or .csv.gz files found."})
    return files


def _local_file(path: str) -> sources.InputFile:
    return sources.InputFile(name=path, size=os.path.getsize(path), open=lambda: open(path, "rb"))


def cost_file_import(
    *, actor: Actor, files: list[sources.InputFile], fmt: str | None = None,
    progress: Callable[[int, int | None, int], None] | None = None, source: str | None = None,
) -> ImportResult:
    """Import FOCUS or CUR files, all or nothing.

    Everything happens in ONE transaction: the files are aggregated to daily facts (and the
    tag dimension and top resources); then the billing periods the files cover are deleted
    (per provider and billing account: exports restate the whole period), the new facts
    inserted and the monthly roll-up of the months touched rebuilt. A bad row raises and rolls
    everything back, so importing the same files twice gives the same rows and totals, and a
    bad file changes nothing.

    On PostgreSQL the files go through ``COPY`` and are checked and aggregated in SQL
    (:mod:`apps.costs.copy_import`); when that path cannot decide like the streaming reader
    (odd rows, encodings) it rolls back to a savepoint and the streaming reader below imports
    the files instead (on PostgreSQL its partial sums spill to a staging table, so memory stays
    bounded). Elsewhere (SQLite) the streaming reader is the only path. Both give the same facts.

    ``progress(kbytes_done, kbytes_total, rows)`` is called while reading and writing.
    """
    _require_admin(actor)
    if fmt is not None and fmt not in importers.FORMATS:
        raise ValidationError({"format": f"Unknown format {fmt!r}: use focus or cur."})
    parsed = importers.ParsedFile()
    attribution = _attribution()
    total_kb = max(1, sum(f.size for f in files) // 1024) if all(f.size for f in files) else None
    done_kb = 0
    staged = connection.vendor == "postgresql"
    with transaction.atomic():
        if staged and settings.COSTS_COPY_IMPORT:
            try:
                with transaction.atomic():
                    return _copy_file_import(files=files, fmt=fmt, attribution=attribution, progress=progress,
                                             total_kb=total_kb, source=source)
            except copy_import.Fallback as exc:
                logger.info("Cost import: the streaming reader takes over (%s)", exc)
                attribution = _attribution()
        if staged:
            _stage_create()
            parsed.spill = _stage_copy
        for f in files:
            raw = f.open()
            text, counter = sources.text_stream(raw)
            base_kb = done_kb

            def report(rows: int, counter=counter, base_kb=base_kb) -> None:
                if progress:
                    progress(base_kb + counter.bytes_read // 1024, total_kb, rows)

            try:
                importers.parse_csv(text, name=os.path.basename(f.name) if not f.name.startswith("s3://") else f.name,
                                    fmt=fmt, attribution=attribution, into=parsed, progress=report)
            finally:
                text.close()
            done_kb = base_kb + counter.bytes_read // 1024
            report(parsed.rows)
        if parsed.rows == 0:
            raise ValidationError({"file": "The file has a header but no rows: nothing to import."})
        entry_source = source or (CostSource.FOCUS if parsed.formats == {importers.FOCUS} else CostSource.CUR)
        deleted, written = _replace_periods(parsed, entry_source, staged=staged, progress=lambda n: progress and progress(
            done_kb, total_kb, parsed.rows))
    return ImportResult(
        rows=parsed.rows, entries=written, deleted=deleted, formats=sorted(parsed.formats),
        periods=sorted((p, b, d.isoformat()) for p, b, d in parsed.periods), files=[f.name for f in files],
    )


def _display_name(f: sources.InputFile) -> str:
    return f.name if f.name.startswith("s3://") else os.path.basename(f.name)


def _copy_file_import(*, files: list[sources.InputFile], fmt: str | None, attribution: importers.Attribution,
                      progress, total_kb: int | None, source: str | None) -> ImportResult:
    """The PostgreSQL path of ``cost_file_import`` (inside its transaction and a savepoint)."""
    with connection.cursor() as cursor:
        # Server-side memory for the GROUP BYs and the sort (the import's own process stays small).
        cursor.execute("SET LOCAL work_mem = '256MB'")
    _stage_create()
    copy_import.create_tables()
    result = copy_import.CopyResult()
    done_kb = 0
    for f in files:
        base_kb = done_kb
        read = {"bytes": 0}

        def report(nbytes: int, lines: int, base_kb=base_kb, read=read) -> None:
            read["bytes"] = nbytes
            if progress:
                progress(base_kb + nbytes // 1024, total_kb, result.rows + lines)

        copy_import.import_file(raw=f.open(), name=_display_name(f), fmt=fmt, attribution=attribution, into=result,
                                progress=report)
        done_kb = base_kb + read["bytes"] // 1024
        if progress:
            progress(done_kb, total_kb, result.rows)
    if result.rows == 0:
        raise ValidationError({"file": "The file has a header but no rows: nothing to import."})
    entry_source = source or (CostSource.FOCUS if result.formats == {importers.FOCUS} else CostSource.CUR)
    months = _period_months(result.periods)
    deleted = _delete_periods(result.periods)
    written = copy_import.write_facts(result, source=entry_source)
    copy_import.finish(source=entry_source)
    _rollup_after_import(result.periods, months)
    return ImportResult(
        rows=result.rows, entries=written, deleted=deleted, formats=sorted(result.formats),
        periods=sorted((p, b, d.isoformat()) for p, b, d in result.periods), files=[f.name for f in files],
    )


def _delete_periods(periods) -> int:
    """Delete the facts, tag entries and top resources of these (provider, billing account,
    billing period) scopes; returns the number of daily facts deleted."""
    deleted = 0
    for provider, billing_account, period in sorted(periods):
        n, _ = CostEntry.objects.filter(provider=provider, billing_account_id=billing_account,
                                        billing_period=period).delete()
        deleted += n
        CostTagEntry.objects.filter(provider=provider, billing_account_id=billing_account,
                                    billing_period=period).delete()
        TopResource.objects.filter(provider=provider, billing_account_id=billing_account, month=period).delete()
    return deleted


def _replace_periods(parsed: importers.ParsedFile, source: str, *, staged: bool = False,
                     progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    months = _period_months(parsed.periods)
    deleted = _delete_periods(parsed.periods)
    CostTagEntry.objects.bulk_create([
        CostTagEntry(date=day, billing_period=period, provider=provider, billing_account_id=billing_account,
                     sub_account_id=sub_account, tag_key=tag_key, tag_value=tag_value, currency=currency,
                     cost=amounts[0], amortized_cost=amounts[1], source=source)
        for (day, period, provider, billing_account, sub_account, tag_key, tag_value, currency), amounts
        in parsed.tag_facts.items()
    ], batch_size=BATCH_SIZE)
    TopResource.objects.bulk_create([
        TopResource(month=period, provider=provider, billing_account_id=billing_account, resource_id=resource,
                    currency=currency, cost=entry[0], service=entry[1], sub_account_id=entry[2], team_id=entry[3],
                    resource_name=entry[4])
        for (period, provider, billing_account, resource, currency), entry in parsed.top_resources(TopResource.TOP_N)
    ], batch_size=BATCH_SIZE)
    if staged:
        _stage_copy(parsed.facts)
        parsed.facts = {}
        written = _stage_insert(source)
        _rollup_after_import(parsed.periods, months)
        return deleted, written
    written = 0
    batch: list[CostEntry] = []
    for key, fact in parsed.facts.items():
        day, period, provider, billing_account, sub_account, service, region, team_id, currency = key
        batch.append(CostEntry(
            date=day, billing_period=period, provider=provider, billing_account_id=billing_account,
            sub_account_id=sub_account, sub_account_name=fact.sub_account_name, account_id=fact.account_id,
            service=service, service_category=fact.service_category, region=region, team_id=team_id,
            cost=fact.cost, amortized_cost=fact.amortized, currency=currency, source=source,
        ))
        if len(batch) >= BATCH_SIZE:
            CostEntry.objects.bulk_create(batch)
            written += len(batch)
            batch = []
            if progress:
                progress(written)
    if batch:
        CostEntry.objects.bulk_create(batch)
        written += len(batch)
    _rollup_after_import(parsed.periods, months)
    return deleted, written


# -- Monthly roll-up --------------------------------------------------------------------------------
def _period_months(periods) -> dict[tuple[str, str], set[date]]:
    """Per (provider, billing account): the months of the dates the facts of these billing
    periods fall in (a billing period's charges may be dated outside its month)."""
    months: dict[tuple[str, str], set[date]] = {}
    for provider, billing_account, period in periods:
        found = set(CostEntry.objects.filter(provider=provider, billing_account_id=billing_account,
                                             billing_period=period).dates("date", "month"))
        months.setdefault((provider, billing_account), set()).update(found | {period.replace(day=1)})
    return months


def _rollup_after_import(periods, months_before: dict[tuple[str, str], set[date]]) -> None:
    after = _period_months(periods)
    for scope, months in after.items():
        cost_rollup_refresh(provider=scope[0], billing_account_id=scope[1],
                            months=months | months_before.get(scope, set()))


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def cost_rollup_refresh(*, months: set[date] | list[date], provider: str | None = None,
                        billing_account_id: str | None = None, sub_account_id: str | None = None) -> int:
    """Rebuild the monthly roll-up of ``months`` (optionally only one provider / billing account
    / sub-account) from the daily facts, in one INSERT ... SELECT. Callers run it inside the
    transaction that changed the facts, so readers never see the two disagree."""
    from django.db.models import Max, Sum
    from django.db.models.functions import TruncMonth

    written = 0
    for month in sorted({m.replace(day=1) for m in months}):
        scope = {"provider": provider, "billing_account_id": billing_account_id, "sub_account_id": sub_account_id}
        scope = {k: v for k, v in scope.items() if v is not None}
        CostMonthEntry.objects.filter(month=month, **scope).delete()
        facts = (CostEntry.objects.filter(date__gte=month, date__lte=_month_end(month), **scope).order_by()
                 .annotate(month_=TruncMonth("date"))
                 .values("month_", "provider", "billing_account_id", "sub_account_id", "service", "region", "team_id",
                         "currency")
                 .annotate(name_=Max("sub_account_name"), account_=Max("account_id"), cost_=Sum("cost"),
                           amortized_=Sum("amortized_cost")))
        sql, params = facts.query.sql_with_params()
        columns = ("month", "provider", "billing_account_id", "sub_account_id", "service", "region", "team_id",
                   "currency", "sub_account_name", "account_id", "cost", "amortized_cost")
        with connection.cursor() as cursor:
            # The SELECT is the ORM's own (values() columns, then the annotations, in order).
            cursor.execute(f"INSERT INTO {CostMonthEntry._meta.db_table} ({', '.join(columns)}) {sql}", params)  # nosec B608
            written += max(cursor.rowcount, 0)
    return written


STAGE_TABLE = "costs_import_stage"
STAGE_COLUMNS = ("date", "billing_period", "provider", "billing_account_id", "sub_account_id", "sub_account_name",
                 "account_id", "service", "service_category", "region", "team_id", "cost", "amortized_cost", "currency")
NATURAL_KEY = ("date", "billing_period", "provider", "billing_account_id", "sub_account_id", "service", "region",
               "team_id", "currency")


def _stage_create() -> None:
    """A temporary staging table for partial sums (PostgreSQL; dropped at the end of the import)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGE_TABLE} (date date, billing_period date, provider text, "
            "billing_account_id text, sub_account_id text, sub_account_name text, account_id bigint, service text, "
            "service_category text, region text, team_id bigint, cost numeric, amortized_cost numeric, "
            "currency text) ON COMMIT DROP"
        )


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _stage_copy(facts: dict) -> None:
    """COPY a batch of partial daily sums into the staging table."""
    if not facts:
        return
    buffer = io.StringIO()
    for key, fact in facts.items():
        day, period, provider, billing_account, sub_account, service, region, team_id, currency = key
        buffer.write("\t".join((
            day.isoformat(), period.isoformat(), _copy_text(provider), _copy_text(billing_account),
            _copy_text(sub_account), _copy_text(fact.sub_account_name), _copy_text(fact.account_id),
            _copy_text(service), _copy_text(fact.service_category), _copy_text(region), _copy_text(team_id),
            str(fact.cost), str(fact.amortized), currency,
        )))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {STAGE_TABLE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN", buffer)


def _stage_insert(source: str) -> int:
    """Sum the staged partial sums per natural key into CostEntry, in SQL."""
    key = ", ".join(NATURAL_KEY)
    # Only constant identifiers (model table, fixed column list) are formatted in; values are bound.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CostEntry._meta.db_table} ({key}, sub_account_name, account_id, service_category, cost, "  # nosec B608
            f"amortized_cost, source, created_at) "
            f"SELECT {key}, max(sub_account_name COLLATE \"C\"), max(account_id), max(service_category COLLATE \"C\"), sum(cost), "
            f"sum(amortized_cost), %s, now() FROM {STAGE_TABLE} GROUP BY {key} "
            # In natural-key order: the unique index fills page by page instead of at random.
            f"ORDER BY date, provider, billing_account_id, sub_account_id, service, region, coalesce(team_id, 0), "
            f"currency",
            [source],
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {STAGE_TABLE}")
    return written


def cost_upload_create(*, actor: Actor, filename: str, content: bytes, fmt: str = "", user=None) -> CostUpload:
    """Hold an uploaded file (gzipped) for the worker."""
    _require_admin(actor)
    if fmt and fmt not in importers.FORMATS:
        raise ValidationError({"format": f"Unknown format {fmt!r}: use focus or cur."})
    if content[:2] != b"\x1f\x8b":
        content = gzip.compress(content)
    return CostUpload.objects.create(filename=filename[:255], content=content, format=fmt, uploaded_by=user)


def cost_upload_import(*, actor: Actor, upload: CostUpload, progress=None) -> ImportResult:
    data = bytes(upload.content)
    f = sources.InputFile(name=upload.filename, size=len(data), open=lambda: io.BytesIO(data))
    result = cost_file_import(actor=actor, files=[f], fmt=upload.format or None, progress=progress)
    CostUpload.objects.filter(pk=upload.pk).delete()
    return result


# -- Cost Explorer -----------------------------------------------------------------------------------
@dataclass
class AccountSyncResult:
    account_id: str
    status: str  # "ok", "access_denied", "error"
    start: str = ""
    end: str = ""
    entries: int = 0
    calls: int = 0
    error: str = ""


def ce_window(*, account: AwsAccount, today: date) -> tuple[date, date]:
    """[start, end) for this account: a 12-month backfill the first time, afterwards only the
    last few days (Cost Explorer restates recent days; each request costs $0.01)."""
    has_data = CostEntry.objects.filter(account=account, source=CostSource.CE).exists()
    start = today - timedelta(days=CE_RESTATE_DAYS if has_data else CE_BACKFILL_DAYS)
    return start, today


def cost_explorer_sync(
    *, actor: Actor, account_ids: list[str] | None = None, today: date | None = None, run: SyncRun | None = None,
    client_factory: Callable[[AwsAccount], object] = sources.ce_client_for,
    sleep: Callable[[float], None] = time.sleep,
    on_account: Callable[[int, int, AccountSyncResult], None] | None = None,
) -> list[AccountSyncResult]:
    """Pull daily costs for every enabled account (or ``account_ids``). Each account is its own
    transaction: an account that answers AccessDenied (or keeps throttling) is recorded and the
    others go on. Calls made are added to ``run.aws_calls``."""
    from apps.core import services as core_services

    _require_admin(actor)
    today = today or timezone.now().date()
    accounts = AwsAccount.objects.filter(enabled=True).select_related("default_team").order_by("account_id")
    if account_ids:
        accounts = accounts.filter(account_id__in=account_ids)
        missing = set(account_ids) - set(accounts.values_list("account_id", flat=True))
        if missing:
            raise ValidationError({"account": f"Unknown or disabled account(s): {', '.join(sorted(missing))}."})
    accounts = list(accounts)
    payer = next((a for a in accounts if a.is_payer), None) or AwsAccount.objects.filter(is_payer=True).first()
    attribution = _attribution()
    if run is not None:
        core_services.syncrun_progress(run=run, total=len(accounts), done=0)
    results: list[AccountSyncResult] = []
    for account in accounts:
        start, end = ce_window(account=account, today=today)
        calls = sources.AwsCallCount()
        outcome = AccountSyncResult(account_id=account.account_id, status="ok", start=start.isoformat(),
                                    end=end.isoformat())
        try:
            client = client_factory(account)
            records = list(sources.cost_and_usage(client, account_id=account.account_id, start=start, end=end,
                                                  calls=calls, sleep=sleep))
            tag_records = [
                record
                for tag_key in settings.COST_CE_TAG_KEYS if tag_key.lower() != sources.TEAM_TAG_KEY
                for record in sources.cost_by_tag_key(client, account_id=account.account_id, start=start, end=end,
                                                      tag_key=tag_key, calls=calls, sleep=sleep)
            ]
            outcome.entries = _replace_ce_window(account=account, payer=payer, start=start, end=end,
                                                 records=records, attribution=attribution, tag_records=tag_records)
        except Exception as exc:  # one account's failure must not stop the others
            if is_access_denied(exc):
                outcome.status = "access_denied"
            else:
                outcome.status = "error"
            code = error_code(exc)
            outcome.error = f"{code}: {exc}" if code else f"{type(exc).__name__}: {exc}"
            if not (code or is_throttling(exc)) and not isinstance(exc, OSError | ValueError | KeyError):
                # A programming error is not an AWS answer: still recorded, but visible in logs.
                import logging

                logging.getLogger(__name__).exception("Cost Explorer sync of %s failed", account.account_id)
        outcome.calls = calls.count
        results.append(outcome)
        if run is not None:
            core_services.syncrun_progress(run=run, advance=1, rows=outcome.entries, aws_calls=calls.count,
                                           message=f"{account.name}: {outcome.status}")
        if on_account is not None:
            on_account(len(results), len(accounts), outcome)
    return results


@transaction.atomic
def _replace_ce_window(*, account: AwsAccount, payer: AwsAccount | None, start: date, end: date,
                       records: list[sources.CeRecord], attribution: importers.Attribution,
                       tag_records: list[sources.CeTagRecord] = ()) -> int:
    """Replace this account's AWS facts for [start, end) with what Cost Explorer answered."""
    old_months = set(CostEntry.objects.filter(provider="AWS", sub_account_id=account.account_id, date__gte=start,
                                              date__lt=end).dates("date", "month"))
    CostEntry.objects.filter(provider="AWS", sub_account_id=account.account_id, date__gte=start, date__lt=end).delete()
    CostTagEntry.objects.filter(provider="AWS", sub_account_id=account.account_id, date__gte=start,
                                date__lt=end).delete()
    facts: dict[tuple, list[Decimal]] = {}
    tag_facts: dict[tuple, list[Decimal]] = {}
    tracked = attribution.tag_keys
    for r in records:
        tags = {"team": r.team_tag} if r.team_tag else {}
        team_id, _ = attribution.resolve_tags(tags, account.account_id)
        key = (r.date, r.service[:200], team_id, r.currency)
        fact = facts.setdefault(key, [Decimal("0"), Decimal("0")])
        fact[0] += r.unblended
        fact[1] += r.amortized
        for tag_key, tag_value in (attribution.tag_pairs(tags) if "team" in tracked else ()):
            entry = tag_facts.setdefault((r.date, tag_key, tag_value, r.currency), [Decimal("0"), Decimal("0")])
            entry[0] += r.unblended
            entry[1] += r.amortized
    for t in tag_records:  # the GroupBy TAG pulls: the same cost again, by one tag key
        for tag_key, tag_value in attribution.tag_pairs({t.tag_key: t.tag_value}):
            entry = tag_facts.setdefault((t.date, tag_key, tag_value, t.currency), [Decimal("0"), Decimal("0")])
            entry[0] += t.unblended
            entry[1] += t.amortized
    billing_account = payer.account_id if payer else account.account_id
    entries = [
        CostEntry(date=day, billing_period=day.replace(day=1), provider="AWS", billing_account_id=billing_account,
                  sub_account_id=account.account_id, sub_account_name=account.name, account=account,
                  service=service, region="", team_id=team_id, cost=cost, amortized_cost=amortized,
                  currency=currency, source=CostSource.CE)
        for (day, service, team_id, currency), (cost, amortized) in facts.items()
    ]
    CostEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
    CostTagEntry.objects.bulk_create([
        CostTagEntry(date=day, billing_period=day.replace(day=1), provider="AWS", billing_account_id=billing_account,
                     sub_account_id=account.account_id, tag_key=tag_key, tag_value=tag_value, currency=currency,
                     cost=cost, amortized_cost=amortized, source=CostSource.CE)
        for (day, tag_key, tag_value, currency), (cost, amortized) in tag_facts.items()
    ], batch_size=BATCH_SIZE)
    new_months = {d.replace(day=1) for d, *_ in facts}
    cost_rollup_refresh(months=old_months | new_months, provider="AWS", sub_account_id=account.account_id)
    return len(entries)


def _forecast_filter(budget: Budget) -> dict | None:
    if budget.scope == Budget.Scope.TEAM:
        return {"Tags": {"Key": sources.TEAM_TAG_KEY, "Values": [budget.team.slug]}}
    if budget.scope == Budget.Scope.ACCOUNT:
        return {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [budget.account.account_id]}}
    if budget.scope == Budget.Scope.SERVICE:
        return {"Dimensions": {"Key": "SERVICE", "Values": [budget.service]}}
    return None


def budget_forecasts_sync(
    *, actor: Actor, today: date | None = None, client_factory: Callable[[AwsAccount], object] = sources.ce_client_for,
    sleep: Callable[[float], None] = time.sleep, run: SyncRun | None = None,
) -> list[CostForecast]:
    """Cost Explorer's forecast (GetCostForecast, read in the payer account) for the rest of
    each active budget's period, one request per budget ($0.01 each), upserted per budget and
    period. A budget Cost Explorer cannot forecast (too little history) keeps the run-rate.
    Team budgets are forecast through the ``team`` cost-allocation tag."""
    from apps.core import services as core_services

    _require_admin(actor)
    today = today or timezone.now().date()
    payer = AwsAccount.objects.filter(is_payer=True, enabled=True).first()
    if payer is None:
        return []
    client = client_factory(payer)
    calls = sources.AwsCallCount()
    saved: list[CostForecast] = []
    try:
        for budget in Budget.objects.filter(is_active=True).select_related("team", "account").order_by("pk"):
            start, end = selectors.period_bounds(today, budget.period)
            result = sources.cost_forecast(client, start=today, end=end + timedelta(days=1),
                                           filter_=_forecast_filter(budget), calls=calls, sleep=sleep)
            if result is None:
                CostForecast.objects.filter(budget=budget, period_start=start).delete()
                continue
            amount, currency = result
            forecast, _ = CostForecast.objects.update_or_create(
                budget=budget, period_start=start,
                defaults={"as_of": today, "amount": amount, "currency": currency, "fetched_at": timezone.now()})
            saved.append(forecast)
    finally:
        if run is not None:
            core_services.syncrun_progress(run=run, aws_calls=calls.count)
    return saved


def rightsizing_sync(
    *, actor: Actor, client_factory: Callable[[AwsAccount], object] = sources.ce_client_for,
    sleep: Callable[[float], None] = time.sleep, run: SyncRun | None = None,
) -> list[SavingsOpportunity]:
    """Cost Explorer's EC2 rightsizing recommendations (read in the payer account) as savings
    opportunities, upserted by (source, account:resource:action): a re-run updates the estimate
    and keeps the status the team set."""
    from apps.core import services as core_services

    _require_admin(actor)
    payer = AwsAccount.objects.filter(is_payer=True, enabled=True).first()
    if payer is None:
        return []
    calls = sources.AwsCallCount()
    try:
        records = list(sources.rightsizing_recommendations(client_factory(payer), calls=calls, sleep=sleep))
    finally:
        if run is not None:
            core_services.syncrun_progress(run=run, aws_calls=calls.count)
    accounts = {a.account_id: a for a in AwsAccount.objects.select_related("default_team")}
    out = []
    with transaction.atomic():
        for r in records:
            account = accounts.get(r.account_id)
            what = f"to {r.target_type}" if r.action == "Modify" else "(idle: terminate)"
            opp, _ = SavingsOpportunity.objects.update_or_create(
                source=SavingsOpportunity.Source.RIGHTSIZING, external_id=f"{r.account_id}:{r.resource_id}:{r.action}"[:255],
                defaults={"title": f"Rightsize {r.instance_name or r.resource_id} ({r.current_type}) {what}"[:200],
                          "account": account, "service": "Amazon Elastic Compute Cloud",
                          "team": account.default_team if account else None,
                          "estimated_monthly": r.monthly_savings.quantize(CENT), "currency": r.currency},
            )
            out.append(opp)
    return out


# -- Budgets --------------------------------------------------------------------------------------------
BUDGET_FIELDS = ("name", "scope", "team", "account", "service", "period", "amount", "currency", "thresholds",
                 "alert_on_forecast", "is_active")


def _clean_budget(budget: Budget) -> None:
    errors: dict[str, str] = {}
    if budget.amount is None or budget.amount <= 0:
        errors["amount"] = "The budget must be more than zero."
    if budget.scope == Budget.Scope.TEAM and budget.team_id is None:
        errors["team"] = "A team budget needs a team."
    if budget.scope == Budget.Scope.ACCOUNT and budget.account_id is None:
        errors["account"] = "An account budget needs an account."
    if budget.scope == Budget.Scope.SERVICE and not budget.service:
        errors["service"] = "A service budget needs a service name."
    if budget.scope != Budget.Scope.TEAM:
        budget.team = None
    if budget.scope != Budget.Scope.ACCOUNT:
        budget.account = None
    if budget.scope != Budget.Scope.SERVICE:
        budget.service = ""
    thresholds = budget.thresholds if budget.thresholds is not None else []
    if not isinstance(thresholds, list) or not all(isinstance(t, int) and not isinstance(t, bool) and 1 <= t <= 1000
                                                   for t in thresholds):
        errors["thresholds"] = "Thresholds are whole percentages between 1 and 1000, e.g. [80, 100]."
    else:
        budget.thresholds = sorted(set(thresholds))
    if errors:
        raise ValidationError(errors)
    budget.full_clean(exclude=["team", "account"])


@transaction.atomic
def budget_create(*, actor: Actor, **fields) -> Budget:
    _require_admin(actor)
    unknown = set(fields) - set(BUDGET_FIELDS)
    if unknown:
        raise ValidationError({f: "Unknown field." for f in unknown})
    fields.setdefault("currency", settings.REPORTING_CURRENCY)
    fields.setdefault("thresholds", [80, 100])
    budget = Budget(**fields)
    _clean_budget(budget)
    budget.save()
    return budget


@transaction.atomic
def budget_update(*, actor: Actor, budget: Budget, **fields) -> Budget:
    _require_admin(actor)
    for name, value in fields.items():
        if name not in BUDGET_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(budget, name, value)
    _clean_budget(budget)
    budget.save()
    return budget


def _budget_recipients(budget: Budget) -> list[str]:
    roles = [Role.CTO, Role.FINANCE]
    emails = list(Person.objects.filter(is_active=True, role__in=roles).values_list("email", flat=True))
    if budget.team_id:
        em = team_em(budget.team)
        if em:
            emails.append(em.email)
    return sorted(set(emails))


def budget_alerts_check(*, today: date | None = None, notify: bool = True) -> list[BudgetAlert]:
    """Create the alerts every active budget has earned this period: each threshold reached,
    and "forecast over budget", once per budget, period and threshold (a unique constraint
    guards against two workers racing). New alerts are emailed."""
    today = today or timezone.now().date()
    fx = selectors.FxTable()
    created: list[BudgetAlert] = []
    budgets = Budget.objects.filter(is_active=True).select_related("team", "account")
    for status in selectors.budget_statuses_for(budgets, today=today, fx=fx):
        budget = status.budget
        due: list[int] = [t for t in budget.thresholds if status.spent * 100 >= budget.amount * t]
        if budget.alert_on_forecast and status.forecast_over:
            due.append(BudgetAlert.FORECAST)
        for threshold in due:
            try:
                with transaction.atomic():
                    alert, is_new = BudgetAlert.objects.get_or_create(
                        budget=budget, period_start=status.period_start, threshold=threshold,
                        defaults={"spent": status.spent, "forecast": status.forecast, "currency": budget.currency},
                    )
            except IntegrityError:
                continue
            if is_new:
                created.append(alert)
            if is_new and notify:
                send_mail(
                    subject=f"[CTO Portal] Budget {budget.name}: {alert.label}",
                    message=(f"{budget.name} ({budget.get_period_display().lower()} budget {budget.amount} "
                             f"{budget.currency}): spent {status.spent}, forecast {status.forecast} "
                             f"{budget.currency} for {status.period_start:%Y-%m-%d} to {status.period_end:%Y-%m-%d}."),
                    from_email=None, recipient_list=_budget_recipients(budget), fail_silently=True,
                )
    return created


# -- Anomalies -----------------------------------------------------------------------------------------
def team_em(team: Team | None) -> Person | None:
    """The team's EM: an active EM in the team, else the first EM above its lead."""
    if team is None:
        return None
    em = Person.objects.filter(team=team, role=Role.EM, is_active=True).order_by("pk").first()
    if em:
        return em
    person = team.lead
    seen: set[int] = set()
    while person is not None and person.pk not in seen:
        seen.add(person.pk)
        if person.role == Role.EM and person.is_active:
            return person
        person = person.manager
    return None


@dataclass
class Baseline:
    expected: Decimal
    threshold: Decimal


def baseline(history: dict[date, Decimal], day: date, *, lookback: int = ANOMALY_LOOKBACK_DAYS) -> Baseline | None:
    """Weekday-aware robust baseline: the expected cost of ``day`` is the median of the same
    weekday over the last ``lookback`` days; the spread is the MAD of every day's deviation from
    its own weekday median (so a weekly rhythm is not noise). Missing days count as zero."""
    days = [day - timedelta(days=i) for i in range(1, lookback + 1)]
    values = {d: history.get(d, Decimal("0")) for d in days}
    if sum(1 for d in days if d in history) < lookback // 2:
        return None  # not enough history to judge
    by_weekday: dict[int, list[Decimal]] = {}
    for d, v in values.items():
        by_weekday.setdefault(d.weekday(), []).append(v)
    medians = {wd: Decimal(statistics.median(vs)) for wd, vs in by_weekday.items()}
    deviations = [abs(v - medians[d.weekday()]) for d, v in values.items()]
    mad = Decimal(statistics.median(deviations)) * Decimal("1.4826")
    expected = medians.get(day.weekday(), Decimal("0"))
    # At least 3 robust sigmas, 20% of the expected cost and one currency unit.
    threshold = max(3 * mad, expected * Decimal("0.2"), Decimal("1"))
    return Baseline(expected=expected, threshold=threshold)


def anomalies_detect(*, day: date | None = None) -> list[CostAnomaly]:
    """Find spikes on ``day`` (default: yesterday) per service and per team, and upsert them
    by (day, dimension, key): a re-run updates the figures but keeps the triage."""
    day = day or (timezone.now().date() - timedelta(days=1))
    fx = selectors.FxTable()
    start = day - timedelta(days=ANOMALY_LOOKBACK_DAYS)
    teams = {t.slug: t for t in Team.objects.select_related("lead__manager")}
    found: list[CostAnomaly] = []
    service_team = _service_top_team(day)
    for dimension in (CostAnomaly.Dimension.SERVICE, CostAnomaly.Dimension.TEAM):
        totals = selectors.daily_totals(start=start, end=day, dimension=dimension, fx=fx)
        for key, history in totals.items():
            actual = history.get(day)
            if actual is None:
                continue
            base = baseline(history, day)
            if base is None or actual - base.expected <= base.threshold:
                continue
            team = teams.get(key) if dimension == CostAnomaly.Dimension.TEAM else service_team.get(key)
            with transaction.atomic():
                anomaly, _ = CostAnomaly.objects.update_or_create(
                    date=day, dimension=dimension, key=key[:200], currency=fx.reporting,
                    defaults={"expected": base.expected.quantize(CENT), "actual": actual.quantize(CENT),
                              "impact": (actual - base.expected).quantize(CENT), "team": team,
                              "owner": team_em(team)},
                )
            found.append(anomaly)
    return found


def _service_top_team(day: date) -> dict[str, Team]:
    """For each service, the team with the largest cost that day (the anomaly's owner team)."""
    from django.db.models import Sum

    best: dict[str, tuple[Decimal, int]] = {}
    rows = (CostEntry.objects.filter(date=day, team__isnull=False).order_by().values("service", "team_id")
            .annotate(cost=Sum("cost")))
    for row in rows:
        if row["service"] not in best or row["cost"] > best[row["service"]][0]:
            best[row["service"]] = (row["cost"], row["team_id"])
    teams = Team.objects.select_related("lead__manager").in_bulk({t for _, t in best.values()})
    return {service: teams[team_id] for service, (_, team_id) in best.items() if team_id in teams}


def can_triage(actor: Actor, anomaly: CostAnomaly) -> bool:
    team_ids = selectors.visible_team_ids(actor)
    if team_ids is None:
        return selectors.can_view_costs(actor)
    return anomaly.team_id is not None and anomaly.team_id in team_ids


@transaction.atomic
def cost_anomaly_triage(*, actor: Actor, anomaly: CostAnomaly, status: str, note: str = "") -> CostAnomaly:
    if not can_triage(actor, anomaly):
        raise PermissionDenied("You may not triage this anomaly.")
    if status not in CostAnomaly.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status in (CostAnomaly.Status.EXPECTED, CostAnomaly.Status.RESOLVED) and not (note or anomaly.note).strip():
        raise ValidationError({"note": "Say why it is expected or how it was resolved."})
    anomaly = CostAnomaly.objects.select_for_update().get(pk=anomaly.pk)
    anomaly.status = status
    if note:
        anomaly.note = note
    anomaly.triaged_by = actor.person
    anomaly.triaged_at = timezone.now()
    anomaly.save(update_fields=["status", "note", "triaged_by", "triaged_at", "updated_at"])
    return anomaly


# -- Subscriptions -----------------------------------------------------------------------------------
SUBSCRIPTION_FIELDS = ("vendor", "product", "category", "owner_team", "owner", "amount", "currency", "billing_period",
                       "seats_purchased", "seats_used", "renewal_date", "notice_days", "notes", "is_active")


def _save_subscription(sub: ToolSubscription) -> ToolSubscription:
    errors = {}
    if sub.seats_used is not None and sub.seats_purchased is not None and sub.seats_used > sub.seats_purchased:
        errors["seats_used"] = "More seats used than bought."
    clash = ToolSubscription.objects.filter(vendor__iexact=sub.vendor, product__iexact=sub.product).exclude(pk=sub.pk)
    if clash.exists():
        errors["product"] = f"{sub.vendor} {sub.product} is already tracked."
    if errors:
        raise ValidationError(errors)
    sub.full_clean(exclude=["owner_team", "owner"], validate_unique=False, validate_constraints=False)
    sub.save()
    return sub


@transaction.atomic
def tool_subscription_create(*, actor: Actor, **fields) -> ToolSubscription:
    _require_admin(actor)
    unknown = set(fields) - set(SUBSCRIPTION_FIELDS)
    if unknown:
        raise ValidationError({f: "Unknown field." for f in unknown})
    fields.setdefault("currency", settings.REPORTING_CURRENCY)
    return _save_subscription(ToolSubscription(**fields))


@transaction.atomic
def tool_subscription_update(*, actor: Actor, subscription: ToolSubscription, **fields) -> ToolSubscription:
    _require_admin(actor)
    for name, value in fields.items():
        if name not in SUBSCRIPTION_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(subscription, name, value)
    return _save_subscription(subscription)


REMINDER_DAYS = 14


def subscription_reminders_send(*, today: date | None = None) -> list[ToolSubscription]:
    """Email the owner and finance when a renewal's notice deadline is within two weeks; once
    per renewal date (``reminder_sent_for``, claimed with a conditional UPDATE)."""
    today = today or timezone.now().date()
    sent = []
    for sub in ToolSubscription.objects.filter(is_active=True, renewal_date__isnull=False).select_related("owner"):
        deadline = sub.notice_deadline
        if not (today <= deadline <= today + timedelta(days=REMINDER_DAYS)):
            continue
        claimed = ToolSubscription.objects.filter(pk=sub.pk).exclude(reminder_sent_for=sub.renewal_date).update(
            reminder_sent_for=sub.renewal_date)
        if not claimed:
            continue
        recipients = set(Person.objects.filter(is_active=True, role=Role.FINANCE).values_list("email", flat=True))
        if sub.owner:
            recipients.add(sub.owner.email)
        send_mail(
            subject=f"[CTO Portal] {sub}: cancel or renegotiate by {deadline:%Y-%m-%d}",
            message=(f"{sub} renews on {sub.renewal_date:%Y-%m-%d} ({sub.amount} {sub.currency} "
                     f"{sub.get_billing_period_display().lower()}); the notice period ends {deadline:%Y-%m-%d}."),
            from_email=None, recipient_list=sorted(recipients), fail_silently=True,
        )
        sent.append(sub)
    return sent


# -- Savings opportunities -------------------------------------------------------------------------------
OPPORTUNITY_FIELDS = ("title", "source", "external_id", "account", "service", "team", "estimated_monthly",
                      "realised_monthly", "currency", "status", "notes")


def _save_opportunity(opp: SavingsOpportunity) -> SavingsOpportunity:
    if opp.status == SavingsOpportunity.Status.DONE and opp.realised_monthly is None:
        raise ValidationError({"realised_monthly": "Record the realised monthly saving when it is done."})
    if opp.external_id and SavingsOpportunity.objects.filter(
            source=opp.source, external_id=opp.external_id).exclude(pk=opp.pk).exists():
        raise ValidationError({"external_id": "This recommendation is already tracked."})
    opp.full_clean(exclude=["account", "team"], validate_unique=False, validate_constraints=False)
    opp.save()
    return opp


@transaction.atomic
def savings_opportunity_create(*, actor: Actor, **fields) -> SavingsOpportunity:
    _require_admin(actor)
    unknown = set(fields) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError({f: "Unknown field." for f in unknown})
    fields.setdefault("currency", settings.REPORTING_CURRENCY)
    return _save_opportunity(SavingsOpportunity(**fields))


@transaction.atomic
def savings_opportunity_update(*, actor: Actor, opportunity: SavingsOpportunity, **fields) -> SavingsOpportunity:
    _require_admin(actor)
    for name, value in fields.items():
        if name not in OPPORTUNITY_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(opportunity, name, value)
    return _save_opportunity(opportunity)


# -- Tag rules and FX rates (finance and the CTO, in the portal) -----------------------------------------
def _save_tag_rule(rule: TagRule) -> TagRule:
    rule.tag_key, rule.tag_value = rule.tag_key.strip(), rule.tag_value.strip()
    errors = {}
    if not rule.tag_key:
        errors["tag_key"] = "A tag key is required."
    if not rule.tag_value:
        errors["tag_value"] = "A tag value is required."
    if rule.team_id is None:
        errors["team"] = "Choose the team the tagged costs belong to."
    if not errors and TagRule.objects.filter(tag_key__iexact=rule.tag_key, tag_value__iexact=rule.tag_value).exclude(
            pk=rule.pk).exists():
        errors["tag_value"] = f"{rule.tag_key}={rule.tag_value} already has a rule."
    if errors:
        raise ValidationError(errors)
    rule.full_clean(validate_unique=False, validate_constraints=False)
    rule.save()
    return rule


@transaction.atomic
def tag_rule_create(*, actor: Actor, tag_key: str, tag_value: str, team: Team | None) -> TagRule:
    """A new attribution rule; it applies to imports and syncs from now on (facts already
    imported keep their team until their period is imported again)."""
    _require_admin(actor)
    return _save_tag_rule(TagRule(tag_key=tag_key or "", tag_value=tag_value or "", team=team))


@transaction.atomic
def tag_rule_update(*, actor: Actor, rule: TagRule, tag_key: str, tag_value: str, team: Team | None) -> TagRule:
    _require_admin(actor)
    rule.tag_key, rule.tag_value, rule.team = tag_key or "", tag_value or "", team
    return _save_tag_rule(rule)


@transaction.atomic
def tag_rule_delete(*, actor: Actor, rule: TagRule) -> None:
    _require_admin(actor)
    rule.delete()


def _save_fx_rate(rate: FxRate) -> FxRate:
    rate.currency = (rate.currency or "").strip().upper()
    errors = {}
    if not importers.CURRENCY_RE.match(rate.currency):
        errors["currency"] = "A currency is an ISO 4217 code such as EUR."
    elif rate.currency == settings.REPORTING_CURRENCY:
        errors["currency"] = f"{rate.currency} is the reporting currency: its rate is always 1."
    if rate.rate is None or rate.rate <= 0:
        errors["rate"] = "A rate is more than zero."
    if rate.valid_from is None:
        errors["valid_from"] = "The day the rate applies from is required."
    if not errors and FxRate.objects.filter(currency=rate.currency, valid_from=rate.valid_from).exclude(
            pk=rate.pk).exists():
        errors["valid_from"] = f"{rate.currency} already has a rate from {rate.valid_from}."
    if errors:
        raise ValidationError(errors)
    rate.full_clean(validate_unique=False, validate_constraints=False)
    rate.save()
    return rate


@transaction.atomic
def fx_rate_create(*, actor: Actor, currency: str, valid_from: date, rate: Decimal) -> FxRate:
    _require_admin(actor)
    return _save_fx_rate(FxRate(currency=currency, valid_from=valid_from, rate=rate))


@transaction.atomic
def fx_rate_update(*, actor: Actor, fx_rate: FxRate, currency: str, valid_from: date, rate: Decimal) -> FxRate:
    _require_admin(actor)
    fx_rate.currency, fx_rate.valid_from, fx_rate.rate = currency, valid_from, rate
    return _save_fx_rate(fx_rate)


@transaction.atomic
def fx_rate_delete(*, actor: Actor, fx_rate: FxRate) -> None:
    _require_admin(actor)
    fx_rate.delete()


# -- Schedules -----------------------------------------------------------------------------------------------
DAILY_TASK_NAME = "costs: daily sync, anomalies, budgets"


def costs_schedule_ensure() -> None:
    """The daily beat schedule (06:15 UTC), created once and left as edited in the admin."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask.objects.filter(name=DAILY_TASK_NAME).exists():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(minute="15", hour="6", day_of_week="*", day_of_month="*",
                                                       month_of_year="*", timezone="UTC")
    PeriodicTask.objects.create(name=DAILY_TASK_NAME, task="costs.daily_task", crontab=crontab)


# -- Savings from the infra app's idle findings ---------------------------------------------------
IDLE_FINDING_KINDS = ("stopped_with_volumes", "unattached_volume", "empty_bucket", "idle_function")


@transaction.atomic
def savings_from_idle_findings(*, today: date | None = None) -> dict[str, int]:
    """Idle resources found by the infra inventory become savings opportunities (source
    "idle"), keyed by finding kind + ARN so re-running creates nothing twice. The estimate is
    the resource's cost in the latest month the top-resources table knows, else zero (shown as
    "to be estimated"). An open opportunity whose finding was resolved is marked done."""
    from django.apps import apps as django_apps

    if not django_apps.is_installed("apps.infra"):
        return {"created": 0, "updated": 0, "closed": 0}
    from apps.infra import selectors as infra_selectors

    findings = list(infra_selectors.finding_list(actor=SYSTEM, include_resolved=True)
                    .filter(kind__in=IDLE_FINDING_KINDS))
    arns = {f.resource.arn for f in findings} | {f.resource.resource_id for f in findings}
    latest: dict[str, tuple[Decimal, str]] = {}
    for row in TopResource.objects.filter(resource_id__in=arns).order_by("month"):
        latest[row.resource_id] = (row.cost, row.currency)
    existing = {o.external_id: o for o in SavingsOpportunity.objects.filter(source=SavingsOpportunity.Source.IDLE)}
    counts = {"created": 0, "updated": 0, "closed": 0}
    for finding in findings:
        resource = finding.resource
        key = f"{finding.kind}:{resource.arn}"[:255]
        opportunity = existing.get(key)
        if finding.resolved_at is not None:
            if opportunity and opportunity.status == SavingsOpportunity.Status.OPEN:
                opportunity.status = SavingsOpportunity.Status.DONE
                opportunity.notes = (opportunity.notes + "\nThe finding was resolved by the inventory sync.").strip()
                opportunity.save(update_fields=["status", "notes", "updated_at"])
                counts["closed"] += 1
            continue
        amount, currency = latest.get(resource.arn) or latest.get(resource.resource_id) or (
            Decimal("0"), settings.REPORTING_CURRENCY)
        fields = {
            "title": f"{finding.get_kind_display()}: {resource.name or resource.resource_id}"[:200],
            "account": resource.account, "service": resource.get_kind_display()[:200], "team": finding.team,
            "estimated_monthly": amount, "currency": currency,
        }
        if opportunity is None:
            SavingsOpportunity.objects.create(source=SavingsOpportunity.Source.IDLE, external_id=key,
                                              notes=finding.detail, **fields)
            counts["created"] += 1
        elif any(getattr(opportunity, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(opportunity, k, v)
            opportunity.save()
            counts["updated"] += 1
    return counts
