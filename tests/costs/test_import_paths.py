"""The two import paths — COPY + SQL on PostgreSQL, the streaming reader everywhere — give the
same facts, the same tag dimension, the same top resources and roll-up, and the same errors."""
from __future__ import annotations

import csv
import gzip
import json
import logging
import shutil
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.costs import services as cost_services
from apps.costs.models import AwsAccount, CostEntry, CostMonthEntry, CostTagEntry, TagRule, TopResource
from apps.costs.services import imports as import_services
from tests.costs.helpers import FOCUS_SAMPLE, focus_csv, import_path
from tests.costs.test_import import CUR_HEADER, _corrupt
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db
FALLBACK = "the streaming reader takes over"


def _sorted(rows) -> list:
    return sorted(rows, key=repr)


def _snapshot() -> dict:
    return {
        "facts": _sorted(CostEntry.objects.values_list(
            "date", "billing_period", "provider", "billing_account_id", "sub_account_id", "sub_account_name",
            "account_id", "service", "service_category", "region", "team_id", "cost", "amortized_cost", "currency",
            "source")),
        "tags": _sorted(CostTagEntry.objects.values_list(
            "date", "billing_period", "provider", "billing_account_id", "sub_account_id", "tag_key", "tag_value",
            "cost", "amortized_cost", "currency", "source")),
        "top": _sorted(TopResource.objects.values_list("month", "provider", "billing_account_id", "resource_id", "cost",
                                                      "currency")),
        "months": _sorted(CostMonthEntry.objects.values_list(
            "month", "provider", "billing_account_id", "sub_account_id", "sub_account_name", "account_id", "service",
            "region", "team_id", "cost", "amortized_cost", "currency")),
    }


def _wipe() -> None:
    for model in (CostEntry, CostTagEntry, TopResource, CostMonthEntry):
        model.objects.all().delete()


def _tagged_focus(tmp_path):
    path = tmp_path / "tagged.csv"
    path.write_text(focus_csv([
        {"BilledCost": "10.50", "EffectiveCost": "NULL", "Tags": '{"team": "payments", "initiative": "Invoice-OCR"}'},
        {"BilledCost": "2.25", "EffectiveCost": "", "Tags": '{"Business_Unit": "phoenixdata", "user:project": "x"}'},
        {"BilledCost": "4", "EffectiveCost": "3", "SubAccountId": "222222222222", "Tags": "NULL"},
        {"BilledCost": "1e-3", "EffectiveCost": " 1 ", "RegionId": "NULL", "Tags": '{"application": "x"}'},
        {"BilledCost": "-0.75", "EffectiveCost": "-0.5", "SubAccountId": "", "Tags": ""},
        {"BilledCost": "3.125", "SubAccountName": "zz-later-name", "Tags": '{"team": "payments", "initiative": "None"}'},
        {"BilledCost": "5", "BillingCurrency": "EUR", "ServiceName": "NULL", "Tags": '{"initiative": "invoice-ocr"}',
         "ChargePeriodStart": "2024-09-11T00:00:00Z"},
    ]))
    return path


def _cur(tmp_path):
    header = [*CUR_HEADER, "resourceTags/user:initiative", "lineItem/ResourceId"]
    rows = [
        ["1", "999999999999", "2024-08-01T00:00:00Z", "111111111111", "Usage", "2024-08-03T05:00:00Z", "AmazonEC2",
         "Amazon Elastic Compute Cloud", "eu-west-1", "1.5000000000", "USD", "", "core-api", "lakehouse", "i-1"],
        ["2", "999999999999", "2024-08-01T00:00:00Z", "111111111111", "Usage", "2024-08-03T06:00:00Z", "AmazonEC2",
         "", "eu-west-1", "2.25", "", "", "core-api", "", "i-2"],
        ["3", "999999999999", "2024-08-01T00:00:00Z", "111111111111", "SavingsPlanCoveredUsage", "2024-08-03T06:00:00Z",
         "AmazonEC2", "Amazon Elastic Compute Cloud", "eu-west-1", "4.00", "USD", "2.75", "", "Lakehouse", "i-1"],
        ["4", "", "2024-08-01T00:00:00Z", "111111111111", "SavingsPlanNegation", "2024-08-04T06:00:00Z",
         "AmazonEC2", "Amazon Elastic Compute Cloud", "NULL", "-4.00", "USD", "", "", "", ""],
    ]
    path = tmp_path / "cur.csv.gz"
    with gzip.open(path, "wt", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def org():
    payments = TeamFactory(slug="payments", name="Payments")
    data = TeamFactory(slug="data-team", name="Data Team")
    platform = TeamFactory(slug="platform", name="Platform")
    TeamFactory(slug="core-api", name="Core API")
    TagRule.objects.create(tag_key="business_unit", tag_value="PhoenixData", team=data)
    AwsAccount.objects.create(account_id="222222222222", name="platform-prod", default_team=platform)
    return payments


@pytest.mark.parametrize("kind", ["sample", "sample-gz", "tagged", "cur", "two-files"])
def test_copy_path_and_streaming_reader_give_identical_results(require_postgres, settings, tmp_path, caplog, org,
                                                               kind, monkeypatch):
    if kind == "sample":
        location = FOCUS_SAMPLE
    elif kind == "sample-gz":
        location = tmp_path / "focus.csv.gz"
        with open(FOCUS_SAMPLE, "rb") as src, gzip.open(location, "wb") as dst:
            shutil.copyfileobj(src, dst)
    elif kind == "tagged":
        location = _tagged_focus(tmp_path)
    elif kind == "cur":
        location = _cur(tmp_path)
    else:
        location = tmp_path / "both"
        location.mkdir()
        shutil.copy(FOCUS_SAMPLE, location / "a.csv")
        shutil.copy(_tagged_focus(tmp_path), location / "b.csv")
    streaming_calls = []
    real = import_services._replace_periods
    monkeypatch.setattr(import_services, "_replace_periods", lambda *a, **k: (streaming_calls.append(1), real(*a, **k))[1])

    caplog.set_level(logging.INFO, logger="apps.costs.services")
    settings.COSTS_COPY_IMPORT = True
    fast = import_path(location)
    assert FALLBACK not in caplog.text and streaming_calls == []  # the COPY path decided alone
    copied = _snapshot()
    _wipe()
    settings.COSTS_COPY_IMPORT = False
    slow = import_path(location)
    assert streaming_calls == [1]

    assert (fast.rows, fast.entries, fast.periods, fast.formats) == (slow.rows, slow.entries, slow.periods, slow.formats)
    slow_snapshot = _snapshot()
    for part in copied:
        only_fast = set(copied[part]) - set(slow_snapshot[part])
        only_slow = set(slow_snapshot[part]) - set(copied[part])
        assert not only_fast and not only_slow, f"{part}: COPY {_sorted(only_fast)[:2]} / streaming {_sorted(only_slow)[:2]}"
    assert copied == slow_snapshot
    assert copied["facts"] and copied["months"]
    if kind in ("tagged", "cur"):
        assert copied["tags"]


def test_tag_dimension_from_a_focus_file_equals_an_independent_sum(require_postgres, tmp_path, org):
    from datetime import date

    from apps.costs.selectors import cost_by_tag

    path = _tagged_focus(tmp_path)
    import_path(path)
    expected: dict[str, Decimal] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            tags = json.loads(row["Tags"]) if row["Tags"] not in ("", "NULL") else {}
            if str(tags.get("initiative", "")).strip().lower() == "invoice-ocr":
                expected[row["BillingCurrency"]] = expected.get(row["BillingCurrency"], 0) + Decimal(row["BilledCost"])
    assert cost_by_tag(tag="initiative=invoice-ocr", start=date(2024, 9, 1), end=date(2024, 9, 30)) == sorted(
        expected.items())
    assert cost_by_tag(tag="initiative=none", start=date(2024, 9, 1), end=date(2024, 9, 30)) is None
    assert cost_by_tag(tag="team=payments", start=date(2024, 9, 1), end=date(2024, 9, 30)) == [
        ("USD", Decimal("13.625"))]
    # A tag rule's key is tracked too; keys not configured are not.
    assert CostTagEntry.objects.filter(tag_key="business_unit", tag_value="phoenixdata").exists()
    assert not CostTagEntry.objects.filter(tag_key="application").exists()
    import_path(path)  # re-import: replaced, not doubled
    assert cost_by_tag(tag="initiative=invoice-ocr", start=date(2024, 9, 1), end=date(2024, 9, 30)) == sorted(
        expected.items())


def test_cur_resource_tags_fill_the_tag_dimension(tmp_path, org):
    from datetime import date

    from apps.costs.selectors import cost_by_tag

    import_path(_cur(tmp_path), fmt="cur")
    assert cost_by_tag(tag="initiative=lakehouse", start=date(2024, 8, 1), end=date(2024, 8, 31)) == [
        ("USD", Decimal("5.5"))]
    assert cost_by_tag(tag="lakehouse", start=date(2024, 8, 1), end=date(2024, 8, 31)) == [("USD", Decimal("5.5"))]


@pytest.mark.parametrize(("column", "value", "says"), [
    ("BilledCost", "12,5x", "column BilledCost: '12,5x' is not a number"),
    ("EffectiveCost", "Infinity", "column EffectiveCost: 'Infinity' is not a finite number"),
    ("ChargePeriodStart", "2024-02-30", "column ChargePeriodStart: '2024-02-30' is not a date (YYYY-MM-DD...)"),
    ("ChargePeriodStart", "NULL", "column ChargePeriodStart: a date is required"),
    ("BillingPeriodStart", "Sept", "column BillingPeriodStart: 'Sept' is not a date (YYYY-MM-DD...)"),
    ("ProviderName", "  ", "column ProviderName: a provider is required"),
    ("BillingAccountId", "None", "column BillingAccountId: a billing account is required"),
    ("BillingCurrency", "usd", "column BillingCurrency: 'usd' is not an ISO 4217 currency code"),
    ("Tags", "{not json", "column Tags: is not valid JSON"),
    ("Tags", '["a list"]', "column Tags: must be a JSON object of tag keys and values"),
])
def test_copy_path_names_the_first_bad_row_and_changes_nothing(require_postgres, tmp_path, caplog, column, value,
                                                               says):
    import_path(FOCUS_SAMPLE)
    before = _snapshot()
    bad = _corrupt(tmp_path, 700, column, value)
    with open(bad, newline="") as fh:  # a second, later bad row: the first one is named
        rows = list(csv.reader(fh))
    rows[900][rows[0].index("BilledCost")] = "oops"
    with open(bad, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    caplog.set_level(logging.INFO, logger="apps.costs.services")

    with pytest.raises(ValidationError) as exc:
        import_path(bad)

    assert exc.value.messages == [f"bad.csv: row 701, {says}."]
    assert FALLBACK not in caplog.text
    assert _snapshot() == before


def test_odd_rows_fall_back_to_the_streaming_reader(require_postgres, tmp_path, caplog):
    path = tmp_path / "blank.csv"
    lines = focus_csv([{"BilledCost": "1"}, {"BilledCost": "2", "ServiceName": "S3"}]).splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", lines[2]]) + "\n")  # a blank line: COPY refuses it
    caplog.set_level(logging.INFO, logger="apps.costs.services")

    result = import_path(path)

    assert FALLBACK in caplog.text
    assert result.rows == 2
    assert sorted(CostEntry.objects.values_list("service", "cost")) == [("Amazon EC2", Decimal("1")),
                                                                        ("S3", Decimal("2"))]


@pytest.mark.parametrize("copy_path", [True, False])
def test_a_permanent_table_named_like_a_staging_table_is_left_alone(require_postgres, settings, tmp_path, copy_path):
    """The import drops its temporary tables by their pg_temp name: a permanent table that
    happens to share the name (an operator's scratch table) survives every import."""
    from django.db import connection

    from apps.costs import copy_import

    settings.COSTS_COPY_IMPORT = copy_path
    names = [*copy_import.TABLES, copy_import.RAW, import_services.STAGE_TABLE]
    with connection.cursor() as cur:
        for name in names:
            cur.execute(f"CREATE TABLE public.{name} (kept int)")
            cur.execute(f"INSERT INTO public.{name} VALUES (7)")
    path = tmp_path / "one.csv"
    path.write_text(focus_csv([{"BilledCost": "1.5"}, {"BilledCost": "2", "ServiceName": "S3"}]))

    import_path(path)
    import_path(path)  # again: the drops at the start of an import find the permanent tables too

    assert CostEntry.objects.count() == 2
    with connection.cursor() as cur:
        for name in names:
            cur.execute(f"SELECT kept FROM public.{name}")
            assert cur.fetchall() == [(7,)], name


def test_unicode_whitespace_is_trimmed_like_the_streaming_reader(require_postgres, settings, tmp_path, caplog):
    """The reader trims with str.strip(), which knows every Unicode space; the COPY path trims
    the same set, so a no-break space around a value neither splits a service nor falls back."""
    path = tmp_path / "spaces.csv"
    path.write_text(focus_csv([
        {"BilledCost": "1", "ServiceName": "\u00a0S3\u2003", "RegionId": "\u3000eu-west-1\x1f"},
        {"BilledCost": "2", "ServiceName": "S3", "RegionId": "eu-west-1", "ProviderName": "\u2028AWS\u0085"},
        {"BilledCost": "\u00a04\u00a0", "ServiceName": "\u202fNULL\u205f"},
    ]), encoding="utf-8")
    caplog.set_level(logging.INFO, logger="apps.costs.services")
    expected = {}
    for copy_path in (True, False):
        settings.COSTS_COPY_IMPORT = copy_path
        _wipe()
        import_path(path)
        expected[copy_path] = _snapshot()
    assert FALLBACK not in caplog.text
    assert expected[True] == expected[False]
    assert sorted(CostEntry.objects.values_list("provider", "service", "region", "cost")) == [
        ("AWS", "S3", "eu-west-1", Decimal("3")), ("AWS", "Unknown", "eu-west-1", Decimal("4"))]


def _ids() -> dict:
    return {(e.date, e.service, e.region, e.sub_account_id): (e.pk, e.created_at, e.cost)
            for e in CostEntry.objects.all()}


@pytest.mark.parametrize("copy_path", [True, False])
def test_a_reimport_rewrites_only_what_changed_and_ends_like_a_fresh_import(
        require_postgres, settings, tmp_path, org, copy_path):
    """Exports restate the period several times a day: the re-import deletes the facts that
    vanished, updates the amounts that changed, inserts the new ones and leaves the rest alone
    (same id, same created_at) — and the result equals importing the new file into nothing."""
    settings.COSTS_COPY_IMPORT = copy_path
    first = [
        {"BilledCost": "10", "ServiceName": "S3"},
        {"BilledCost": "20", "ServiceName": "EC2"},
        {"BilledCost": "30", "ServiceName": "RDS", "Tags": '{"team": "payments"}'},
        {"BilledCost": "40", "ServiceName": "Lambda", "ChargePeriodStart": "2024-09-11 00:00:00"},
    ]
    second = [
        {"BilledCost": "10", "ServiceName": "S3"},  # unchanged
        {"BilledCost": "25.123456789012345", "ServiceName": "EC2"},  # changed (and rounded when stored)
        {"BilledCost": "30", "ServiceName": "RDS", "Tags": '{"team": "payments"}'},  # unchanged
        {"BilledCost": "5", "ServiceName": "SQS", "ChargePeriodStart": "2024-09-12 00:00:00"},  # new
        # Lambda is gone from the restated export.
    ]
    (tmp_path / "first.csv").write_text(focus_csv(first))
    (tmp_path / "second.csv").write_text(focus_csv(second))

    result = import_path(tmp_path / "first.csv")
    assert (result.deleted, result.entries) == (0, 4)
    before = _ids()
    again = import_path(tmp_path / "first.csv")
    assert (again.deleted, again.entries) == (4, 4)
    assert _ids() == before  # nothing rewritten

    changed = import_path(tmp_path / "second.csv")
    assert (changed.deleted, changed.entries) == (4, 4)
    after = _ids()
    s3, ec2, rds = (("2024-09-10", name) for name in ("S3", "EC2", "RDS"))
    for key in (s3, rds):
        match = [v for k, v in after.items() if (k[0].isoformat(), k[1]) == key]
        assert match == [v for k, v in before.items() if (k[0].isoformat(), k[1]) == key]
    ec2_before = next(v for k, v in before.items() if k[1] == "EC2")
    ec2_after = next(v for k, v in after.items() if k[1] == "EC2")
    assert ec2_after[0] == ec2_before[0] and ec2_after[2] == Decimal("25.123456789012")
    assert not any(k[1] == "Lambda" for k in after) and any(k[1] == "SQS" for k in after)
    merged = _snapshot()

    _wipe()
    import_path(tmp_path / "second.csv")
    assert _snapshot() == merged


def test_a_reimport_of_several_files_merges_their_summed_facts(require_postgres, tmp_path, org):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text(focus_csv([{"BilledCost": "1", "ServiceName": "S3"}, {"BilledCost": "2", "ServiceName": "EC2"}]))
    two.write_text(focus_csv([{"BilledCost": "3", "ServiceName": "S3"}]))
    files = cost_services.input_files_for(str(one)) + cost_services.input_files_for(str(two))

    cost_services.cost_file_import(actor=cost_services.SYSTEM, files=files)
    before = _ids()
    two.write_text(focus_csv([{"BilledCost": "4", "ServiceName": "S3"}]))
    result = cost_services.cost_file_import(actor=cost_services.SYSTEM, files=files)

    assert (result.deleted, result.entries) == (2, 2)
    after = _ids()
    assert sorted((k[1], v[2]) for k, v in after.items()) == [("EC2", Decimal("2")), ("S3", Decimal("5"))]
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}  # updated in place
