"""Drift hunt: the COPY path (PostgreSQL) and the streaming reader must give the same facts, tag
entries, top resources and error messages for the same file. Each test imports one tiny file
through both paths (COPY on, then off) and compares the outcomes: the snapshot (plus the
TopResource columns _snapshot leaves out), or the error message. A fallback of the COPY path to
the reader is fine; a different outcome is not. Tests marked ``DRIFT:`` each found a drift (fixed
since: the COPY path falls back, or both paths now decide alike); the others cover cases
tests/costs/test_import_paths.py does not."""
from __future__ import annotations

import csv
import gzip
import io
import logging

import pytest
from django.core.exceptions import ValidationError

from apps.costs.models import TopResource
from tests.costs.helpers import import_path
from tests.costs.test_import import CUR_HEADER
from tests.costs.test_import_paths import _snapshot, _wipe
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db
FALLBACK = "the streaming reader takes over"

FOCUS_COLUMNS = ["BilledCost", "EffectiveCost", "BillingAccountId", "BillingCurrency", "BillingPeriodStart",
                 "ChargePeriodStart", "ProviderName", "RegionId", "ServiceName", "ServiceCategory", "SubAccountId",
                 "SubAccountName", "Tags", "ResourceId", "ResourceName"]
FOCUS_BASE = {"BillingAccountId": "999999999999", "BillingCurrency": "USD", "BillingPeriodStart": "2024-09-01",
              "ChargePeriodStart": "2024-09-10", "ProviderName": "AWS", "RegionId": "eu-west-1",
              "ServiceName": "Amazon EC2", "ServiceCategory": "Compute", "SubAccountId": "111111111111",
              "SubAccountName": "prod", "Tags": "", "BilledCost": "1", "EffectiveCost": "1", "ResourceId": "",
              "ResourceName": ""}


def _focus(rows: list[dict]) -> str:
    """A FOCUS file with resource columns too (focus_csv has none)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FOCUS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**FOCUS_BASE, **row})
    return out.getvalue()


def _cur_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def _top_details() -> list:
    """TopResource with the descriptive columns _snapshot leaves out."""
    return sorted(TopResource.objects.values_list("month", "provider", "billing_account_id", "resource_id", "cost",
                                                  "currency", "service", "sub_account_id", "team_id",
                                                  "resource_name"), key=repr)


def _outcome(location, fmt=None):
    try:
        result = import_path(location, fmt=fmt)
    except ValidationError as exc:
        return ("error", exc.messages)
    except Exception as exc:  # noqa: BLE001 - a crash is an outcome to compare too
        return ("crash", type(exc).__name__, str(exc).splitlines()[0][:200])
    snap = _snapshot()
    snap["top_details"] = _top_details()
    return ("ok", (result.rows, result.entries, sorted(result.periods), result.formats), snap)


def _both(settings, location, fmt=None) -> tuple:
    """(COPY path outcome, streaming reader outcome), each on an empty fact table."""
    out = {}
    for copy_path in (True, False):
        settings.COSTS_COPY_IMPORT = copy_path
        _wipe()
        out[copy_path] = _outcome(location, fmt)
    return out[True], out[False]


def _assert_same(fast, slow) -> None:
    if fast[0] == slow[0] == "ok":
        for part in slow[2]:
            only_fast = set(map(repr, fast[2][part])) - set(map(repr, slow[2][part]))
            only_slow = set(map(repr, slow[2][part])) - set(map(repr, fast[2][part]))
            assert not only_fast and not only_slow, (
                f"{part}: COPY {sorted(only_fast)[:3]} / streaming {sorted(only_slow)[:3]}")
    assert fast == slow


@pytest.fixture
def teams():
    return {slug: TeamFactory(slug=slug, name=slug.title()) for slug in ("payments", "core-api", "lakehouse")}


# -- CSV dialect -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("column", "raw"), [
    ("ServiceName", 'Amazon "EC2" Compute'),   # reader: 'Amazon "EC2" Compute'; COPY: 'Amazon EC2 Compute'
    ("ServiceName", ' "S3"'),                  # reader: '"S3"'; COPY: 'S3'
    ("BilledCost", ' "5"'),                     # reader: error, not a number; COPY: 5
    ("Tags", '{"team":"payments"}'),            # reader: valid JSON; COPY: {team:payments}, not valid JSON
    ("ServiceName", 'a"b,c"d'),                 # reader: 2 values (row too wide); COPY: one value 'ab,cd'
])
def test_quote_inside_an_unquoted_field(require_postgres, settings, tmp_path, teams, column, raw):
    # DRIFT: Python's csv (strict=False) keeps a quote that does not open a field as a literal
    # character; PostgreSQL's COPY CSV starts a quoted section at any quote, mid-field too. The
    # same line gives other values (or another width) on the COPY path: a different service,
    # a silently accepted number, or a JSON error where the reader imports fine.
    path = tmp_path / "quotes.csv"
    text = _focus([{"BilledCost": "2"}, {column: "@@RAW@@"}])
    path.write_text(text.replace("@@RAW@@", raw))
    _assert_same(*_both(settings, path))


def test_backslash_dot_line_ends_copy_data(require_postgres, settings, tmp_path):
    # DRIFT: a line holding only ``\.`` is PostgreSQL's end-of-data marker for COPY FROM STDIN,
    # also in CSV mode (PostgreSQL < 18). The COPY path silently drops every row after it; the
    # reader sees a 1-value row and names it ("row 3, column EffectiveCost: the row has 1
    # values, the header has 15 columns").
    path = tmp_path / "marker.csv"
    lines = _focus([{"BilledCost": "1"}, {"BilledCost": "2", "ServiceName": "S3"}]).splitlines()
    path.write_text("\n".join([lines[0], lines[1], "\\.", lines[2]]) + "\n")
    _assert_same(*_both(settings, path))


def test_carriage_return_line_endings(require_postgres, settings, tmp_path):
    # DRIFT: old-Mac line endings (CR only). The reader (newline="") splits records on a lone
    # CR and imports; the COPY path reads the "header line" up to the first LF, i.e. the whole
    # file, and csv.reader raises csv.Error ("new-line character seen in unquoted field") out of
    # _read_header: the import crashes instead of falling back.
    path = tmp_path / "cr.csv"
    text = _focus([{"BilledCost": "1"}, {"BilledCost": "2", "ServiceName": "S3"}])
    path.write_bytes(text.replace("\n", "\r").encode())
    _assert_same(*_both(settings, path))


def test_a_field_over_the_csv_module_size_limit(require_postgres, settings, tmp_path, teams):
    # DRIFT: Python's csv refuses a field over csv.field_size_limit() (131072 characters):
    # the reader says "row 2: unreadable CSV (field larger than field limit (131072))"; COPY has
    # no such limit and the COPY path imports the row.
    path = tmp_path / "wide-field.csv"
    path.write_text(_focus([{"Tags": '{"team": "payments", "note": "' + "x" * 140_000 + '"}'}]))
    _assert_same(*_both(settings, path))


def test_more_columns_than_a_postgresql_table_holds(require_postgres, settings, tmp_path):
    # DRIFT: a CUR with many activated tags can have more than 1600 columns. The reader imports
    # it; the COPY path's CREATE TABLE of the raw table fails ("tables can have at most 1600
    # columns") outside its Fallback handling, so the import crashes.
    header = [*CUR_HEADER, *(f"resourceTags/user:k{i}" for i in range(1600))]
    row = ["1", "999999999999", "2024-08-01T00:00:00Z", "111111111111", "Usage", "2024-08-03T05:00:00Z",
           "AmazonEC2", "Amazon Elastic Compute Cloud", "eu-west-1", "1.5", "USD", "", "core-api",
           *([""] * 1600)]
    path = tmp_path / "wide.csv"
    path.write_text(_cur_text(header, [row]))
    _assert_same(*_both(settings, path, fmt="cur"))


# -- Top resources ---------------------------------------------------------------------------------
def test_top_resources_tie_at_the_cut(require_postgres, settings, tmp_path):
    # DRIFT: TOP_N + 1 resources of equal cost. The reader sorts by cost only (a stable sort:
    # the first seen in the file stay); the COPY path orders by cost DESC, resource_id — a
    # different resource is cut.
    n = TopResource.TOP_N + 1
    path = tmp_path / "ties.csv"
    path.write_text(_focus([{"BilledCost": "1", "ResourceId": f"r-{i:04d}"} for i in range(n, 0, -1)]))
    _assert_same(*_both(settings, path))


@pytest.mark.parametrize(("first", "second"), [
    ({"ServiceName": "A-service"}, {"ServiceName": "B-service"}),
    ({"ResourceName": "a-name"}, {"ResourceName": "b-name"}),
    ({"SubAccountId": "111111111111"}, {"SubAccountId": "222222222222"}),
    ({"Tags": ""}, {"Tags": '{"team": "payments"}'}),
])
def test_top_resource_descriptive_columns_of_a_resource_seen_twice(require_postgres, settings, tmp_path, teams,
                                                                   first, second):
    # DRIFT: one resource id on rows with different service / name / sub-account / team. The
    # reader keeps the values of the first row seen (ParsedFile.add_resource); the COPY path
    # takes max() of each (and max(team_id) skips an untagged NULL). _snapshot()["top"] does
    # not show these columns; TopResource stores them.
    path = tmp_path / "resource.csv"
    path.write_text(_focus([{"BilledCost": "1", "ResourceId": "i-1", **first},
                            {"BilledCost": "2", "ResourceId": "i-1", **second}]))
    _assert_same(*_both(settings, path))


# -- Numbers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("costs", [
    ["1e20", "0.000000000001", "-1e20"],
    ["99999999999.0000000000004999999999999999", "0"],
])
def test_sum_precision_of_one_fact(require_postgres, settings, tmp_path, costs):
    # DRIFT: the reader sums a fact's rows with Decimal in the default context (28 significant
    # digits, rounded at every addition) before PostgreSQL rounds to numeric(24,12); the COPY
    # path sums exactly in numeric. 1e20 + 1e-12 - 1e20: reader 0, COPY 0.000000000001.
    # 99999999999.0000000000004999999999999999 + 0: reader rounds to ...0000000000005000 then
    # to 99999999999.000000000001; COPY 99999999999.000000000000.
    path = tmp_path / "precision.csv"
    path.write_text(_focus([{"BilledCost": c, "EffectiveCost": c, "Tags": '{"team": "x"}'} for c in costs]))
    _assert_same(*_both(settings, path))


# -- Tags across files -----------------------------------------------------------------------------
def _cur_row(tag: str) -> list[str]:
    return ["1", "999999999999", "2024-08-01T00:00:00Z", "111111111111", "Usage", "2024-08-03T05:00:00Z", "AmazonEC2",
            "Amazon Elastic Compute Cloud", "eu-west-1", "1.5", "USD", "", tag]


def test_two_cur_files_with_different_tag_columns(require_postgres, settings, tmp_path, teams):
    # DRIFT: the COPY path keys its tag mapping (MAP: team, PAIRS: tag dimension) by the raw
    # resourceTags/* values joined in header order, not by their column names, and keeps it
    # across the files of one import. The second file's "core-api" under
    # resourceTags/user:initiative reuses the first file's mapping of "core-api" under
    # resourceTags/user:team: team Core API and tag team=core-api instead of no team and
    # initiative=core-api. (CUR exports gain tag columns month by month.)
    folder = tmp_path / "cur"
    folder.mkdir()
    (folder / "a.csv").write_text(_cur_text(CUR_HEADER, [_cur_row("core-api")]))
    other = [*CUR_HEADER[:-1], "resourceTags/user:initiative"]
    (folder / "b.csv").write_text(_cur_text(other, [_cur_row("core-api")]).replace("2024-08", "2024-09"))
    _assert_same(*_both(settings, folder, fmt="cur"))


def test_cur_tag_value_equal_to_a_focus_tags_text(require_postgres, settings, tmp_path, teams):
    # DRIFT (same cause): a CUR file then a FOCUS file of the same account. The FOCUS Tags
    # "core-api" is not JSON (reader: "b.csv: row 2, column Tags: is not valid JSON."), but the
    # COPY path finds ("core-api", account) already mapped by the CUR file and imports it.
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.csv").write_text(_cur_text(CUR_HEADER, [_cur_row("core-api")]))
    (folder / "b.csv").write_text(_focus([{"Tags": "core-api"}]))
    _assert_same(*_both(settings, folder))


# -- Damaged gzip ----------------------------------------------------------------------------------
def test_truncated_gzip(require_postgres, settings, tmp_path):
    # DRIFT: a gzip cut off mid-stream. The reader says "f.csv.gz: after row 1504: the file cannot
    # be read (Compressed file ended before the end-of-stream marker was reached)."; on the COPY
    # path the EOFError raised inside COPY's read() callback comes out of copy_expert as itself
    # (not a psycopg2/Database error), so it is neither a Fallback nor a ValidationError: the
    # import crashes with a bare EOFError.
    path = tmp_path / "f.csv.gz"
    data = gzip.compress(_focus([{"BilledCost": str(i), "ResourceId": f"r{i}"} for i in range(3000)]).encode())
    path.write_bytes(data[: len(data) // 2])
    _assert_same(*_both(settings, path))


# -- Equal today: cases test_import_paths.py does not cover ----------------------------------------
NUMBERS = [".5", "5.", "+5", "-.5", "+.5e-3", "1E3", "1e+0003", "5E-0", "-0", "0.0000000000005",
           "-0.0000000000005", "0.0000000000015", "123456789012.0000000000004", "1e-9999", "00012.50"]


def test_number_formats(require_postgres, settings, tmp_path, caplog):
    """Signs, bare points, exponents, half-way rounding into numeric(24,12) (in facts, tag entries
    and top resources): the COPY path decides alone and agrees."""
    path = tmp_path / "numbers.csv"
    path.write_text(_focus([{"BilledCost": v, "EffectiveCost": v, "ResourceId": f"r-{i}",
                             "ChargePeriodStart": f"2024-09-{i + 1:02d}", "Tags": '{"team": "x"}'}
                            for i, v in enumerate(NUMBERS)]))
    caplog.set_level(logging.INFO, logger="apps.costs.services")
    _assert_same(*_both(settings, path))
    assert FALLBACK not in caplog.text


@pytest.mark.parametrize("value", ["1_000", "\u0661\u0662", "NaN", "1e", "+-1"])
def test_numbers_python_reads_differently(require_postgres, settings, tmp_path, value):
    """Decimal accepts underscores and non-ASCII digits (the regex does not: fallback); the rest
    are refused with the reader's message."""
    path = tmp_path / "n.csv"
    path.write_text(_focus([{"BilledCost": "1"}, {"BilledCost": value}]))
    _assert_same(*_both(settings, path))


@pytest.mark.parametrize(("day", "period"), [
    ("2024-09-01T23:59:59-05:00", ""), ("2024-02-29", ""), ("0050-01-10", "NULL"), ("0999-12-31", ""),
    ("20240901", ""), ("2024-W36-1", ""), ("2024-09-01", "20240901"), ("2023-02-29", ""), ("1900-02-29", ""),
    ("0000-01-01", ""), ("2024-09-01", "2024-08"), ("2024-09-01garbage", "None"),
])
def test_date_formats(require_postgres, settings, tmp_path, day, period):
    """ISO basic/week dates (date.fromisoformat accepts them, SQL does not: fallback), leap days,
    years < 1000, an empty/NULL BillingPeriodStart (month of the charge day)."""
    path = tmp_path / "d.csv"
    path.write_text(_focus([{"BilledCost": "1"}, {"ChargePeriodStart": day, "BillingPeriodStart": period}]))
    _assert_same(*_both(settings, path))


@pytest.mark.parametrize("kind", ["empty", "empty-gz", "bom-crlf", "dup-header", "multiline-then-error",
                                  "quoted-null", "crlf-then-error"])
def test_file_shapes(require_postgres, settings, tmp_path, kind):
    path = tmp_path / "f.csv"
    text = _focus([{"BilledCost": "1", "SubAccountName": "a"}, {"BilledCost": "2", "ServiceName": "S3"}])
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "empty-gz":
        path = tmp_path / "f.csv.gz"
        path.write_bytes(gzip.compress(b""))
    elif kind == "bom-crlf":
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    elif kind == "dup-header":  # a repeated column: the last one wins in both paths
        lines = text.splitlines()
        path.write_text("\n".join([lines[0] + ",ServiceName,BilledCost", lines[1] + ",Dup,7", lines[2] + ",,"]) + "\n")
    elif kind == "multiline-then-error":  # row numbers count records, not lines
        path.write_text(_focus([{"SubAccountName": "two\nlines\r\nmore"}, {"BilledCost": "x"}]))
    elif kind == "quoted-null":  # "NULL" quoted is still a NULL word; "" quoted is empty, not NULL
        path.write_text(text.replace(",a,", ',"NULL",').replace("S3", '""'))
    else:
        path.write_bytes(_focus([{"BilledCost": "1"}, {"BilledCost": "x"}]).replace("\n", "\r\n").encode())
    _assert_same(*_both(settings, path))


CUR_FULL = ["identity/LineItemId", "bill/PayerAccountId", "bill/BillingPeriodStartDate", "lineItem/UsageAccountId",
            "lineItem/UsageAccountName", "lineItem/LineItemType", "lineItem/UsageStartDate", "lineItem/ProductCode",
            "product/ProductName", "product/productFamily", "product/regionCode", "product/region",
            "lineItem/UnblendedCost", "lineItem/CurrencyCode", "savingsPlan/SavingsPlanEffectiveCost",
            "reservation/EffectiveCost", "lineItem/ResourceId", "resourceTags/user:team", "resourceTags/user:Team",
            "resourceTags/user:initiative"]


def test_cur_columns(require_postgres, settings, tmp_path, caplog, teams):
    """CUR amortization by line type (DiscountedUsage, trimmed SavingsPlanCoveredUsage with a
    NULL effective cost, RIFee, Fee, Tax, a lower-cased type whose bad SP cost is never read),
    payer/product/region/currency fallbacks, two tag columns that normalise to one key, a
    resource, and a billing period before the charge month."""
    def row(i, **kw):
        base = dict(zip(CUR_FULL, [str(i), "999999999999", "", "111111111111", "acc", "Usage",
                                   "2024-08-03T05:00:00Z", "AmazonEC2", "Amazon EC2", "Compute", "eu-west-1",
                                   "EU (Ireland)", "1.5", "USD", "", "", "", "", "", ""], strict=True))
        base.update({k.replace("__", "/"): v for k, v in kw.items()})
        return [base[c] for c in CUR_FULL]

    rows = [
        row(1, lineItem__LineItemType="DiscountedUsage", reservation__EffectiveCost="0.7"),
        row(2, lineItem__LineItemType=" SavingsPlanCoveredUsage ", savingsPlan__SavingsPlanEffectiveCost="NULL"),
        row(3, lineItem__LineItemType="RIFee", lineItem__UnblendedCost="9"),
        row(4, lineItem__LineItemType="Fee", lineItem__UnblendedCost="3"),
        row(5, lineItem__LineItemType="Tax", lineItem__UnblendedCost="2"),
        row(6, lineItem__LineItemType="savingsplancoveredusage", savingsPlan__SavingsPlanEffectiveCost="oops"),
        row(7, bill__PayerAccountId="NULL", product__ProductName="", lineItem__ProductCode="AmazonS3"),
        row(8, product__ProductName="None", lineItem__ProductCode="", product__regionCode=""),
        row(9, lineItem__CurrencyCode="", product__regionCode="null", product__region="Null"),
        row(10, **{"resourceTags__user:team": " core-api ", "resourceTags__user:Team":
                                                "payments", "resourceTags__user:initiative": "Lake"}),
        row(11, **{"resourceTags__user:Team": "lakehouse", "lineItem__ResourceId": "i-1"}),
        row(12, bill__BillingPeriodStartDate="2024-07-01T00:00:00Z", lineItem__UsageStartDate="2024-07-31T23:00:00Z", lineItem__UsageAccountName="zzz",
            lineItem__ResourceId="i-1", lineItem__UnblendedCost="-1.5"),
    ]
    path = tmp_path / "cur.csv"
    path.write_text(_cur_text(CUR_FULL, rows))
    caplog.set_level(logging.INFO, logger="apps.costs.services")
    _assert_same(*_both(settings, path, fmt="cur"))
    assert FALLBACK not in caplog.text
