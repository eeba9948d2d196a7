"""AWS through moto (S3, STS) and botocore's Stubber (Cost Explorer). Nothing leaves the machine."""
from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber
from django.core.management import call_command
from django.db.models import Sum
from moto import mock_aws

from apps.core.models import SyncRun
from apps.costs import services, sources
from apps.costs.models import AwsAccount, CostEntry, CostSource
from apps.costs.tasks import record_sync_outcome
from tests.costs.helpers import FOCUS_SAMPLE, csv_totals, db_totals, focus_csv
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_extra_tag_pulls(settings):
    """Most tests stub only the main GetCostAndUsage pull; the tag-dimension pulls have their own test."""
    settings.COST_CE_TAG_KEYS = []


@pytest.fixture
def aws_env(monkeypatch, settings):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.AWS_ENDPOINT_URL = None
    with mock_aws():
        yield


def _s3():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="billing")
    return s3


def test_s3_prefix_imports_every_file_under_it(aws_env, capsys):
    s3 = _s3()
    s3.put_object(Bucket="billing", Key="focus/2024-09/part-0.csv.gz", Body=gzip.compress(FOCUS_SAMPLE.read_bytes()))
    s3.put_object(Bucket="billing", Key="focus/2024-08/part-0.csv", Body=focus_csv([
        {"BilledCost": "7.25", "ChargePeriodStart": "2024-08-02", "BillingPeriodStart": "2024-08-01"}]).encode())
    s3.put_object(Bucket="billing", Key="focus/readme.txt", Body=b"not data")

    call_command("import_costs", "s3://billing/focus/", "--no-progress")

    expected = csv_totals(FOCUS_SAMPLE, "ProviderName")
    expected["AWS"] += Decimal("7.25")
    assert db_totals("provider") == expected
    assert "Imported 1001 rows" in capsys.readouterr().out


def test_s3_manifest_lists_the_report_keys(aws_env):
    s3 = _s3()
    s3.put_object(Bucket="billing", Key="cur/a.csv", Body=focus_csv([{"BilledCost": "1.10"}]).encode())
    s3.put_object(Bucket="billing", Key="cur/b.csv", Body=focus_csv([{"BilledCost": "2.20", "ServiceName": "S3"}]).encode())
    s3.put_object(Bucket="billing", Key="cur/stale.csv", Body=focus_csv([{"BilledCost": "99"}]).encode())
    s3.put_object(Bucket="billing", Key="cur/x-Manifest.json", Body=json.dumps({"reportKeys": ["cur/a.csv", "cur/b.csv"]}))

    result = services.cost_file_import(actor=services.SYSTEM, files=services.input_files_for("s3://billing/cur/x-Manifest.json"))

    assert result.rows == 2
    assert db_totals("service") == {"Amazon EC2": Decimal("1.1"), "S3": Decimal("2.2")}


def test_sts_role_is_assumed_for_an_account_with_a_role(aws_env):
    account = AwsAccount.objects.create(account_id="123456789012", name="prod",
                                        role_arn="arn:aws:iam::123456789012:role/cost-reader", external_id="ext-1")
    client = sources.ce_client_for(account)
    creds = client._request_signer._credentials
    assert creds.access_key.startswith("ASIA")  # moto's temporary credentials from AssumeRole
    assert creds.access_key not in ("testing", "FOOBARKEY")
    plain = sources.ce_client_for(AwsAccount.objects.create(account_id="210987654321", name="dev"))
    import os

    assert plain._request_signer._credentials.access_key == os.environ["AWS_ACCESS_KEY_ID"]  # the default chain


# -- Cost Explorer with the Stubber ---------------------------------------------------------------------
TODAY = date(2025, 3, 20)


def _ce_client():
    return boto3.client("ce", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _page(days: list[tuple[str, list[tuple[str, str, str]]]], token: str | None = None) -> dict:
    page = {"ResultsByTime": [
        {"TimePeriod": {"Start": d, "End": (date.fromisoformat(d) + timedelta(days=1)).isoformat()},
         "Total": {}, "Estimated": False,
         "Groups": [{"Keys": [svc, f"team${team}"], "Metrics": {
             "UnblendedCost": {"Amount": amount, "Unit": "USD"},
             "AmortizedCost": {"Amount": str(Decimal(amount) - Decimal("0.5")), "Unit": "USD"}}}
             for svc, team, amount in groups]}
        for d, groups in days
    ], "DimensionValueAttributes": []}
    if token:
        page["NextPageToken"] = token
    return page


def _expected(account_id: str, start: date, end: date, token: str | None = None) -> dict:
    params = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": "DAILY",
        "Metrics": ["UnblendedCost", "AmortizedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "TAG", "Key": "team"}],
        "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account_id]}},
    }
    if token:
        params["NextPageToken"] = token
    return params


def _run():
    from apps.core import services as core_services

    run = core_services.syncrun_create(kind="cost_explorer_sync")
    return core_services.syncrun_start(run=run)


def test_pagination_backfill_then_incremental_window():
    team = TeamFactory(slug="payments", name="Payments")
    other = TeamFactory(slug="platform", name="Platform")
    account = AwsAccount.objects.create(account_id="111122223333", name="prod", default_team=other)
    client = _ce_client()
    stub = Stubber(client)
    backfill_start = TODAY - timedelta(days=365)
    stub.add_response("get_cost_and_usage", _page([("2025-03-17", [("Amazon EC2", "payments", "10.25"),
                                                                   ("Amazon S3", "", "1.00")])], token="p2"),
                      _expected(account.account_id, backfill_start, TODAY))
    stub.add_response("get_cost_and_usage", _page([("2025-03-18", [("Amazon EC2", "payments", "11.75")])]),
                      _expected(account.account_id, backfill_start, TODAY, token="p2"))
    run = _run()

    with stub:
        results = services.cost_explorer_sync(actor=services.SYSTEM, today=TODAY, run=run, client_factory=lambda a: client,
                                              sleep=lambda s: None)
    stub.assert_no_pending_responses()

    assert [(r.status, r.entries, r.calls, r.start) for r in results] == [("ok", 3, 2, backfill_start.isoformat())]
    assert {(e.date.isoformat(), e.service, e.team_id, e.cost, e.amortized_cost) for e in CostEntry.objects.all()} == {
        ("2025-03-17", "Amazon EC2", team.pk, Decimal("10.25"), Decimal("9.75")),
        ("2025-03-17", "Amazon S3", other.pk, Decimal("1"), Decimal("0.5")),  # untagged: the account's team
        ("2025-03-18", "Amazon EC2", team.pk, Decimal("11.75"), Decimal("11.25")),
    }
    run.refresh_from_db()
    assert (run.aws_calls, run.rows_written, run.done, run.total) == (2, 3, 1, 1)

    # The next day only the last few days are re-read, and restated figures replace old ones.
    later = TODAY + timedelta(days=1)
    stub2 = Stubber(client)
    stub2.add_response("get_cost_and_usage", _page([
        ("2025-03-17", [("Amazon EC2", "payments", "10.25"), ("Amazon S3", "", "1.00")]),
        ("2025-03-18", [("Amazon EC2", "payments", "12.00")])]),
                       _expected(account.account_id, later - timedelta(days=5), later))
    with stub2:
        results = services.cost_explorer_sync(actor=services.SYSTEM, today=later, client_factory=lambda a: client,
                                              sleep=lambda s: None)
    stub2.assert_no_pending_responses()
    assert results[0].start == (later - timedelta(days=5)).isoformat()
    assert {(e.date.isoformat(), e.cost) for e in CostEntry.objects.filter(service="Amazon EC2")} == {
        ("2025-03-17", Decimal("10.25")), ("2025-03-18", Decimal("12"))}
    assert CostEntry.objects.filter(source=CostSource.CE).count() == 3
    # The monthly roll-up follows the restated window in the same transaction.
    from apps.costs.models import CostMonthEntry

    assert sorted(CostMonthEntry.objects.values_list("month", "service", "team_id", "cost")) == [
        (date(2025, 3, 1), "Amazon EC2", team.pk, Decimal("22.25")), (date(2025, 3, 1), "Amazon S3", other.pk, Decimal("1"))]


def test_limit_exceeded_is_retried_with_backoff_and_counted():
    account = AwsAccount.objects.create(account_id="111122223333", name="prod")
    client = _ce_client()
    stub = Stubber(client)
    stub.add_client_error("get_cost_and_usage", "LimitExceededException", "Rate exceeded", 400)
    stub.add_client_error("get_cost_and_usage", "ThrottlingException", "slow down", 400)
    stub.add_response("get_cost_and_usage", _page([("2025-03-18", [("AWS Lambda", "", "0.40")])]))
    sleeps: list[float] = []
    run = _run()

    with stub:
        results = services.cost_explorer_sync(actor=services.SYSTEM, today=TODAY, run=run,
                                              client_factory=lambda a: client, sleep=sleeps.append)

    assert [(r.account_id, r.status, r.calls, r.entries) for r in results] == [(account.account_id, "ok", 3, 1)]
    assert sleeps == [1.0, 2.0]
    run.refresh_from_db()
    assert run.aws_calls == 3


def test_access_denied_on_one_account_is_recorded_and_the_others_go_on():
    denied = AwsAccount.objects.create(account_id="111111111111", name="locked")
    ok = AwsAccount.objects.create(account_id="222222222222", name="open")
    clients = {}
    for acc in (denied, ok):
        clients[acc.account_id] = _ce_client()
    s_denied, s_ok = Stubber(clients[denied.account_id]), Stubber(clients[ok.account_id])
    s_denied.add_client_error("get_cost_and_usage", "AccessDeniedException", "not authorized to perform ce:GetCostAndUsage", 400)
    s_ok.add_response("get_cost_and_usage", _page([("2025-03-18", [("Amazon RDS", "", "5.00")])]))
    run = _run()

    with s_denied, s_ok:
        results = services.cost_explorer_sync(actor=services.SYSTEM, today=TODAY, run=run,
                                              client_factory=lambda a: clients[a.account_id], sleep=lambda s: None)
    run = record_sync_outcome(run=run, results=results)

    assert [(r.account_id, r.status, r.calls) for r in results] == [("111111111111", "access_denied", 1),
                                                                     ("222222222222", "ok", 1)]
    assert list(CostEntry.objects.values_list("sub_account_id", "cost")) == [("222222222222", Decimal("5"))]
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.error.startswith("111111111111: AccessDeniedException")
    assert run.result["accounts"]["111111111111"]["status"] == "access_denied"
    assert run.aws_calls == 2


def test_every_account_denied_fails_the_run():
    AwsAccount.objects.create(account_id="111111111111", name="locked")
    client = _ce_client()
    stub = Stubber(client)
    stub.add_client_error("get_cost_and_usage", "AccessDeniedException", "no", 400)
    run = _run()
    with stub:
        results = services.cost_explorer_sync(actor=services.SYSTEM, today=TODAY, run=run,
                                              client_factory=lambda a: client, sleep=lambda s: None)
    run = record_sync_outcome(run=run, results=results)
    assert run.status == SyncRun.Status.FAILED
    assert CostEntry.objects.count() == 0


def test_sync_aws_command_with_moto_records_denied_accounts(aws_env, capsys):
    # moto's Cost Explorer answers GetCostAndUsage with an empty result; --inventory without infra is tolerated.
    AwsAccount.objects.create(account_id="123456789012", name="prod")
    call_command("sync_aws", "--costs", "--account", "123456789012")
    out = capsys.readouterr().out
    assert "123456789012: ok" in out
    run = SyncRun.objects.get(kind="cost_explorer_sync")
    assert run.status == "succeeded" and run.aws_calls >= 1


def test_sync_aws_unknown_account_is_refused():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Unknown or disabled account"):
        call_command("sync_aws", "--costs", "--account", "999999999999")


def test_rightsizing_recommendations_become_savings_opportunities():
    from apps.costs.models import SavingsOpportunity

    team = TeamFactory(slug="payments", name="Payments")
    AwsAccount.objects.create(account_id="200000000000", name="payer", is_payer=True)
    AwsAccount.objects.create(account_id="210000000001", name="payments", default_team=team)
    client = _ce_client()
    rec = {"AccountId": "210000000001", "RightsizingType": "Modify",
           "CurrentInstance": {"ResourceId": "i-0abc", "InstanceName": "pay-api-1",
                               "ResourceDetails": {"EC2ResourceDetails": {"InstanceType": "m5.2xlarge"}}},
           "ModifyRecommendationDetail": {"TargetInstances": [
               {"EstimatedMonthlySavings": "80.50", "CurrencyCode": "USD", "DefaultTargetInstance": True,
                "ResourceDetails": {"EC2ResourceDetails": {"InstanceType": "m5.xlarge"}}}]}}
    idle = {"AccountId": "210000000001", "RightsizingType": "Terminate",
            "CurrentInstance": {"ResourceId": "i-0dead", "InstanceName": "",
                                "ResourceDetails": {"EC2ResourceDetails": {"InstanceType": "t3.large"}}},
            "TerminateRecommendationDetail": {"EstimatedMonthlySavings": "60.7", "CurrencyCode": "USD"}}
    for _ in range(2):  # twice: the second run updates, it does not duplicate
        stub = Stubber(client)
        stub.add_response("get_rightsizing_recommendation", {"RightsizingRecommendations": [rec], "NextPageToken": "n"})
        stub.add_response("get_rightsizing_recommendation", {"RightsizingRecommendations": [idle]})
        with stub:
            services.rightsizing_sync(actor=services.SYSTEM, client_factory=lambda a: client, sleep=lambda s: None)
        stub.assert_no_pending_responses()
        SavingsOpportunity.objects.filter(external_id__endswith="Modify").update(status="in_progress")

    assert sorted(SavingsOpportunity.objects.values_list("title", "estimated_monthly", "team__slug", "status")) == [
        ("Rightsize i-0dead (t3.large) (idle: terminate)", Decimal("60.70"), "payments", "open"),
        ("Rightsize pay-api-1 (m5.2xlarge) to m5.xlarge", Decimal("80.50"), "payments", "in_progress"),
    ]

    # Finance puts its own figure on one; AWS's next estimate changes: only the other follows it.
    modify = SavingsOpportunity.objects.get(external_id__endswith="Modify")
    services.savings_opportunity_update(actor=services.SYSTEM, opportunity=modify, estimated_monthly=Decimal("70.00"))
    rec["ModifyRecommendationDetail"]["TargetInstances"][0]["EstimatedMonthlySavings"] = "95.25"
    idle["TerminateRecommendationDetail"]["EstimatedMonthlySavings"] = "61.00"
    stub = Stubber(client)
    stub.add_response("get_rightsizing_recommendation", {"RightsizingRecommendations": [rec, idle]})
    with stub:
        services.rightsizing_sync(actor=services.SYSTEM, client_factory=lambda a: client, sleep=lambda s: None)
    assert sorted(SavingsOpportunity.objects.values_list("external_id", "estimated_monthly", "estimate_source")) == [
        ("210000000001:i-0abc:Modify", Decimal("70.00"), "entered"),
        ("210000000001:i-0dead:Terminate", Decimal("61.00"), "computed"),
    ]


def _tag_page(tag_key: str, days: list[tuple[str, list[tuple[str, str]]]]) -> dict:
    return {"ResultsByTime": [
        {"TimePeriod": {"Start": d, "End": (date.fromisoformat(d) + timedelta(days=1)).isoformat()},
         "Total": {}, "Estimated": False,
         "Groups": [{"Keys": [f"{tag_key}${value}"], "Metrics": {
             "UnblendedCost": {"Amount": amount, "Unit": "USD"}, "AmortizedCost": {"Amount": amount, "Unit": "USD"}}}
             for value, amount in groups]}
        for d, groups in days
    ], "DimensionValueAttributes": []}


def test_cost_explorer_fills_the_tag_dimension_with_group_by_tag(settings):
    from apps.costs.models import CostTagEntry
    from apps.costs.selectors import cost_by_tag

    settings.COST_CE_TAG_KEYS = ["initiative"]
    TeamFactory(slug="payments", name="Payments")
    account = AwsAccount.objects.create(account_id="111122223333", name="prod")
    start = TODAY - timedelta(days=365)
    client = _ce_client()
    stub = Stubber(client)
    stub.add_response("get_cost_and_usage", _page([("2025-03-17", [("Amazon EC2", "payments", "10.25"),
                                                                   ("Amazon S3", "", "1.00")])]),
                      _expected(account.account_id, start, TODAY))
    tag_params = {**_expected(account.account_id, start, TODAY), "GroupBy": [{"Type": "TAG", "Key": "initiative"}]}
    stub.add_response("get_cost_and_usage", _tag_page("initiative", [("2025-03-17", [("invoice-ocr", "7.50"),
                                                                                      ("", "3.75")])]), tag_params)
    with stub:
        results = services.cost_explorer_sync(actor=services.SYSTEM, today=TODAY, client_factory=lambda a: client,
                                              sleep=lambda s: None)
    stub.assert_no_pending_responses()

    assert [(r.status, r.calls, r.entries) for r in results] == [("ok", 2, 2)]
    # The tag pull adds no daily facts (the same money again), only the tag dimension.
    assert CostEntry.objects.aggregate(s=Sum("cost"))["s"] == Decimal("11.25")
    assert set(CostTagEntry.objects.values_list("tag_key", "tag_value", "cost", "source")) == {
        ("initiative", "invoice-ocr", Decimal("7.5"), "ce"), ("team", "payments", Decimal("10.25"), "ce")}
    assert cost_by_tag(tag="initiative=invoice-ocr", start=date(2025, 3, 1), end=date(2025, 3, 31)) == [
        ("USD", Decimal("7.5"))]
    assert cost_by_tag(tag="team=payments", start=date(2025, 3, 1), end=date(2025, 3, 31)) == [
        ("USD", Decimal("10.25"))]
