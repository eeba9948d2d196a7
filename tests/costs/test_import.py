"""File imports: the real FOCUS sample, idempotency, all-or-nothing, gzip, CUR, tags."""
from __future__ import annotations

import csv
import gzip
import shutil
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from apps.core.models import SyncRun
from apps.costs.models import AwsAccount, CostEntry, CostSource, TagRule
from tests.costs.helpers import FOCUS_SAMPLE, csv_totals, db_totals, focus_csv, import_path
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def _row_count(path) -> int:
    with open(path, newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def test_focus_sample_totals_equal_an_independent_sum_of_the_file():
    result = import_path(FOCUS_SAMPLE)

    assert result.rows == _row_count(FOCUS_SAMPLE) == 1000
    assert result.formats == ["focus"]
    assert db_totals("provider") == csv_totals(FOCUS_SAMPLE, "ProviderName")
    assert db_totals("provider", "amortized_cost") == csv_totals(FOCUS_SAMPLE, "ProviderName", "EffectiveCost")
    assert db_totals("service") == {k or "Unknown": v for k, v in csv_totals(FOCUS_SAMPLE, "ServiceName").items()}
    assert set(db_totals("provider")) == {"AWS", "Microsoft", "Oracle"}
    assert set(CostEntry.objects.values_list("currency", flat=True)) == {"USD"}
    assert CostEntry.objects.filter(source=CostSource.FOCUS).count() == result.entries
    # Hourly rows of the same day and key collapse into one daily fact.
    assert result.entries < 1000


def test_importing_the_same_file_twice_gives_the_same_rows_and_totals():
    first = import_path(FOCUS_SAMPLE)
    before = (CostEntry.objects.count(), db_totals("service"))

    second = import_path(FOCUS_SAMPLE)

    assert second.deleted == first.entries
    assert (CostEntry.objects.count(), db_totals("service")) == before


def test_gzipped_file_gives_the_same_totals(tmp_path):
    gz = tmp_path / "focus.csv.gz"
    with open(FOCUS_SAMPLE, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)

    result = import_path(gz)

    assert result.rows == 1000
    assert db_totals("provider") == csv_totals(FOCUS_SAMPLE, "ProviderName")


def _corrupt(tmp_path, data_row: int, column: str, value: str):
    with open(FOCUS_SAMPLE, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = reader.fieldnames
    rows[data_row - 1][column] = value
    path = tmp_path / "bad.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(("column", "value", "says"), [
    ("BilledCost", "12,5x", "column BilledCost: '12,5x' is not a number"),
    ("ChargePeriodStart", "yesterday", "column ChargePeriodStart: 'yesterday' is not a date (YYYY-MM-DD...)"),
    ("BillingCurrency", "dollars", "column BillingCurrency: 'dollars' is not an ISO 4217 currency code"),
    ("Tags", "{not json", "column Tags: is not valid JSON"),
])
def test_a_corrupt_row_changes_nothing_and_names_row_and_column(tmp_path, column, value, says):
    import_path(FOCUS_SAMPLE)
    before = (CostEntry.objects.count(), db_totals("service"))
    bad = _corrupt(tmp_path, 700, column, value)

    with pytest.raises(ValidationError) as exc:
        import_path(bad)

    # Data row 700 is spreadsheet row 701 (the header is row 1).
    assert exc.value.messages == [f"bad.csv: row 701, {says}."]
    assert (CostEntry.objects.count(), db_totals("service")) == before


def test_a_file_without_the_focus_columns_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("date,amount\n2024-01-01,3\n")
    with pytest.raises(ValidationError) as exc:
        import_path(path)
    assert "row 1: neither a FOCUS" in exc.value.messages[0]
    assert CostEntry.objects.count() == 0


def test_missing_required_column_when_format_forced(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("BilledCost,ChargePeriodStart\n1,2024-01-01\n")
    with pytest.raises(ValidationError) as exc:
        import_path(path, fmt="focus")
    assert exc.value.messages == ["x.csv: row 1: missing columns BillingCurrency, ProviderName, BillingAccountId, "
                                  "ServiceName for the FOCUS format."]


def test_null_and_empty_values_and_json_tags_attribute_teams(tmp_path):
    payments = TeamFactory(slug="payments", name="Payments")
    data = TeamFactory(slug="data-team", name="Data Team")
    platform = TeamFactory(slug="platform", name="Platform")
    TagRule.objects.create(tag_key="business_unit", tag_value="PhoenixData", team=data)
    AwsAccount.objects.create(account_id="222222222222", name="platform-prod", default_team=platform)
    path = tmp_path / "tags.csv"
    path.write_text(focus_csv([
        {"BilledCost": "10.50", "EffectiveCost": "NULL", "Tags": '{"team": "payments"}'},
        {"BilledCost": "2.25", "EffectiveCost": "", "Tags": '{"Business_Unit": "phoenixdata"}'},
        {"BilledCost": "4", "EffectiveCost": "3", "SubAccountId": "222222222222", "Tags": "NULL"},
        {"BilledCost": "1", "EffectiveCost": "1", "RegionId": "NULL", "Tags": '{"application": "x"}'},
    ]))

    import_path(path)

    by_team = {e.team_id: e for e in CostEntry.objects.all()}
    assert by_team[payments.pk].cost == Decimal("10.5") and by_team[payments.pk].amortized_cost == 0
    assert by_team[data.pk].cost == Decimal("2.25")
    assert by_team[platform.pk].cost == Decimal("4") and by_team[platform.pk].account.account_id == "222222222222"
    assert by_team[None].cost == Decimal("1") and by_team[None].region == ""


CUR_HEADER = ["identity/LineItemId", "bill/PayerAccountId", "bill/BillingPeriodStartDate", "lineItem/UsageAccountId",
              "lineItem/LineItemType", "lineItem/UsageStartDate", "lineItem/ProductCode", "product/ProductName",
              "product/regionCode", "lineItem/UnblendedCost", "lineItem/CurrencyCode",
              "savingsPlan/SavingsPlanEffectiveCost", "resourceTags/user:team"]


def test_classic_cur_csv(tmp_path):
    team = TeamFactory(slug="core-api", name="Core API")
    rows = [
        ["1", "999999999999", "2024-08-01T00:00:00Z", "111111111111", "Usage", "2024-08-03T05:00:00Z", "AmazonEC2",
         "Amazon Elastic Compute Cloud", "eu-west-1", "1.5000000000", "USD", "", "core-api"],
        ["2", "999999999999", "2024-08-01T00:00:00Z", "111111111111", "Usage", "2024-08-03T06:00:00Z", "AmazonEC2",
         "Amazon Elastic Compute Cloud", "eu-west-1", "2.2500000000", "USD", "", "core-api"],
        ["3", "999999999999", "2024-08-01T00:00:00Z", "111111111111", "SavingsPlanCoveredUsage", "2024-08-03T06:00:00Z",
         "AmazonEC2", "Amazon Elastic Compute Cloud", "eu-west-1", "4.00", "USD", "2.75", ""],
        ["4", "999999999999", "2024-08-01T00:00:00Z", "111111111111", "SavingsPlanNegation", "2024-08-03T06:00:00Z",
         "AmazonEC2", "Amazon Elastic Compute Cloud", "eu-west-1", "-4.00", "USD", "", ""],
    ]
    path = tmp_path / "cur.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CUR_HEADER)
        w.writerows(rows)

    result = import_path(path, fmt="cur")

    assert (result.rows, result.formats) == (4, ["cur"])
    tagged = CostEntry.objects.get(team=team)
    assert (tagged.cost, tagged.amortized_cost, tagged.date.isoformat(), tagged.region) == (
        Decimal("3.75"), Decimal("3.75"), "2024-08-03", "eu-west-1")
    untagged = CostEntry.objects.get(team__isnull=True)
    assert (untagged.cost, untagged.amortized_cost) == (Decimal("0"), Decimal("2.75"))
    assert set(CostEntry.objects.values_list("source", "provider", "billing_account_id")) == {
        ("cur", "AWS", "999999999999")}


def test_natural_key_is_unique_including_unallocated():
    fields = dict(date="2024-09-01", billing_period="2024-09-01", provider="AWS", billing_account_id="1",
                  sub_account_id="2", service="S3", region="", team=None, cost=1, amortized_cost=1, currency="USD",
                  source="focus")
    CostEntry.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        CostEntry.objects.create(**fields)
    assert CostEntry.objects.count() == 1


def test_import_needs_finance_or_cto(world, tmp_path):
    from apps.core.access import get_actor

    path = tmp_path / "a.csv"
    path.write_text(focus_csv([{"BilledCost": "1"}]))
    with pytest.raises(Exception) as exc:
        import_path(path, actor=get_actor(world.users["em"]))
    assert type(exc.value).__name__ == "PermissionDenied"
    assert CostEntry.objects.count() == 0
    import_path(path, actor=get_actor(world.users["finance"]))
    assert CostEntry.objects.count() == 1


def test_import_costs_command_prints_progress_and_records_a_run(capsys):
    call_command("import_costs", str(FOCUS_SAMPLE), "--format", "focus")

    out = capsys.readouterr()
    assert "Imported 1000 rows (FOCUS)" in out.out
    assert "100%" in out.err and "1000 rows" in out.err
    run = SyncRun.objects.get(kind="cost_import")
    assert (run.status, run.rows_written) == ("succeeded", CostEntry.objects.count())


def test_import_costs_command_failure_changes_nothing(tmp_path):
    bad = _corrupt(tmp_path, 3, "BilledCost", "abc")
    with pytest.raises(CommandError) as exc:
        call_command("import_costs", str(bad), "--no-progress")
    assert "bad.csv: row 4, column BilledCost: 'abc' is not a number." in str(exc.value)
    assert CostEntry.objects.count() == 0
    assert SyncRun.objects.get(kind="cost_import").status == "failed"


def test_a_short_row_is_refused_not_read_as_zero(tmp_path):
    path = tmp_path / "short.csv"
    content = focus_csv([{"BilledCost": "1"}, {"BilledCost": "2"}]).splitlines()
    content[2] = ",".join(content[2].split(",")[:5])
    path.write_text("\n".join(content) + "\n")
    with pytest.raises(ValidationError) as exc:
        import_path(path)
    assert exc.value.messages == ["short.csv: row 3, column ChargePeriodStart: the row has 5 values, the header has "
                                  "13 columns."]
    assert CostEntry.objects.count() == 0


def test_monthly_top_resources_from_the_sample():
    from apps.costs.models import TopResource

    import_path(FOCUS_SAMPLE)
    expected: dict[str, Decimal] = {}
    with open(FOCUS_SAMPLE, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["ProviderName"] == "AWS" and row["BillingPeriodStart"].startswith("2024-09") and row["ResourceId"] != "NULL":
                expected[row["ResourceId"]] = expected.get(row["ResourceId"], Decimal("0")) + Decimal(row["BilledCost"])
    top = list(TopResource.objects.filter(provider="AWS", month="2024-09-01").order_by("-cost", "resource_id"))
    assert len(top) == min(100, len(expected))
    best = max(expected.values())
    assert top[0].cost == best
    assert {t.resource_id for t in top if t.cost == best} == {k for k, v in expected.items() if v == best}
    import_path(FOCUS_SAMPLE)
    assert TopResource.objects.filter(provider="AWS", month="2024-09-01").count() == len(top)


def test_postgres_spills_partial_sums_and_still_gives_exact_totals(require_postgres, monkeypatch, settings):
    from apps.costs import importers
    from apps.costs.services import imports as services

    settings.COSTS_COPY_IMPORT = False  # the streaming reader on PostgreSQL (also the COPY path's fallback)

    monkeypatch.setattr(importers.ParsedFile, "spill_limit", 7)  # spill often: partial sums of one key add up in SQL
    spills = []
    real_copy = services._stage_copy
    monkeypatch.setattr(services, "_stage_copy", lambda facts: (spills.append(len(facts)), real_copy(facts)))
    result = import_path(FOCUS_SAMPLE)
    assert len(spills) > 50 and max(spills) == 7
    assert result.rows == 1000
    assert db_totals("provider") == csv_totals(FOCUS_SAMPLE, "ProviderName")
    assert db_totals("service", "amortized_cost") == csv_totals(FOCUS_SAMPLE, "ServiceName", "EffectiveCost")
    monkeypatch.setattr(importers.ParsedFile, "spill_limit", 100_000)
    assert import_path(FOCUS_SAMPLE).entries == result.entries


@pytest.fixture(params=["copy", "reader"])
def import_route(request, settings):
    """Both import paths: COPY + SQL (PostgreSQL only) and the streaming reader."""
    if request.param == "copy":
        request.getfixturevalue("require_postgres")
    settings.COSTS_COPY_IMPORT = request.param == "copy"
    return request.param


@pytest.mark.parametrize(("column", "value", "says"), [
    ("BilledCost", "1000000000000", "'1000000000000' is too large for an amount (at most 999,999,999,999.999999999999)"),
    ("EffectiveCost", "-1e13", "'-1e13' is too large for an amount (at most 999,999,999,999.999999999999)"),
    ("ChargePeriodStart", "9999-12-31 00:00:00", "'9999-12-31 00:00:00' is outside the years 1900-2999"),
    ("BillingPeriodStart", "1899-12-01", "'1899-12-01' is outside the years 1900-2999"),
])
def test_amounts_and_dates_no_bill_holds_are_row_errors(import_route, tmp_path, column, value, says):
    import_path(FOCUS_SAMPLE)
    before = db_totals("provider")
    path = _corrupt(tmp_path, 420, column, value)

    with pytest.raises(ValidationError) as exc:
        import_path(path)

    assert exc.value.messages == [f"bad.csv: row 421, column {column}: {says}."]
    assert db_totals("provider") == before


def test_a_corrupt_or_cut_gzip_is_named_and_changes_nothing(import_route, tmp_path):
    lines = FOCUS_SAMPLE.read_bytes().splitlines(keepends=True)
    first = gzip.compress(b"".join(lines[:301]))  # the header and 300 rows
    second = bytearray(gzip.compress(b"".join(lines[301:])))
    second[10:16] = b"\xff" * 6  # the next member's first deflate block: reserved block type
    (tmp_path / "corrupt.csv.gz").write_bytes(first + bytes(second))
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(FOCUS_SAMPLE.read_bytes())[:40])  # ends inside the header

    with pytest.raises(ValidationError) as damaged:
        import_path(tmp_path / "corrupt.csv.gz")
    with pytest.raises(ValidationError) as cut:
        import_path(tmp_path / "cut.csv.gz")

    assert damaged.value.messages[0].startswith("corrupt.csv.gz: after row 30")  # row 301 was read, or nearly
    assert "the file cannot be read" in damaged.value.messages[0]
    assert cut.value.messages[0].startswith("cut.csv.gz: row 1: the header cannot be read")
    assert CostEntry.objects.count() == 0


def test_a_charge_dated_before_its_billing_period_is_a_fact_of_that_period(import_route, tmp_path):
    """A credit dated in August on the September bill, beside August's own charge of the same
    day and service: two facts, one per billing period, and each period replaces only its own."""
    path = tmp_path / "two-periods.csv"
    path.write_text(focus_csv([
        {"BilledCost": "10", "ChargePeriodStart": "2024-08-31 00:00:00", "BillingPeriodStart": "2024-08-01"},
        {"BilledCost": "-3", "ChargePeriodStart": "2024-08-31 00:00:00", "BillingPeriodStart": "2024-09-01"},
    ]))

    result = import_path(path)
    import_path(path)

    assert result.entries == 2
    assert sorted(CostEntry.objects.values_list("billing_period", "cost")) == [
        (date(2024, 8, 1), Decimal("10")), (date(2024, 9, 1), Decimal("-3"))]
