"""Pages and API: EM scoping (pages, API, CSV), 404 for other teams, uploads through Celery,
triage, writes refused without changes, query counts at two data sizes."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.core.models import SyncRun
from apps.costs import tasks
from apps.costs.models import Budget, CostAnomaly, CostEntry, CostUpload, SavingsOpportunity, ToolSubscription
from tests.costs.helpers import FOCUS_SAMPLE, csv_totals, db_totals, focus_csv

pytestmark = pytest.mark.django_db
DAY = date(2025, 2, 10)
RANGE = "start=2025-02-01&end=2025-02-28"


def _entry(team, cost, service="Amazon EC2", day=DAY, account="111111111111"):
    return CostEntry.objects.create(
        date=day, billing_period=day.replace(day=1), provider="AWS", billing_account_id="9", sub_account_id=account,
        service=service, region="", team=team, cost=Decimal(cost), amortized_cost=Decimal(cost), currency="USD",
        source="focus")


@pytest.fixture
def costs(world):
    _entry(world.teams["alpha"], "10.00", "Amazon EC2")
    _entry(world.teams["beta"], "20.00", "Amazon RDS")
    _entry(None, "5.00", "AWS Support")
    return world


def test_em_sees_only_their_teams_costs_in_page_api_and_csv(costs):
    em = costs.client("em")

    page = em.get(reverse("costs:overview") + f"?{RANGE}&group_by=service")
    assert page.status_code == 200
    assert [g["label"] for g in page.context["agg"].groups] == ["Amazon EC2"]
    assert page.context["agg"].total == Decimal("10.00")

    api = em.get(reverse("api:cost-aggregate") + f"?{RANGE}&group_by=team").json()
    assert [(g["key"], g["total"]) for g in api["groups"]] == [("alpha", "10.00")]
    assert api["total"] == "10.00"

    entries = em.get(reverse("api:cost-entry-list")).json()
    assert [(e["team"], e["cost"]) for e in entries["results"]] == [("alpha", "10.000000000000")]

    rows = list(csv.reader(io.StringIO(em.get(reverse("costs:export") + f"?{RANGE}&group_by=team").content.decode())))
    assert rows == [["period", "team", "cost", "currency"], ["2025-02-10", "Alpha", "10.00", "USD"]]


def test_finance_sees_everything_including_unallocated(costs):
    data = costs.client("finance").get(reverse("api:cost-aggregate") + f"?{RANGE}&group_by=team").json()
    assert [(g["key"], g["label"], g["total"]) for g in data["groups"]] == [
        ("beta", "Beta", "20.00"), ("alpha", "Alpha", "10.00"), ("unallocated", "Unallocated", "5.00")]
    assert data["total"] == "35.00"
    monthly = costs.client("cto").get(reverse("api:cost-aggregate") + f"?{RANGE}&granularity=monthly").json()
    assert monthly["periods"] == ["2025-02-01"]


@pytest.mark.parametrize("query", ["group_by=colour", "granularity=hourly", "start=2025-03-01&end=2025-01-01",
                                   "start=yesterday", "start=2020-01-01&end=2025-01-01"])
def test_bad_aggregate_queries_are_400(costs, query):
    response = costs.client("cto").get(reverse("api:cost-aggregate") + f"?{query}")
    assert response.status_code == 400
    assert set(response.json()) & {"group_by", "granularity", "start"}


def test_em_gets_404_for_another_teams_objects(costs):
    beta = costs.teams["beta"]
    budget = Budget.objects.create(name="Beta", scope="team", team=beta, amount=100, currency="USD")
    anomaly = CostAnomaly.objects.create(date=DAY, dimension="team", key="beta", team=beta, expected=1, actual=9,
                                         impact=8, currency="USD")
    sub = ToolSubscription.objects.create(vendor="X", product="Y", amount=1, currency="USD", owner_team=beta)
    opp = SavingsOpportunity.objects.create(title="Z", team=beta, estimated_monthly=1, currency="USD")
    entry = CostEntry.objects.get(team=beta)
    em = costs.client("em")
    for url in [reverse("costs:budget-detail", args=[budget.pk]), reverse("costs:anomaly-detail", args=[anomaly.pk]),
                reverse("api:cost-budget-detail", args=[budget.pk]), reverse("api:cost-anomaly-detail", args=[anomaly.pk]),
                reverse("api:tool-subscription-detail", args=[sub.pk]),
                reverse("api:savings-opportunity-detail", args=[opp.pk]), reverse("api:cost-entry-detail", args=[entry.pk])]:
        assert em.get(url).status_code == 404, url
    response = em.post(reverse("api:cost-anomaly-triage", args=[anomaly.pk]), {"status": "resolved", "note": "x"},
                       content_type="application/json")
    assert response.status_code == 404
    anomaly.refresh_from_db()
    assert anomaly.status == "new"
    assert costs.client("em2").get(reverse("costs:anomaly-detail", args=[anomaly.pk])).status_code == 200


def test_em_triages_their_anomaly_through_page_and_api(costs):
    anomaly = CostAnomaly.objects.create(date=DAY, dimension="team", key="alpha", team=costs.teams["alpha"],
                                         expected=1, actual=9, impact=8, currency="USD")
    em = costs.client("em")
    response = em.post(reverse("costs:anomaly-detail", args=[anomaly.pk]), {"status": "acknowledged", "note": ""})
    assert response.status_code == 302
    anomaly.refresh_from_db()
    assert (anomaly.status, anomaly.triaged_by) == ("acknowledged", costs.em)
    bad = em.post(reverse("api:cost-anomaly-triage", args=[anomaly.pk]), {"status": "expected"},
                  content_type="application/json")
    assert (bad.status_code, list(bad.json())) == (400, ["note"])
    ok = em.post(reverse("api:cost-anomaly-triage", args=[anomaly.pk]), {"status": "expected", "note": "Migration"},
                 content_type="application/json")
    assert (ok.status_code, ok.json()["status"], ok.json()["note"]) == (200, "expected", "Migration")


def test_budget_api_create_and_refused_write_changes_nothing(costs):
    payload = {"name": "Alpha monthly", "scope": "team", "team": "alpha", "amount": "1000.00", "currency": "USD",
               "thresholds": [80, 100]}
    refused = costs.client("em").post(reverse("api:cost-budget-list"), payload, content_type="application/json")
    assert refused.status_code == 403
    assert Budget.objects.count() == 0
    created = costs.client("finance").post(reverse("api:cost-budget-list"), payload, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["amount"], body["spent"], body["team"], body["thresholds"]) == ("1000.00", "0.00", "alpha", [80, 100])
    bad = costs.client("finance").post(reverse("api:cost-budget-list"), {**payload, "scope": "service"},
                                       content_type="application/json")
    assert (bad.status_code, list(bad.json())) == (400, ["service"])
    assert Budget.objects.count() == 1


def test_budget_page_create(costs):
    response = costs.client("cto").post(reverse("costs:budget-create"), {
        "name": "Everything", "scope": "total", "period": "quarterly", "amount": "50000", "currency": "USD",
        "thresholds": "50, 90", "alert_on_forecast": "on", "is_active": "on"})
    budget = Budget.objects.get()
    assert response.status_code == 302 and response["Location"] == budget.get_absolute_url()
    assert (budget.period, budget.thresholds, budget.amount) == ("quarterly", [50, 90], Decimal("50000"))
    page = costs.client("cto").get(budget.get_absolute_url())
    assert page.status_code == 200


def test_subscription_api(costs):
    client = costs.client("finance")
    response = client.post(reverse("api:tool-subscription-list"), {
        "vendor": "Atlassian", "product": "Jira", "amount": "1200.00", "currency": "EUR", "billing_period": "quarterly",
        "seats_purchased": 40, "seats_used": 41, "owner_team": "alpha"}, content_type="application/json")
    assert (response.status_code, list(response.json())) == (400, ["seats_used"])
    response = client.post(reverse("api:tool-subscription-list"), {
        "vendor": "Atlassian", "product": "Jira", "amount": "1200.00", "currency": "EUR", "billing_period": "quarterly",
        "seats_purchased": 40, "seats_used": 31, "owner_team": "alpha"}, content_type="application/json")
    assert response.status_code == 201
    assert (response.json()["monthly_cost"], response.json()["cost_per_seat"]) == ("400.00", "10.00")


def test_upload_page_imports_through_the_celery_task(costs, django_capture_on_commit_callbacks):
    CostEntry.objects.all().delete()
    client = costs.client("finance")
    upload = SimpleUploadedFile("focus_sample.csv", FOCUS_SAMPLE.read_bytes(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("costs:import"), {"file": upload, "format": "focus"})
    run = SyncRun.objects.get(kind=tasks.COST_IMPORT)
    assert response.status_code == 302 and response["Location"] == reverse("core:syncrun-detail", args=[run.pk])
    assert len(callbacks) == 1 and CostEntry.objects.count() == 0

    tasks.import_upload_task.apply(args=[run.pk])  # what the worker runs

    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert run.result["rows"] == 1000 and run.rows_written == CostEntry.objects.count()
    assert run.percent == 100
    assert db_totals("provider") == csv_totals(FOCUS_SAMPLE, "ProviderName")
    assert CostUpload.objects.count() == 0
    progress = client.get(reverse("core:syncrun-detail", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert b"1000 rows" in progress.content or b"succeeded" in progress.content.lower()


def test_a_bad_upload_fails_the_run_and_writes_nothing(costs):
    before = CostEntry.objects.count()
    content = focus_csv([{"BilledCost": "1"}, {"BilledCost": "oops"}]).encode()
    upload = SimpleUploadedFile("bad.csv", content, content_type="text/csv")
    costs.client("cto").post(reverse("costs:import"), {"file": upload})
    run = SyncRun.objects.get(kind=tasks.COST_IMPORT)
    tasks.import_upload_task.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == "Nothing was imported.\nbad.csv: row 3, column BilledCost: 'oops' is not a number."
    assert CostEntry.objects.count() == before


def _many_entries(world, n):
    teams = [world.teams["alpha"], world.teams["beta"], None]
    CostEntry.objects.bulk_create([
        CostEntry(date=DAY - timedelta(days=i % 20), billing_period=DAY.replace(day=1), provider="AWS",
                  billing_account_id="9", sub_account_id=f"{i:012d}", service=f"Service {i % 7}", region="",
                  team=teams[i % 3], cost=Decimal("1.25"), amortized_cost=Decimal("1"), currency="USD", source="focus")
        for i in range(n)])
    for i in range(n // 10 + 1):
        CostAnomaly.objects.create(date=DAY - timedelta(days=i), dimension="team", key=f"k{i}",
                                   team=teams[i % 2], owner=world.em, expected=1, actual=5, impact=4, currency="USD")
        Budget.objects.create(name=f"B{i}", scope="team", team=teams[i % 2], amount=100, currency="USD")


@pytest.mark.parametrize("n", [3, 40])
def test_query_counts_do_not_grow_with_rows(world, n, django_assert_max_num_queries):
    _many_entries(world, n)
    client = world.client("finance")
    with django_assert_max_num_queries(14):
        assert client.get(reverse("costs:overview") + "?start=2025-01-01&end=2025-02-28").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("api:cost-entry-list")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("costs:anomaly-list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("api:cost-aggregate") + "?group_by=team").status_code == 200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_progress_writer_is_visible_while_the_import_transaction_is_open():
    from django.db import transaction

    from apps.core import services as core_services

    run = core_services.syncrun_start(run=core_services.syncrun_create(kind=tasks.COST_IMPORT))
    writer = tasks.ProgressWriter(run)
    try:
        with transaction.atomic():  # the import's transaction
            writer(5, 10, 1234)
            seen = SyncRun.objects.values_list("done", "total", "message").get(pk=run.pk)
            if writer.conn is not None:  # PostgreSQL: committed on its own connection already
                with writer.conn.cursor() as cursor:
                    cursor.execute("SELECT done, total, message FROM core_syncrun WHERE id = %s", [run.pk])
                    assert cursor.fetchone() == (5, 10, "1234 rows read")
    finally:
        writer.close()
    assert seen == (5, 10, "1234 rows read")


@pytest.mark.django_db
def test_negative_money_and_bad_currency_are_400_never_500(world):
    """Found by the API fuzzer: these used to reach the database's check constraints."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.users["cto"])
    response = client.post("/api/v1/savings-opportunities/",
                           {"title": "x", "estimated_monthly": "-603", "currency": "UTC"}, format="json")
    assert response.status_code == 400
    response = client.post("/api/v1/tool-subscriptions/",
                           {"vendor": "v", "product": "p", "amount": "-1", "currency": "USD",
                            "billing_period": "monthly", "renewal_date": "2027-01-01"}, format="json")
    assert response.status_code == 400
