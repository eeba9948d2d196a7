"""The inventory sync against moto: two accounts (one through an assumed role), two regions."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from django.core.management import call_command

from apps.core import services as core_services
from apps.core.models import SyncRun
from apps.infra import services, sources
from apps.infra.models import Finding, Resource
from tests.infra.conftest import ACCOUNT_A, ACCOUNT_B, session_for

pytestmark = pytest.mark.django_db


def _run(**kwargs) -> SyncRun:
    run = core_services.syncrun_create(kind=services.INVENTORY_KIND)
    services.inventory_sync(run=run, **kwargs)
    run.refresh_from_db()
    return run


def _snapshot() -> dict:
    fields = ("arn", "resource_id", "kind", "name", "account_id", "region", "state", "size", "tags", "details",
              "owner_team_id", "request_id", "first_seen", "gone_at", "updated_at")
    return {r["arn"]: r for r in Resource.objects.values(*fields)}


def _arns_by_kind() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for kind, arn in Resource.objects.filter(gone_at__isnull=True).values_list("kind", "arn"):
        out.setdefault(kind, set()).add(arn)
    return out


def test_sync_finds_exactly_what_was_created(estate, accounts, world):
    run = _run()

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.error == ""
    assert _arns_by_kind() == estate.arns
    assert run.done == run.total == 2 * (2 + 1)  # two accounts x (two regions + global)
    assert run.rows_written == Resource.objects.count() == sum(len(v) for v in estate.arns.values())
    assert run.aws_calls > 10
    assert run.result["created"] == run.rows_written and run.result["errors"] == []


def test_sync_records_fields_and_owner_teams(estate, accounts, world):
    _run()
    web = Resource.objects.get(resource_id=estate.ids["web"])
    assert (web.kind, web.name, web.region, web.state, web.size) == ("ec2_instance", "web-1", "us-east-1", "running", "t3.large")
    assert web.account == accounts["a"]
    assert web.tags == {"Name": "web-1", "team": "alpha"}
    assert web.owner_team == world.teams["alpha"]  # from the tag
    idle = Resource.objects.get(resource_id=estate.ids["idle"])
    assert idle.owner_team == world.teams["beta"]  # untagged: the account's default team
    assert idle.state == "stopped"
    warehouse = Resource.objects.get(kind="rds_cluster")
    assert (warehouse.name, warehouse.account, warehouse.owner_team) == ("warehouse", accounts["b"], world.teams["data"])
    assert warehouse.arn.startswith(f"arn:aws:rds:us-east-1:{ACCOUNT_B}:cluster:")
    bucket = Resource.objects.get(resource_id="data-lake-raw")
    assert (bucket.region, bucket.account, bucket.details["empty"]) == ("eu-west-1", accounts["b"], False)
    fn = Resource.objects.get(resource_id="resize-images")
    assert (fn.size, fn.tags, fn.owner_team) == ("256 MB", {"team": "alpha"}, world.teams["alpha"])
    spare = Resource.objects.get(resource_id=estate.ids["spare"])
    assert (spare.state, spare.size, spare.owner_team) == ("available", "100 GiB gp3", world.teams["beta"])
    eks = Resource.objects.get(resource_id="ml-training")
    assert (eks.region, eks.account, eks.state) == ("eu-west-1", accounts["b"], "ACTIVE")


def test_second_sync_changes_nothing(estate, accounts):
    _run()
    before = _snapshot()
    findings_before = list(Finding.objects.order_by("pk").values())

    run = _run()

    assert _snapshot() == before
    assert list(Finding.objects.order_by("pk").values()) == findings_before
    assert run.rows_written == 0
    assert run.result == {"created": 0, "updated": 0, "restored": 0, "gone": 0, "unchanged": len(before), "errors": []}


def test_deleted_instance_is_marked_gone_and_restored_when_it_returns(estate, accounts):
    _run()
    ec2 = session_for(ACCOUNT_A).client("ec2")
    ec2.terminate_instances(InstanceIds=[estate.ids["web"]])

    run = _run()

    web = Resource.objects.get(resource_id=estate.ids["web"])
    assert web.gone_at is not None
    assert run.result["gone"] >= 1
    assert Resource.objects.filter(resource_id=estate.ids["idle"], gone_at__isnull=True).exists()
    # History stays: the row is not deleted.
    assert Resource.objects.filter(kind="ec2_instance").count() == 3

    # A bucket that disappears and comes back (same ARN) is restored.
    s3 = session_for(ACCOUNT_A).client("s3")
    s3.delete_bucket(Bucket="forgotten-exports")
    _run()
    assert Resource.objects.get(resource_id="forgotten-exports").gone_at is not None
    s3.create_bucket(Bucket="forgotten-exports")
    run = _run()
    bucket = Resource.objects.get(resource_id="forgotten-exports")
    assert bucket.gone_at is None
    assert run.result["restored"] == 1


class DeniedSession(sources.InventorySession):
    """STS refuses the role (the account does not trust us): AccessDenied through botocore's Stubber."""

    def _client_from(self, session, service, region=None):
        client = super()._client_from(session, service, region)
        if service == "sts":
            stubber = Stubber(client)
            stubber.add_client_error("assume_role", service_error_code="AccessDenied", http_status_code=403,
                                     service_message="not authorized to perform sts:AssumeRole")
            stubber.activate()
        return client


def test_access_denied_account_does_not_stop_the_others(estate, accounts):
    def factory(account, counter):
        if account.account_id == ACCOUNT_B:
            return DeniedSession(role_arn=account.role_arn, counter=counter)
        return services.default_session_factory(account, counter)

    run = _run(session_factory=factory)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.error == ("Data (111111111111): cannot open a session: AccessDenied: "
                         "not authorized to perform sts:AssumeRole")
    assert set(Resource.objects.values_list("account__account_id", flat=True).distinct()) == {ACCOUNT_A}
    assert Resource.objects.filter(account=accounts["a"]).count() == sum(
        1 for arns in estate.arns.values() for arn in arns if ACCOUNT_B not in arn and "data-lake" not in arn)
    assert run.done == run.total


def test_failing_account_leaves_its_resources_alone(estate, accounts):
    _run()
    count_b = Resource.objects.filter(account=accounts["b"], gone_at__isnull=True).count()

    def factory(account, counter):
        if account.account_id == ACCOUNT_B:
            return DeniedSession(role_arn=account.role_arn, counter=counter)
        return services.default_session_factory(account, counter)

    _run(session_factory=factory)

    assert count_b == 4
    assert Resource.objects.filter(account=accounts["b"], gone_at__isnull=True).count() == count_b


def test_only_failures_fail_the_run(estate, accounts):
    def factory(account, counter):
        return DeniedSession(role_arn="arn:aws:iam::999999999999:role/x", counter=counter)

    run = _run(session_factory=factory)

    assert run.status == SyncRun.Status.FAILED
    assert run.error.count("AccessDenied") == 2
    assert Resource.objects.count() == 0


def test_findings_after_sync(estate, accounts, world):
    _run()
    open_findings = {(f.resource.resource_id, f.kind, f.team.slug if f.team else None)
                     for f in Finding.objects.select_related("resource", "team")}
    idle, spare = estate.ids["idle"], estate.ids["spare"]
    assert (idle, Finding.Kind.STOPPED_WITH_VOLUMES, "beta") in open_findings
    assert (spare, Finding.Kind.UNATTACHED_VOLUME, "beta") in open_findings
    assert ("forgotten-exports", Finding.Kind.EMPTY_BUCKET, "beta") in open_findings
    assert ("alpha-assets", Finding.Kind.EMPTY_BUCKET, "alpha") not in open_findings
    untagged = {rid for rid, kind, _ in open_findings if kind == Finding.Kind.UNTAGGED}
    assert idle in untagged and "ml-training" in untagged and "forgotten-exports" in untagged
    assert estate.ids["web"] not in untagged and "warehouse" not in untagged

    # The volume gets attached: its finding is resolved, not deleted.
    ec2 = session_for(ACCOUNT_A).client("ec2")
    ec2.attach_volume(VolumeId=spare, InstanceId=estate.ids["web"], Device="/dev/sdf")
    _run()
    finding = Finding.objects.get(resource__resource_id=spare, kind=Finding.Kind.UNATTACHED_VOLUME)
    assert finding.resolved_at is not None


def test_management_command(estate, accounts, capsys):
    call_command("sync_inventory", "--account", ACCOUNT_A)
    out = capsys.readouterr().out
    assert "Inventory sync #" in out and "succeeded" in out
    assert set(Resource.objects.values_list("account__account_id", flat=True).distinct()) == {ACCOUNT_A}
    run = SyncRun.objects.get(kind=services.INVENTORY_KIND)
    assert run.params == {"account_ids": [ACCOUNT_A]}


def test_sync_aws_inventory_runs_the_inventory_sync(estate, accounts, capsys):
    call_command("sync_aws", "--inventory", "--account", ACCOUNT_A)
    out = capsys.readouterr().out
    assert "Inventory sync #" in out and "succeeded" in out
    assert set(Resource.objects.values_list("account__account_id", flat=True).distinct()) == {ACCOUNT_A}
    assert SyncRun.objects.get(kind=services.INVENTORY_KIND).status == SyncRun.Status.SUCCEEDED


def test_management_command_unknown_account(accounts):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No enabled AWS account with id 222222222222"):
        call_command("sync_inventory", "--account", "222222222222")
    assert SyncRun.objects.count() == 0


def test_with_backoff_retries_throttling_then_gives_up():
    calls, sleeps = [], []
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "ListFunctions")

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise throttled
        return "ok"

    assert sources.with_backoff(flaky, sleep=sleeps.append) == "ok"
    assert len(calls) == 3 and len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.9

    def always():
        raise throttled

    with pytest.raises(ClientError):
        sources.with_backoff(always, attempts=4, sleep=sleeps.append)
    assert len(sleeps) == 2 + 3


def test_with_backoff_does_not_retry_access_denied():
    calls = []
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeInstances")

    def fail():
        calls.append(1)
        raise denied

    with pytest.raises(ClientError):
        sources.with_backoff(fail, sleep=lambda s: None)
    assert calls == [1]


def test_region_failure_is_recorded_and_others_go_on(estate, accounts):
    """EKS refuses one region (a service not enabled there): the rest of that region and every
    other region is still read, and the failure is named on the run."""
    class EksDeniedInEu(sources.InventorySession):
        def client(self, service, region=None):
            client = super().client(service, region)
            if service == "eks" and region == "eu-west-1":
                stubber = Stubber(client)
                stubber.add_client_error("list_clusters", service_error_code="AccessDeniedException",
                                         http_status_code=403, service_message="eks not enabled")
                stubber.activate()
            return client

    def factory(account, counter):
        return EksDeniedInEu(role_arn=account.role_arn or None, counter=counter)

    run = _run(session_factory=factory)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.error.splitlines() == [  # accounts in name order
        "Data (111111111111) eu-west-1 eks: AccessDeniedException: eks not enabled",
        "Production (123456789012) eu-west-1 eks: AccessDeniedException: eks not enabled",
    ]
    assert not Resource.objects.filter(resource_id="ml-training").exists()
    assert Resource.objects.filter(resource_id="apps", kind="eks_cluster").exists()
    assert Resource.objects.filter(resource_id="warehouse").exists()


def test_scheduled_task_runs_a_sync_and_skips_while_one_runs(estate, accounts):
    from apps.infra import tasks

    run_id = tasks.inventory_sync_scheduled_task.apply().get()
    run = SyncRun.objects.get(pk=run_id)
    assert (run.status, run.params, run.result["created"]) == ("succeeded", {"scheduled": True}, Resource.objects.count())
    busy = core_services.syncrun_create(kind=services.INVENTORY_KIND)
    core_services.syncrun_start(run=busy, total=6)
    assert tasks.inventory_sync_scheduled_task.apply().get() is None
    assert SyncRun.objects.count() == 2


def test_task_runs_the_queued_run(estate, accounts):
    from apps.infra import tasks

    run = core_services.syncrun_create(kind=services.INVENTORY_KIND, params={"account_ids": [ACCOUNT_B]})
    tasks.inventory_sync_task.apply(args=[run.pk]).get()
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert set(Resource.objects.values_list("account__account_id", flat=True).distinct()) == {ACCOUNT_B}


def test_beat_schedule_exists():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="infra.inventory_sync_scheduled_task")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "hours")


def test_lambda_invocations_from_cloudwatch(estate, accounts):
    from datetime import UTC, datetime, timedelta

    cloudwatch = session_for(ACCOUNT_A).client("cloudwatch")
    cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=[{
        "MetricName": "Invocations", "Dimensions": [{"Name": "FunctionName", "Value": "resize-images"}],
        "Timestamp": datetime.now(UTC) - timedelta(days=2), "Value": 7.0, "Unit": "Count"}])
    _run()
    assert Resource.objects.get(resource_id="resize-images").details["invocations_30d"] == 7
    assert Resource.objects.get(resource_id="etl-trigger").details["invocations_30d"] == 0
    # Both functions were just created: neither is called idle yet.
    assert not Finding.objects.filter(kind=Finding.Kind.IDLE_FUNCTION).exists()


@pytest.mark.parametrize("details, idle", [
    ({"invocations_30d": 0, "last_modified": "2025-01-01T00:00:00.000+0000"}, True),
    ({"invocations_30d": 3, "last_modified": "2025-01-01T00:00:00.000+0000"}, False),
    ({"invocations_30d": None, "last_modified": "2025-01-01T00:00:00.000+0000"}, False),  # no CloudWatch data
    ({"invocations_30d": 0, "last_modified": ""}, False),
])
def test_idle_function_finding(world, details, idle):
    from tests.infra.factories import ResourceFactory

    fn = ResourceFactory(kind=Resource.Kind.LAMBDA_FUNCTION, details=details, tags={"team": "alpha"},
                         owner_team=world.teams["alpha"])
    services.findings_refresh()
    assert Finding.objects.filter(resource=fn, kind=Finding.Kind.IDLE_FUNCTION).exists() is idle
