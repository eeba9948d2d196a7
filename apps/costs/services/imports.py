"""File imports (FOCUS/CUR, local, uploads, s3://), the staging tables and the monthly roll-up."""
from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from apps.core.access import Actor
from apps.costs import copy_import, importers, sources
from apps.costs.models import (
    AwsAccount,
    CostEntry,
    CostMonthEntry,
    CostSource,
    CostTagEntry,
    CostUpload,
    TagRule,
    TopResource,
)
from apps.costs.services._common import BATCH_SIZE, _require_admin, logger


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
        cursor.execute("SET LOCAL enable_mergejoin = off")
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
    _delete_periods(result.periods, facts=False)
    deleted, written = copy_import.write_facts(result, source=entry_source)
    copy_import.finish(source=entry_source)
    _rollup_after_import(result.periods, months)
    return ImportResult(
        rows=result.rows, entries=written, deleted=deleted, formats=sorted(result.formats),
        periods=sorted((p, b, d.isoformat()) for p, b, d in result.periods), files=[f.name for f in files],
    )


def _delete_periods(periods, *, facts: bool = True) -> int:
    """Delete the tag entries and top resources of these (provider, billing account, billing
    period) scopes, and their daily facts unless ``facts`` is False (``_stage_merge`` merges
    them instead); returns the number of daily facts deleted."""
    deleted = 0
    for provider, billing_account, period in sorted(periods):
        if facts:
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
    deleted = _delete_periods(parsed.periods, facts=not staged)
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
        deleted, written = _stage_merge(source, parsed.periods, grouped=True)
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
    """A temporary staging table for partial sums (PostgreSQL; dropped at the end of the import).
    Text in byte order: the GROUP BY and ORDER BY skip the locale."""
    T = copy_import.TEXT
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGE_TABLE} (date date, billing_period date, provider {T}, "
            f"billing_account_id {T}, sub_account_id {T}, sub_account_name {T}, account_id bigint, service {T}, "
            f"service_category {T}, region {T}, team_id bigint, cost numeric, amortized_cost numeric, "
            f"currency {T}) ON COMMIT DROP"
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


FACTS_TABLE = "costs_import_facts"
_VALUES = ("sub_account_name", "account_id", "service_category", "cost", "amortized_cost")


def _key_match(e: str, s: str) -> str:
    """SQL: fact ``e`` (costs_costentry) and staged fact ``s`` share the import's key. Text is
    compared in byte order (the staging text is; equality is the same in every locale)."""
    parts = []
    for column in NATURAL_KEY:
        if column == "team_id":
            parts.append(f"coalesce({e}.team_id, 0) = coalesce({s}.team_id, 0)")
        elif column in ("date", "billing_period"):
            parts.append(f"{e}.{column} = {s}.{column}")
        else:
            parts.append(f'{e}.{column} COLLATE "C" = {s}.{column}')
    return " AND ".join(parts)


def _stage_merge(source: str, periods, *, grouped: bool) -> tuple[int, int]:
    """Make the facts of these (provider, billing account, billing period) scopes equal the
    staged facts, in SQL. Returns (facts the scopes held before, facts they hold now).

    ``grouped``: the staging table holds partial sums (several files, or the streaming
    reader's batches) to be summed per key first; otherwise one row per key already.

    A first import inserts. A re-import (exports restate the whole period, several times a
    day) deletes the facts that vanished, updates the amounts that changed and inserts the new
    ones: an unchanged fact is not rewritten (same id, no dead row), so re-importing the same
    file costs three joins instead of a delete and an insert of every fact. The outcome is the
    same rows as deleting the scopes and inserting the staged facts."""
    table = CostEntry._meta.db_table
    key = ", ".join(NATURAL_KEY)
    order = ("date, billing_period, provider, billing_account_id, sub_account_id, service, region, coalesce(team_id, 0), "
             "currency")
    scopes = sorted(periods)
    scope_sql = "(e.provider, e.billing_account_id, e.billing_period) IN (" + ", ".join(
        ["(%s, %s, %s::date)"] * len(scopes)) + ")"
    scope_params = [v for scope in scopes for v in scope]
    # Only constant identifiers (model table, fixed column lists) are formatted in; values are bound.
    with connection.cursor() as cursor:
        facts = STAGE_TABLE
        if grouped:
            facts = FACTS_TABLE
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{FACTS_TABLE}")
            cursor.execute("SET LOCAL enable_sort = off")  # hash the groups (see copy_import._stage_rows)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {FACTS_TABLE} ON COMMIT DROP AS SELECT {key}, "  # nosec B608
                "max(sub_account_name) AS sub_account_name, max(account_id) AS account_id, "
                "max(service_category) AS service_category, sum(cost) AS cost, sum(amortized_cost) AS amortized_cost "
                f"FROM {STAGE_TABLE} GROUP BY {key}")
            cursor.execute("SET LOCAL enable_sort = on")
        cursor.execute(f"SELECT count(*) FROM {table} e WHERE {scope_sql}", scope_params)  # nosec B608
        before = cursor.fetchone()[0]
        columns = f"{key}, {', '.join(_VALUES)}"
        insert = (f"INSERT INTO {table} ({columns}, source, created_at) "  # nosec B608
                  f"SELECT {', '.join(f's.{c}' for c in columns.split(', '))}, %s, now() FROM {facts} s ")
        if before:
            cursor.execute(f"ANALYZE {facts}")
            # Hash joins only: right after an import the fact table's statistics still say the
            # scope is empty, and a nested loop over it would compare every fact with every fact.
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute(
                f"DELETE FROM {table} e WHERE {scope_sql} "  # nosec B608
                f"AND NOT EXISTS (SELECT 1 FROM {facts} s WHERE {_key_match('e', 's')})", scope_params)
            changed = " OR ".join(
                [f'e.{c} COLLATE "C" IS DISTINCT FROM s.{c}' for c in ("sub_account_name", "service_category")]
                + ["e.account_id IS DISTINCT FROM s.account_id", "e.source <> %s"]
                # Compared as stored: a sum with more than 12 decimals is rounded on the way in.
                + [f"e.{c} <> s.{c}::numeric(24, 12)" for c in ("cost", "amortized_cost")])
            cursor.execute(
                f"UPDATE {table} e SET {', '.join(f'{c} = s.{c}' for c in _VALUES)}, source = %s "  # nosec B608
                f"FROM {facts} s WHERE {scope_sql} AND {_key_match('e', 's')} AND ({changed})",
                [source, *scope_params, source])
            insert += (f"WHERE NOT EXISTS (SELECT 1 FROM {table} e WHERE {scope_sql} "  # nosec B608 - constant names
                       f"AND {_key_match('e', 's')}) ")
            params = [source, *scope_params]
        else:
            params = [source]
        # In natural-key order: the unique index fills page by page instead of at random.
        cursor.execute(insert + f"ORDER BY {order}", params)
        cursor.execute("SET LOCAL enable_nestloop = on")
        cursor.execute(f"SELECT count(*) FROM {facts}")  # nosec B608 - constant table name
        now = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{FACTS_TABLE}")
        cursor.execute(f"DROP TABLE pg_temp.{STAGE_TABLE}")
    return before, now


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
