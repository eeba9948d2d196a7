"""The PostgreSQL fast path of the file import: the CSV goes to the server with ``COPY`` and is
checked, attributed and aggregated there, so Python never touches a row.

Per file:
1. the (gunzipped) bytes after the header are streamed with ``COPY ... FROM STDIN (FORMAT csv)``
   into a temporary all-text staging table with a row number;
2. one ``INSERT ... SELECT`` cleans the values (trim, ``NULL``/``None``/empty -> empty), checks
   them (number, date, currency, required values) and casts them into a narrow typed table,
   flagging bad rows;
3. team and tag attribution: every *distinct* (tags, sub-account) pair is resolved once with
   the same Python code as the streaming reader (:class:`apps.costs.importers.Attribution`:
   tag rules, the shared owner-tag rule, the account's default team) and COPYed back as a
   mapping table — the semantics cannot drift, and there are few distinct tag sets;
4. the first bad row (lowest row number flagged by SQL, or carrying tags that are not a JSON
   object) is re-read through the streaming reader's row parser, so the message is exactly the
   one the Python path gives (``file: row N, column X: ...``);
5. partial sums per natural key go to the staging tables of :mod:`apps.costs.services`
   (daily facts), plus the tag dimension and the top resources.

Anything this path cannot decide the same way as the streaming reader (a row width that does
not match the header, a blank line, bytes that are not UTF-8, a value SQL rejects but Python
accepts, CSV that COPY reads differently from Python's csv module — see :class:`_CountingReader`
—, more columns than a table holds, a gzip that cannot be read to the end) raises
:class:`Fallback`; the caller rolls back to its savepoint and imports with the streaming reader,
which is slower but gives the same facts or the precise error. tests/costs/test_import_paths.py
and test_import_drift.py import the same files both ways and compare.
"""
from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection

from apps.costs import importers

ROWS = "costs_copy_rows"
MAP = "costs_copy_map"
PAIRS = "costs_copy_pairs"
RAW = "costs_copy_raw"
TAG_STAGE = "costs_copy_tag_stage"
RES_STAGE = "costs_copy_res_stage"
# What str.strip() removes (the streaming reader's trim): every Unicode space, not just ASCII.
WS = "E'" + "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x3001)) if c.isspace()) + "'"
# The reader's empty words (importers.NULLS) but '', which cleans to itself anyway.
NULL_WORDS = "(" + ", ".join(f"'{w}'" for w in sorted(importers.NULLS - {""})) + ")"
NUMBER_RE = r"'^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?$'"
CURRENCY_RE = "'^[A-Z]{3}$'"
SEP = "\x1f"  # joins the CUR resourceTags/* columns into one text (split again in Python)


class Fallback(Exception):
    """The fast path cannot decide like the streaming reader: import with the streaming reader."""


@dataclass
class CopyResult:
    rows: int = 0
    formats: set[str] = field(default_factory=set)
    periods: set[tuple[str, str, date]] = field(default_factory=set)
    pending: bool = False  # the last file's typed rows wait in ROWS (one file: no staging pass)
    staged: bool = False  # earlier files' partial sums are in the facts staging table


def _driver_error() -> type[Exception]:
    import psycopg2

    return psycopg2.Error


TEXT = 'text COLLATE "C"'  # byte order: sorts and groups skip the locale (same order for UTF-8)


def _columns(spec: str) -> str:
    """``"a, b:date"`` -> ``a text COLLATE "C", b date``: text unless a type is given."""
    parts = []
    for item in spec.split(","):
        name, _, kind = item.strip().partition(":")
        parts.append(f"{name} {kind or TEXT}")
    return ", ".join(parts)


TABLES = {
    ROWS: "rownum:bigint, bad:boolean, day:date, period:date, provider, billing, sub, attr_sub, sub_name, service, "
          "category, region, currency, cost:numeric, amortized:numeric, tags, resource, res_name",
    MAP: "tags, attr_sub, team_id:bigint, account_id:bigint",
    PAIRS: "tags, tag_key, tag_value",
    TAG_STAGE: "date:date, billing_period:date, provider, billing_account_id, sub_account_id, tag_key, tag_value, "
               "currency, cost:numeric, amortized_cost:numeric",
    RES_STAGE: "month:date, provider, billing_account_id, resource_id, currency, cost:numeric, service, sub_account_id, "
               "team_id:bigint, resource_name",
}


def create_tables() -> None:
    """Temporary tables for one import (dropped at commit)."""
    with connection.cursor() as cur:
        for table, spec in TABLES.items():
            cur.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")  # never a permanent table of that name
            cur.execute(f"CREATE TEMPORARY TABLE {table} ({_columns(spec)}) ON COMMIT DROP")


MAX_COLUMNS = 1600  # a PostgreSQL table's limit (a CUR with many tag columns can exceed it)


class _CountingReader(io.RawIOBase):
    """Feeds COPY from a binary stream, counting bytes (compressed, for progress) and lines, and
    noting what COPY would read differently from Python's csv module (``suspect``; the caller
    then hands the file to the streaming reader):

    - a line holding only ``\\.``: COPY's end-of-data marker, where csv reads a value;
    - a line longer than ``csv.field_size_limit()``: csv refuses a field that long;
    - a quote inside an unquoted value (``Amazon "EC2"``): csv keeps it as a character, COPY
      opens a quoted section. Checked on the bytes: with the ``""`` pairs taken out, every quote
      of a well-formed file opens a value (after a delimiter or line break) or closes one (before
      them). Not caught: an even run of quotes inside an unquoted value (``ab""cd``), which only a
      parse could tell from an escaped quote inside a quoted one."""

    def __init__(self, data, on_chunk: Callable[[int], None] | None) -> None:
        self._data = data
        self._on_chunk = on_chunk
        self.lines = 0
        self.suspect: str | None = None
        self._held = b""  # the unfinished last line of the chunks read so far
        self._limit = csv.field_size_limit()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._data.read(size if size and size > 0 else 1024 * 1024)
        if chunk:
            self.lines += chunk.count(b"\n")
            if self.suspect is None:
                self._check(chunk)
            if self._on_chunk:
                self._on_chunk(self.lines)
        elif self.suspect is None and self._held:
            self._check(b"", last=True)
        return chunk

    def _check(self, chunk: bytes, *, last: bool = False) -> None:
        """Check the whole lines of ``chunk`` (the unfinished last one waits for the next)."""
        text = self._held + chunk
        cut = len(text) if last else text.rfind(b"\n") + 1
        text, self._held = text[:cut], text[cut:]
        if len(self._held) > self._limit:
            self.suspect = f"a line longer than {self._limit} bytes"
        if not text or self.suspect:
            return
        # A line longer than the limit covers a whole aligned block of half the limit: only a
        # block without a line break is worth splitting the text for.
        half = self._limit // 2
        if any(text.find(b"\n", i, i + half) < 0 for i in range(0, len(text) - half + 1, half)) and max(
                map(len, text.split(b"\n"))) > self._limit:
            self.suspect = f"a line longer than {self._limit} bytes"
        elif b"\\" in text and any(line.rstrip(b"\r") == b"\\." for line in text.split(b"\n")):
            self.suspect = "a line holding only \\. (COPY's end-of-data marker)"
        elif b'"' in text and b'a"a' in text.replace(b'""', b"").translate(_QUOTE_CLASSES):
            # With the escaped pairs out, a quote between two ordinary bytes neither opens a
            # value (after a delimiter or line break) nor closes one (before them).
            self.suspect = "a quote inside an unquoted value"


# Every byte as a class: the quote, an edge (delimiter or line break) or an ordinary byte "a".
_QUOTE_CLASSES = bytes(34 if b == 34 else 44 if b in b",\r\n" else 97 for b in range(256))


def _open_binary(raw) -> tuple[io.BufferedReader, object]:
    from apps.costs.sources import _RawAdapter

    adapter = _RawAdapter(raw)
    buffered = io.BufferedReader(adapter, buffer_size=1024 * 1024)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return io.BufferedReader(gzip.GzipFile(fileobj=buffered), buffer_size=1024 * 1024), adapter
    return buffered, adapter


def _read_header(data: io.BufferedReader) -> list[str]:
    try:
        line = data.readline()
        text = line.decode("utf-8-sig")
    except (UnicodeDecodeError, OSError, EOFError, zlib.error):  # the reader says what is wrong
        raise Fallback("the header cannot be read here") from None
    if '"' in text and text.count('"') % 2:
        raise Fallback("a quoted line break in the header")
    if "\r" in text.rstrip("\r\n"):
        raise Fallback("line breaks that are a lone carriage return")
    try:
        return [h.strip() for h in next(csv.reader([text]), [])]
    except csv.Error as exc:
        raise Fallback(f"the header does not read as CSV here ({exc})") from None


def import_file(
    *, raw, name: str, fmt: str | None, attribution: importers.Attribution, into: CopyResult,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """COPY one file, check it, and add its partial sums to the staging tables (see module doc).
    ``progress(compressed_bytes_read, lines_copied)``. Raises ValidationError for a bad file,
    Fallback when the streaming reader must decide."""

    data, adapter = _open_binary(raw)
    try:
        header = _read_header(data)
        fmt = importers.check_header(header, fmt, name)
        into.formats.add(fmt)
        width = len(header)
        if width > MAX_COLUMNS:
            raise Fallback(f"{width} columns: more than a PostgreSQL table holds")
        index = {h: i for i, h in enumerate(header)}  # a repeated column: the last one wins, as in the reader
        tag_columns = importers.cur_tag_columns(header)
        columns = ", ".join(f"c{i}" for i in range(width))
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS pg_temp.{RAW}")
            cur.execute(f"CREATE TEMPORARY TABLE {RAW} (rownum bigserial, "
                        + ", ".join(f"c{i} {TEXT}" for i in range(width)) + ") ON COMMIT DROP")
            reader = _CountingReader(data, (lambda lines: progress(adapter.bytes_read, lines)) if progress else None)
            try:
                cur.copy_expert(f"COPY {RAW} ({columns}) FROM STDIN WITH (FORMAT csv)", reader)
            except (DatabaseError, _driver_error()) as exc:  # row width, blank line, encoding...: the reader names it
                raise Fallback(f"COPY refused the file: {exc}") from exc
            except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt gzip: the reader names the row
                raise Fallback(f"the file cannot be read to the end: {exc}") from exc
            if reader.suspect:
                raise Fallback(f"COPY would read the file differently: {reader.suspect}")
    finally:
        data.close()

    select = _typed_select(fmt, index, tag_columns)
    if into.pending:  # the previous file's facts move to the staging table first
        _stage_rows()
        into.pending, into.staged = False, True
        with connection.cursor() as cur:
            # The tag mapping is per file: a CUR's tags text is its tag columns' values in header
            # order, which means something else in a file with other tag columns (or a FOCUS file).
            cur.execute(f"TRUNCATE {MAP}, {PAIRS}")
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {ROWS}")
        try:
            cur.execute(f"INSERT INTO {ROWS} {select}")  # nosec B608 - column names are c0..cN, values bound by COPY
        except DatabaseError as exc:  # e.g. a number out of PostgreSQL's range
            raise Fallback(f"typed insert failed: {exc}") from exc
        # Beside the flagged rows: amounts a money column cannot hold, dates no bill carries
        # (checked on the typed values; the reader's message is the one given).
        cur.execute(
            f"SELECT count(*), min(rownum) FILTER (WHERE bad OR abs(cost) > %s OR abs(amortized) > %s "  # nosec B608 - constant names
            f"OR day NOT BETWEEN %s AND %s OR period NOT BETWEEN %s AND %s) FROM {ROWS}",
            [importers.MAX_AMOUNT, importers.MAX_AMOUNT, importers.FIRST_DAY, importers.LAST_DAY, importers.FIRST_DAY,
             importers.LAST_DAY])
        rows, first_bad = cur.fetchone()
        # Statistics for the joins below: without them the planner guesses, and sorts a million
        # rows for a merge join where a hash join on a few thousand tag sets is instant.
        cur.execute(f"ANALYZE {ROWS}")
    json_bad = _resolve_tags(fmt, attribution, tag_columns, before=first_bad)
    candidates = [n for n in (first_bad, json_bad) if n is not None]
    if candidates:
        _raise_row_error(min(candidates), name=name, header=header, fmt=fmt, attribution=attribution,
                         tag_columns=tag_columns)
    with connection.cursor() as cur:
        cur.execute(f"SELECT DISTINCT provider, billing, period FROM {ROWS}")  # nosec B608 - constant names, numbered columns
        into.periods.update((p, b, d) for p, b, d in cur.fetchall())
        cur.execute(
            f"INSERT INTO {TAG_STAGE} SELECT r.day, r.period, r.provider, r.billing, r.sub, p.tag_key, p.tag_value, "  # nosec B608 - constant names, numbered columns
            f"r.currency, sum(r.cost), sum(r.amortized) FROM {ROWS} r JOIN {PAIRS} p ON p.tags = r.tags "
            "GROUP BY r.day, r.period, r.provider, r.billing, r.sub, p.tag_key, p.tag_value, r.currency")
        cur.execute(
            f"INSERT INTO {RES_STAGE} SELECT r.period, r.provider, r.billing, r.resource, r.currency, sum(r.cost), "  # nosec B608 - constant names, numbered columns
            "max(r.service COLLATE \"C\"), max(r.sub COLLATE \"C\"), max(m.team_id), max(r.res_name COLLATE \"C\") "
            f"FROM {ROWS} r JOIN {MAP} m ON m.tags = r.tags AND m.attr_sub = r.attr_sub WHERE r.resource <> '' "
            "GROUP BY r.period, r.provider, r.billing, r.resource, r.currency")
        cur.execute(f"DROP TABLE pg_temp.{RAW}")
    into.rows += rows
    into.pending = True


FACT_SELECT = (
    "SELECT r.day AS date, r.period AS billing_period, r.provider, r.billing AS billing_account_id, "  # nosec B608 - constant names, numbered columns
    "r.sub AS sub_account_id, max(r.sub_name COLLATE \"C\") AS sub_account_name, max(m.account_id) AS account_id, "
    "r.service, max(r.category COLLATE \"C\") AS service_category, r.region, m.team_id, sum(r.cost) AS cost, "
    "sum(r.amortized) AS amortized_cost, r.currency "
    f"FROM {ROWS} r JOIN {MAP} m ON m.tags = r.tags AND m.attr_sub = r.attr_sub "
    "GROUP BY r.day, r.period, r.provider, r.billing, r.sub, r.service, r.region, m.team_id, r.currency"
)
FACT_COLUMNS = ("date, billing_period, provider, billing_account_id, sub_account_id, sub_account_name, account_id, "
                "service, service_category, region, team_id, cost, amortized_cost, currency")


def _stage_rows() -> None:
    """Partial sums of the typed rows of one file into the facts staging table."""
    from apps.costs.services import imports as services

    with connection.cursor() as cur:
        # Hash the groups: with a million rows and nearly as many groups the planner would rather
        # sort them all, which takes longer than the hash table (work_mem is raised for the
        # import) at every size we measured.
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute(f"INSERT INTO {services.STAGE_TABLE} ({FACT_COLUMNS}) {FACT_SELECT}")  # nosec B608
        cur.execute("SET LOCAL enable_sort = on")
        cur.execute(f"TRUNCATE {ROWS}")


def write_facts(into: CopyResult, *, source: str) -> tuple[int, int]:
    """Stage the last file's facts and merge the staged facts into the periods' facts
    (``services._stage_merge``; summed again when several files staged partial sums).
    Returns (facts the periods held before, facts they hold now)."""
    from apps.costs.services import imports as services

    if into.pending:
        _stage_rows()
        into.pending = False
    return services._stage_merge(source, into.periods, grouped=into.staged)


def _typed_select(fmt: str, index: dict[str, int], tag_columns: list[tuple[str, str]]) -> str:
    """SELECT producing the typed rows from the raw table. Three levels: trimmed text, cleaned
    text (each computed once: OFFSET 0 keeps the planner from inlining them), then checks and
    casts — a cast only runs on a value its check accepted."""
    wanted: dict[str, str] = {}  # alias -> raw column

    def col(name: str) -> str:
        if name not in index:
            return "''"
        alias = f"v{index[name]}"
        wanted[alias] = f"c{index[name]}"
        return alias

    # A column the file lacks is the constant '' — never cast constants: PostgreSQL folds them
    # at plan time, inside CASE arms that would never run too.
    def is_date(v: str) -> str:
        if v == "''":
            return "false"
        # Cheap text tests first; the calendar is only consulted for days 29-31.
        return (f"(left({v}, 10) ~ '^[0-9]{{4}}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' AND left({v}, 4) <> '0000' "
                f"AND (substr({v}, 9, 2) <= '28' OR extract(month FROM make_date(substr({v}, 1, 4)::int, "
                f"substr({v}, 6, 2)::int, 1) + (substr({v}, 9, 2)::int - 1)) = substr({v}, 6, 2)::int))")

    def to_date(v: str) -> str:  # only where the row's checks passed
        if v == "''":
            return "NULL::date"
        return f"left({v}, 10)::date"

    def is_num(v: str) -> str:
        if v == "''":
            return "true"
        return f"({v} = '' OR {v} ~ {NUMBER_RE})"

    def to_num(v: str) -> str:  # only where the row's checks passed
        if v == "''":
            return "0::numeric"
        return f"(CASE WHEN {v} = '' THEN 0 ELSE {v}::numeric END)"

    def either(a: str, b: str) -> str:
        return f"(CASE WHEN {a} <> '' THEN {a} ELSE {b} END)"

    if fmt == importers.FOCUS:
        day, period_raw = col("ChargePeriodStart"), col("BillingPeriodStart")
        provider, billing, sub = col("ProviderName"), col("BillingAccountId"), col("SubAccountId")
        currency, cost_raw = col("BillingCurrency"), col("BilledCost")
        eff = col("EffectiveCost") if "EffectiveCost" in index else None
        checks = [f"{day} <> ''", is_date(day), f"({period_raw} = '' OR {is_date(period_raw)})",
                  f"{provider} <> ''", f"{billing} <> ''", f"{currency} ~ {CURRENCY_RE}", is_num(cost_raw)]
        amortized = to_num(cost_raw)
        if eff is not None:
            checks.append(is_num(eff))
            amortized = to_num(eff)
        out = {
            "provider": f"left({provider}, 64)", "billing": f"left({billing}, 200)", "sub": f"left({sub}, 200)",
            "attr_sub": either(sub, billing), "sub_name": f"left({col('SubAccountName')}, 200)",
            "service": f"left({either(col('ServiceName'), chr(39) + 'Unknown' + chr(39))}, 200)",
            "category": f"left({col('ServiceCategory')}, 100)", "region": f"left({col('RegionId')}, 64)",
            "currency": currency, "cost": to_num(cost_raw), "amortized": amortized, "tags": col("Tags"),
            "resource": f"left({col('ResourceId')}, 512)", "res_name": f"left({col('ResourceName')}, 255)",
        }
    else:
        day, period_raw = col("lineItem/UsageStartDate"), col("bill/BillingPeriodStartDate")
        sub, payer = col("lineItem/UsageAccountId"), col("bill/PayerAccountId")
        currency_raw, cost_raw = col("lineItem/CurrencyCode"), col("lineItem/UnblendedCost")
        currency = either(currency_raw, "'USD'")
        line_type = col("lineItem/LineItemType")
        sp, ri = col("savingsPlan/SavingsPlanEffectiveCost"), col("reservation/EffectiveCost")
        zero = ", ".join(f"'{t}'" for t in sorted(importers.CUR_ZERO_AMORTIZED))
        checks = [f"{day} <> ''", is_date(day), f"({period_raw} = '' OR {is_date(period_raw)})", f"{sub} <> ''",
                  f"{currency} ~ {CURRENCY_RE}", is_num(cost_raw),
                  f"({line_type} <> 'SavingsPlanCoveredUsage' OR {is_num(sp)})",
                  f"({line_type} <> 'DiscountedUsage' OR {is_num(ri)})"]
        amortized = (f"(CASE WHEN {line_type} = 'SavingsPlanCoveredUsage' THEN {to_num(sp)} "
                     f"WHEN {line_type} = 'DiscountedUsage' THEN {to_num(ri)} "
                     f"WHEN {line_type} IN ({zero}) THEN 0 ELSE {to_num(cost_raw)} END)")
        raw_tags = [f"coalesce(c{index[c]}, '')" for c, _ in tag_columns]
        tags = ("concat_ws(E'\\x1f', " + ", ".join(raw_tags) + ")") if raw_tags else "''"
        out = {
            "provider": "'AWS'", "billing": f"left({either(payer, sub)}, 200)", "sub": f"left({sub}, 200)",
            "attr_sub": sub, "sub_name": f"left({col('lineItem/UsageAccountName')}, 200)",
            "service": f"left({either(col('product/ProductName'), either(col('lineItem/ProductCode'), chr(39) + 'Unknown' + chr(39)))}, 200)",
            "category": f"left({col('product/productFamily')}, 100)",
            "region": f"left({either(col('product/regionCode'), col('product/region'))}, 64)",
            "currency": currency, "cost": to_num(cost_raw), "amortized": amortized, "tags": tags,
            "resource": f"left({col('lineItem/ResourceId')}, 512)", "res_name": "''",
        }
    ok = " AND ".join(checks)
    day_expr, period_expr = to_date(day), to_date(period_raw)
    trimmed = ", ".join(f"btrim(coalesce({c}, ''), {WS}) AS t{a[1:]}" for a, c in wanted.items())
    # The length test first: most values are not four bytes long, and it costs no comparison.
    cleaned = ", ".join(f"(CASE WHEN octet_length(t{a[1:]}) = 4 AND t{a[1:]} IN {NULL_WORDS} THEN '' ELSE t{a[1:]} END) "
                        f"AS {a}" for a in wanted)
    raw_cols = ", ".join(sorted({f"c{index[c]}" for c, _ in tag_columns}))
    raw_cols = f", {raw_cols}" if raw_cols else ""
    # A bad row keeps NULLs in its typed columns; it is only counted, never aggregated.
    return (
        "(rownum, bad, day, period, provider, billing, sub, attr_sub, sub_name, service, category, region, currency, "
        "cost, amortized, tags, resource, res_name) "
        f"SELECT rownum, NOT ok, CASE WHEN ok THEN {day_expr} END, "
        f"CASE WHEN ok THEN (CASE WHEN {period_raw} = '' THEN date_trunc('month', {day_expr})::date "
        f"ELSE {period_expr} END) END, "
        + ", ".join(f"{out[k]}" for k in ("provider", "billing", "sub", "attr_sub", "sub_name", "service", "category",
                                           "region", "currency"))
        + f", CASE WHEN ok THEN {out['cost']} END, CASE WHEN ok THEN {out['amortized']} END, {out['tags']}, "  # nosec B608 - constant names, numbered columns
        f"{out['resource']}, {out['res_name']} "
        f"FROM (SELECT *, ({ok}) AS ok FROM (SELECT rownum{raw_cols}, {cleaned} FROM "
        f"(SELECT rownum{raw_cols}, {trimmed} FROM {RAW} OFFSET 0) a OFFSET 0) b OFFSET 0) c"
    )


def _resolve_tags(fmt: str, attribution: importers.Attribution, tag_columns, *, before: int | None) -> int | None:
    """Resolve each distinct (tags, sub-account) of the file once, in Python, into the mapping
    tables. Returns the first row number whose tags are not a JSON object (or None)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT tags, attr_sub, min(rownum) FROM {ROWS} WHERE NOT bad "  # nosec B608 - constant names, numbered columns
                    f"AND (tags, attr_sub) NOT IN (SELECT tags, attr_sub FROM {MAP}) GROUP BY tags, attr_sub")
        distinct = cur.fetchall()
        cur.execute(f"SELECT DISTINCT tags FROM {PAIRS}")  # nosec B608 - constant names, numbered columns
        known_pairs = {t for (t,) in cur.fetchall()}
    first_bad: int | None = None
    maps, pairs = io.StringIO(), io.StringIO()
    for tags, attr_sub, rownum in distinct:
        if before is not None and rownum > before:
            continue
        raw = tags
        if fmt == importers.CUR and tag_columns:
            values = tags.split(SEP)
            if len(values) != len(tag_columns):
                raise Fallback("a CUR tag value holds the separator")
            raw = importers.cur_tags_key(values, tag_columns)
        try:
            team_id, account_id, tag_pairs = attribution.resolve(raw, attr_sub)
        except importers.RowError:
            first_bad = rownum if first_bad is None else min(first_bad, rownum)
            continue
        maps.write(f"{_copy(tags)}\t{_copy(attr_sub)}\t{_copy(team_id)}\t{_copy(account_id)}\n")
        if tags not in known_pairs:
            known_pairs.add(tags)
            for key, value in tag_pairs:
                pairs.write(f"{_copy(tags)}\t{_copy(key)}\t{_copy(value)}\n")
    if first_bad is None:
        with connection.cursor() as cur:
            maps.seek(0)
            cur.copy_expert(f"COPY {MAP} FROM STDIN", maps)
            pairs.seek(0)
            cur.copy_expert(f"COPY {PAIRS} FROM STDIN", pairs)
            cur.execute(f"ANALYZE {MAP}")
    return first_bad


def _copy(value) -> str:
    from apps.costs.services.imports import _copy_text

    return _copy_text(value)


def _raise_row_error(rownum: int, *, name: str, header: list[str], fmt: str, attribution, tag_columns) -> None:
    """Re-read row ``rownum`` through the streaming reader's parser: its message, or Fallback."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {RAW} WHERE rownum = %s", [rownum])  # nosec B608 - constant names, numbered columns
        values = cur.fetchone()
    row = dict(zip(header, [v if v is not None else "" for v in values[1:]], strict=True))
    error = importers.row_error(row, fmt=fmt, attribution=attribution, tag_columns=tag_columns)
    if error is None:
        raise Fallback(f"row {rownum + 1} was flagged by SQL but reads fine")
    raise ValidationError(f"{name}: row {rownum + 1}, column {error.column}: {error.message}.")


def finish(*, source: str) -> tuple[int, int]:
    """Write the tag dimension and the top resources from their staging tables (the daily
    facts are written by ``services._stage_merge``). Returns (tag entries, top resources)."""
    from apps.costs.models import CostTagEntry, TopResource

    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {CostTagEntry._meta.db_table} (date, billing_period, provider, billing_account_id, "  # nosec B608
            "sub_account_id, tag_key, tag_value, currency, cost, amortized_cost, source) "
            "SELECT date, billing_period, provider, billing_account_id, sub_account_id, tag_key, tag_value, currency, "
            f"sum(cost), sum(amortized_cost), %s FROM {TAG_STAGE} GROUP BY date, billing_period, provider, "
            "billing_account_id, sub_account_id, tag_key, tag_value, currency", [source])
        tags = cur.rowcount
        cur.execute(
            f"INSERT INTO {TopResource._meta.db_table} (month, provider, billing_account_id, sub_account_id, "  # nosec B608
            "resource_id, resource_name, service, team_id, cost, currency) "
            "SELECT month, provider, billing_account_id, sub_account_id, resource_id, resource_name, service, team_id, "
            "cost, currency FROM (SELECT month, provider, billing_account_id, resource_id, currency, sum(cost) AS cost, "
            "max(service COLLATE \"C\") AS service, max(sub_account_id COLLATE \"C\") AS sub_account_id, "
            "max(team_id) AS team_id, max(resource_name COLLATE \"C\") AS resource_name, "
            "row_number() OVER (PARTITION BY month, provider, billing_account_id, currency "
            f"ORDER BY sum(cost) DESC, resource_id) AS rank FROM {RES_STAGE} "
            "GROUP BY month, provider, billing_account_id, resource_id, currency) ranked WHERE rank <= %s",
            [TopResource.TOP_N])
        resources = cur.rowcount
    return tags, resources
