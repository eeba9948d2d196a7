"""A "nothing is lost" hunt across the apps (see ARCHITECTURE.md, "Data that must never be lost
or corrupted"): deletes keep history (or are refused), a failure half-way writes nothing, re-runs
give the same rows, money stays exact and in its currency, and a save made from a stale page or a
stale API read is told about the newer version instead of silently winning.

Every test here can fail; a failing one documents a real gap (the app is not changed here)."""
from __future__ import annotations

import re
import threading
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from apps.core.access import get_actor
from apps.core.views import CONFLICT_MESSAGE, SEEN_FIELD
from apps.costs.models import Budget, CostAnomaly, CostEntry, SavingsOpportunity
from apps.org.models import Person, Team
from apps.syncs.models import ActionItem, AgendaItem, Decision, Meeting, SyncSeries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """``world`` hashes ten passwords; these tests never check one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _actor(world, key: str):
    return get_actor(world.users[key])


def _text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def _seen(html: str) -> str | None:
    match = re.search(rf'name="{SEEN_FIELD}" value="([0-9a-f]+)"', html)
    return match.group(1) if match else None


def _form_data(form: forms.BaseForm) -> dict:
    """What a browser posts back for an unbound form rendered with its initial values."""
    data: dict = {}
    for name, field in form.fields.items():
        if name == SEEN_FIELD:
            continue
        value = field.prepare_value(form[name].value())
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
            continue
        if value is None:
            data[name] = ""
            continue
        formatted = field.widget.format_value(value)
        data[name] = "" if formatted is None else formatted
    return data


# == 1. Deletes keep history (or are refused) ==========================================================
def _sync_history(world):
    from apps.syncs import services as syncs

    em = _actor(world, "em")
    series = syncs.series_create(actor=em, title="EM Sync", kind=SyncSeries.Kind.EM, participants=[world.em2, world.tl],
                                 weekday=1, start_time=time(10, 0), generate=False)
    meeting = Meeting.objects.create(series=series, scheduled_at=timezone.now() - timedelta(days=3))
    decision = syncs.decision_record(actor=em, series=series, meeting=meeting, owner=world.tl,
                                     text="Move the payments queue to SQS")
    action = syncs.action_item_create(actor=em, series=series, meeting=meeting, owner=world.tl,
                                      title="Write the SQS migration plan")
    return series, meeting, decision, action


def test_deleting_a_person_through_the_api_deactivates_and_history_still_names_them(world):
    """People who leave are deactivated, never deleted: gone from the people list, still the
    owner of their decisions and action items, their login disabled, reports moved up."""
    series, meeting, decision, action = _sync_history(world)
    tl = world.tl
    response = world.client("hr").delete(f"/api/v1/people/{tl.pk}/")

    assert response.status_code == 204
    tl.refresh_from_db()
    assert (tl.is_active, tl.end_date) == (False, timezone.localdate())
    assert get_user_model().objects.get(pk=tl.user_id).is_active is False
    assert Person.objects.get(pk=world.engineer.pk).manager_id == world.em.pk
    listed = world.client("cto").get("/api/v1/people/", {"page_size": 200}).json()["results"]
    assert tl.pk not in [p["id"] for p in listed]
    assert Decision.objects.get(pk=decision.pk).owner_id == tl.pk
    assert ActionItem.objects.get(pk=action.pk).owner_id == tl.pk
    log = _text(world.client("em").get(reverse("syncs:decision-log"), {"series": series.pk}))
    assert "Move the payments queue to SQS" in log and tl.full_name in log



def test_the_admin_cannot_hard_delete_an_inventory_resource(world, superuser_client):
    """infra.Resource: "Never deleted: a resource the sync no longer sees is marked gone"."""
    from apps.infra.models import Finding, Resource
    from tests.infra.factories import ResourceFactory

    resource = ResourceFactory(name="billing-db", state="stopped")
    Finding.objects.create(resource=resource, kind=Finding.Kind.UNTAGGED, detail="No owner tag")
    url = reverse("admin:infra_resource_delete", args=[resource.pk])

    superuser_client.post(url, {"post": "yes"})

    assert Resource.objects.filter(pk=resource.pk).exists(), (
        "the admin hard-deleted an inventory resource (and its findings) although resources are only ever "
        "marked gone")
    assert Finding.objects.filter(resource_id=resource.pk).count() == 1


def test_the_admin_delete_of_a_team_keeps_its_cost_history_and_budgets(world, superuser_client):
    """Teams are deactivated (is_active), like people: deleting one must not re-attribute its
    past cloud costs to "unallocated" nor drop its budgets and their alert history."""
    from apps.costs.models import BudgetAlert

    beta = world.teams["beta"]
    Person.objects.filter(team=beta).update(team=None)  # nothing else stands in the way
    entry = CostEntry.objects.create(date=date(2026, 1, 5), billing_period=date(2026, 1, 1), provider="AWS",
                                     billing_account_id="111111111111", service="Amazon EC2", team=beta,
                                     cost=Decimal("123.450000000000"), amortized_cost=Decimal("123.450000000000"),
                                     currency="USD", source="focus")
    budget = Budget.objects.create(name="Beta cloud", scope=Budget.Scope.TEAM, team=beta, amount=Decimal("1000.00"),
                                   currency="USD")
    BudgetAlert.objects.create(budget=budget, period_start=date(2026, 1, 1), threshold=80, spent=Decimal("800.00"),
                               forecast=Decimal("1100.00"), currency="USD")

    superuser_client.post(reverse("admin:org_team_delete", args=[beta.pk]), {"post": "yes"})

    entry.refresh_from_db()
    assert Team.objects.filter(pk=beta.pk).exists(), (
        f"the admin hard-deleted team {beta.name}: its budgets were "
        f"{'kept' if Budget.objects.filter(pk=budget.pk).exists() else 'deleted with their alerts'} and its past "
        f"costs now belong to {'no team (unallocated)' if entry.team_id is None else 'the team'}")
    assert entry.team_id == beta.pk
    assert Budget.objects.filter(pk=budget.pk).exists() and BudgetAlert.objects.filter(budget_id=budget.pk).exists()


def test_the_admin_delete_of_a_sync_series_keeps_its_decision_log_and_notes(world, superuser_client):
    """Decisions are never edited (superseded instead) and notes are versioned: deleting the
    series must not take the decision register, the action items and the meeting notes with it."""
    series, meeting, decision, action = _sync_history(world)
    Meeting.objects.filter(pk=meeting.pk).update(notes="We agreed to move to SQS.", version=1)

    superuser_client.post(reverse("admin:syncs_syncseries_delete", args=[series.pk]), {"post": "yes"})

    kept = {"series": SyncSeries.objects.filter(pk=series.pk).exists(),
            "decision": Decision.objects.filter(pk=decision.pk).exists(),
            "action item": ActionItem.objects.filter(pk=action.pk).exists(),
            "meeting notes": Meeting.objects.filter(pk=meeting.pk).exists()}
    assert all(kept.values()), f"deleting the series in the admin hard-deleted: {[k for k, v in kept.items() if not v]}"


def test_a_leaver_marked_in_the_people_import_goes_through_the_leaver_flow(world):
    """The HR export marks a leaver ``active=no``. Like a deactivation on the page or the API,
    the person keeps their history with an end date, their login stops and their reports move
    to their manager (person_deactivate); otherwise the leaver can still sign in."""
    from apps.org import services as org

    rows = ["email,full_name,role,team,manager_email,active"]
    for key in ("cto", "em", "tl"):  # the engineer (who reports to the TL) is not in this export
        p = world.people[key]
        manager = p.manager.email if p.manager else ""
        rows.append(f"{p.email},{p.full_name},{p.role},{p.team.slug if p.team else ''},{manager},"
                    f"{'no' if key == 'tl' else 'yes'}")
    org.people_import(actor=_actor(world, "hr"), content="\n".join(rows) + "\n")

    tl = Person.objects.get(pk=world.tl.pk)
    assert tl.is_active is False
    problems = []
    if tl.end_date is None:
        problems.append("no end date (tenure and 'left on' are lost)")
    if get_user_model().objects.get(pk=tl.user_id).is_active:
        problems.append("their user account stays active")
    if Person.objects.get(pk=world.engineer.pk).manager_id == tl.pk:
        problems.append("an active engineer still reports to the leaver")
    assert not problems, "a leaver imported with active=no: " + "; ".join(problems)


# == 2. A failure half-way writes nothing and names the row and column ===================================
def test_a_people_import_with_an_overlong_title_fails_whole_and_names_row_and_column(world):
    """Person.title holds 150 characters. The import checks every row before writing: an over-long
    title must be a row error, not silently accepted (SQLite) nor a database error (PostgreSQL)."""
    from apps.core import services as core_services
    from apps.core.models import SyncRun
    from apps.org import tasks

    before = sorted(Person.objects.values_list("email", "title"))
    content = ("email,full_name,role,title\n"
               "new.hire@example.com,New Hire,engineer,Engineer\n"
               f"another.hire@example.com,Another Hire,engineer,{'Principal Engineer ' * 10}\n")
    run = core_services.syncrun_create(kind=tasks.PEOPLE_IMPORT, user=world.users["hr"], params={"content": content})

    try:
        outcome = tasks.people_import_task.apply(args=[run.pk])
        crash = outcome.result if outcome.failed() else None
    except Exception as exc:  # eager tasks re-raise: recorded and asserted below
        crash = exc

    run.refresh_from_db()
    assert sorted(Person.objects.values_list("email", "title")) == before, (
        "the import accepted a 190-character title for a 150-character column and wrote the people")
    assert run.status == SyncRun.Status.FAILED, (
        f"the import of an over-long title left its run {run.status!r} "
        f"({f'the task crashed: {type(crash).__name__}: {crash}' if crash else 'no error'}) instead of a row error")
    assert "Row 3" in run.error and "title" in run.error


# == 3. Re-running gives the same rows ================================================================
def _row_counts() -> dict[str, int]:
    from django.apps import apps as django_apps
    from django.conf import settings

    labels = {app.rsplit(".", 1)[-1] for app in settings.PORTAL_APPS}
    counts = {f"{m._meta.app_label}.{m.__name__}": m._default_manager.count()
              for m in django_apps.get_models() if m._meta.app_label in labels}
    counts["auth.User"] = get_user_model().objects.count()
    return counts


def test_seed_demo_twice_gives_the_same_rows_in_every_table():
    from django.core.management import call_command
    from django.db.models import Sum

    call_command("seed_demo", "--quiet")
    first = _row_counts()
    money = CostEntry.objects.aggregate(cost=Sum("cost"))["cost"], Budget.objects.aggregate(s=Sum("amount"))["s"]

    call_command("seed_demo", "--quiet")

    second = _row_counts()
    assert {k: (first[k], second[k]) for k in first if first[k] != second[k]} == {}
    assert (CostEntry.objects.aggregate(cost=Sum("cost"))["cost"], Budget.objects.aggregate(s=Sum("amount"))["s"]) == money


def test_changing_a_series_start_time_does_not_duplicate_its_upcoming_meetings(world):
    """Meeting generation is keyed by (series, start). Moving the series from 10:00 to 11:00 and
    running the beat task again must leave one planned meeting per date, not two."""
    from apps.syncs import services as syncs
    from apps.syncs import tasks as sync_tasks

    cto = _actor(world, "cto")
    series = syncs.series_create(actor=cto, title="Tech Sync", kind=SyncSeries.Kind.TECH, participants=[world.tl],
                                 weekday=timezone.localdate().weekday(), start_time=time(10, 0), time_zone="UTC",
                                 agenda_template="Incidents\nRFCs", generate=False)
    sync_tasks.generate_meetings_task.apply()
    planned = series.meetings.filter(status=Meeting.Status.PLANNED, scheduled_at__gt=timezone.now())
    dates = sorted(m.scheduled_at.date() for m in planned)
    assert len(dates) >= 3

    syncs.series_update(actor=cto, series=SyncSeries.objects.get(pk=series.pk), start_time=time(11, 0))
    sync_tasks.generate_meetings_task.apply()
    sync_tasks.generate_meetings_task.apply()

    per_date: dict[date, list[str]] = {}
    for m in planned.order_by("scheduled_at"):
        per_date.setdefault(m.scheduled_at.date(), []).append(f"{m.scheduled_at:%H:%M}")
    assert {d: times for d, times in per_date.items() if len(times) > 1} == {}, (
        "after the start time moved, the generator planned a second meeting (with its own agenda) on every date")


@pytest.fixture
def aws_estate(world, monkeypatch, settings):
    """The infra tests' moto estate: two accounts, two regions, idle resources among them."""
    from moto import mock_aws

    from apps.costs.models import AwsAccount
    from tests.infra import conftest as infra

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    settings.AWS_ENDPOINT_URL = None
    with mock_aws():
        AwsAccount.objects.create(account_id=infra.ACCOUNT_A, name="Production", regions=infra.REGIONS,
                                  default_team=world.teams["beta"])
        AwsAccount.objects.create(account_id=infra.ACCOUNT_B, name="Data", regions=infra.REGIONS,
                                  role_arn=infra.ROLE_B, default_team=world.teams["data"])
        yield infra.build_estate(world)


def test_inventory_sync_twice_keeps_the_same_savings_rows_and_what_finance_entered(world, aws_estate):
    """Idle findings become savings opportunities "to be estimated" (0.00 when no cost is known).
    Running the sync again must give the same rows and keep the estimate finance typed in."""
    from apps.core import services as core_services
    from apps.infra import services as infra

    def sync():
        run = core_services.syncrun_create(kind=infra.INVENTORY_KIND)
        infra.inventory_sync(run=run)
        run.refresh_from_db()
        assert run.status == "succeeded", run.error

    sync()
    idle = SavingsOpportunity.objects.filter(source=SavingsOpportunity.Source.IDLE).order_by("pk")
    first = list(idle.values_list("pk", "external_id"))
    assert first, "the estate has idle resources"
    target = idle.first()
    assert target.estimated_monthly == Decimal("0.00")
    finance = world.client("finance")
    url = f"/api/v1/savings-opportunities/{target.pk}/"
    etag = finance.get(url)["ETag"]
    edited = finance.patch(url, {"estimated_monthly": "40.00", "status": "in_progress", "notes": "gp3 volume, 400 GiB"},
                           content_type="application/json", HTTP_IF_MATCH=etag)
    assert edited.status_code == 200, edited.content

    sync()

    assert list(idle.values_list("pk", "external_id")) == first
    target.refresh_from_db()
    assert (target.estimated_monthly, target.status, target.notes) == (Decimal("40.00"), "in_progress",
                                                                        "gp3 volume, 400 GiB"), (
        "the next inventory sync overwrote the estimate finance entered with its own 0.00")


# == 4. Money: exact decimals, always with their currency, never summed across currencies ===============
def _cost(day: date, amount: str, currency: str, *, service: str = "Amazon EC2", team=None) -> CostEntry:
    return CostEntry.objects.create(date=day, billing_period=day.replace(day=1), provider="AWS",
                                    billing_account_id="123456789012", sub_account_id="123456789012",
                                    service=service, region="us-east-1", team=team, cost=Decimal(amount),
                                    amortized_cost=Decimal(amount), currency=currency, source="focus")


def test_the_savings_page_does_not_add_dollars_to_euros(world):
    from apps.costs import services as costs
    from apps.costs.models import FxRate

    FxRate.objects.create(currency="EUR", valid_from=date(2020, 1, 1), rate=Decimal("1.10"))
    finance = _actor(world, "finance")
    costs.savings_opportunity_create(actor=finance, title="Rightsize the warehouse", estimated_monthly=Decimal("100.00"),
                                     currency="USD")
    costs.savings_opportunity_create(actor=finance, title="Drop the EU replica", estimated_monthly=Decimal("100.00"),
                                     currency="EUR")

    page = _text(world.client("finance").get(reverse("costs:opportunity-list")))

    estimated = re.search(r"Estimated <strong>(.*?)</strong>", page).group(1)
    assert estimated != "200.00" and re.search(r"\b[A-Z]{3}\b", estimated), (
        f"the page totals 100 USD + 100 EUR as {estimated!r}: a sum across currencies, without a currency")


def test_a_budget_never_reports_dollars_as_its_own_currency(world):
    """A EUR budget with no EUR rate on file: the spend (100 USD) cannot be expressed in EUR, so
    it must not be shown as "100.00" next to the budget's "EUR"."""
    finance = world.client("finance")
    created = finance.post("/api/v1/cost-budgets/", {"name": "EU cloud", "scope": "total", "amount": "1000.00",
                                                     "currency": "EUR"}, content_type="application/json")
    assert created.status_code == 201, created.content
    _cost(timezone.now().date(), "100.00", "USD")

    body = finance.get(f"/api/v1/cost-budgets/{created.json()['id']}/").json()

    assert (body["spent"], body["currency"]) != ("100.00", "EUR"), (
        "100.00 USD of spend is reported as 100.00 EUR against a EUR budget (no conversion, wrong currency)")


def test_the_cost_csv_export_does_not_silently_drop_costs_it_cannot_convert(world):
    """The page and the API name currencies without an FX rate ("unconverted"); the CSV the CTO
    takes to finance must not just leave those costs out."""
    day = timezone.now().date() - timedelta(days=1)
    _cost(day, "100.000000000001", "USD")
    _cost(day, "50.25", "GBP", service="Amazon S3")
    query = {"start": (day - timedelta(days=1)).isoformat(), "end": day.isoformat(), "group_by": "service"}

    api = world.client("finance").get("/api/v1/cost-aggregates/", query).json()
    body = world.client("finance").get(reverse("costs:export"), query).content.decode()

    assert api["unconverted"] == ["GBP"] and api["total"] == "100.00"
    assert "100.00" in body
    assert "GBP" in body or "50.25" in body, f"the CSV holds only {body!r}: the 50.25 GBP are gone without a word"


def _floats(value, path="$") -> list[str]:
    if isinstance(value, float):
        return [f"{path}={value!r}"]
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _floats(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _floats(v, f"{path}[{i}]")]
    return []


def test_the_api_gives_money_as_exact_decimal_strings_with_a_currency(world):
    from apps.costs import services as costs
    from apps.infra import services as infra
    from apps.reviews import services as reviews

    day = timezone.now().date() - timedelta(days=1)
    entry = _cost(day, "1234.56789012", "USD", team=world.teams["alpha"])  # sub-cent, as CUR has
    finance, cto = _actor(world, "finance"), _actor(world, "cto")
    costs.tool_subscription_create(actor=finance, vendor="JetBrains", product="All Products", amount=Decimal("779.16"),
                                   currency="EUR", billing_period="annual")
    costs.savings_opportunity_create(actor=finance, title="Savings Plan", estimated_monthly=Decimal("0.10"),
                                     currency="USD")
    costs.budget_create(actor=finance, name="Cloud", scope="total", amount=Decimal("5000.10"), currency="USD")
    infra.infra_request_create(actor=_actor(world, "tl"), title="GPU box", team=world.teams["alpha"],
                               kind="new_resource", description="Training", estimated_monthly_cost="1999.99",
                               currency="EUR")
    reviews.compensation_record_create(actor=cto, person=world.engineer, effective_date=date(2026, 1, 1),
                                       base_salary=Decimal("61234.56"), currency="EUR", level="L3", country="PT")
    client = world.client("cto")
    urls = ["/api/v1/cost-entries/", "/api/v1/cost-budgets/", "/api/v1/tool-subscriptions/",
            "/api/v1/savings-opportunities/", "/api/v1/infra-requests/", "/api/v1/compensation-records/",
            f"/api/v1/cost-aggregates/?start={day}&end={day}", "/api/v1/dashboard/cto/"]
    bodies = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        bodies[url] = response.json()

    assert [f for url, body in bodies.items() for f in _floats(body, url)] == []
    first = {url: (body["results"][0] if "results" in body else body) for url, body in bodies.items()}
    assert (first["/api/v1/cost-entries/"]["cost"], first["/api/v1/cost-entries/"]["currency"]) == (
        "1234.567890120000", "USD") and entry.pk == first["/api/v1/cost-entries/"]["id"]
    assert (first["/api/v1/tool-subscriptions/"]["amount"], first["/api/v1/tool-subscriptions/"]["monthly_cost"],
            first["/api/v1/tool-subscriptions/"]["currency"]) == ("779.16", "64.93", "EUR")
    assert (first["/api/v1/savings-opportunities/"]["estimated_monthly"],
            first["/api/v1/savings-opportunities/"]["currency"]) == ("0.10", "USD")
    assert (first["/api/v1/cost-budgets/"]["amount"], first["/api/v1/cost-budgets/"]["currency"]) == ("5000.10", "USD")
    assert (first["/api/v1/infra-requests/"]["estimated_monthly_cost"],
            first["/api/v1/infra-requests/"]["currency"]) == ("1999.99", "EUR")
    assert (first["/api/v1/compensation-records/"]["base_salary"],
            first["/api/v1/compensation-records/"]["currency"]) == ("61234.56", "EUR")
    aggregate = first[f"/api/v1/cost-aggregates/?start={day}&end={day}"]
    assert (aggregate["total"], aggregate["currency"]) == ("1234.57", "USD")


# == 5. A save from a stale page or a stale API read is told, not silently applied ====================
def _edit_case(world, name: str) -> dict:
    """One edit page: the object, its form's data as the page renders it, the other person's save made
    meanwhile, the stale editor's own change, and how to read back the field the other one set."""
    cto = _actor(world, "cto")
    if name == "org team (guarded)":
        from apps.org import services as org
        from apps.org.forms import TeamForm

        team = world.teams["alpha"]
        return {"url": reverse("org:team-edit", args=[team.slug]), "data": _form_data(TeamForm(instance=team)),
                "meanwhile": lambda: org.team_update(actor=_actor(world, "hr"), team=Team.objects.get(pk=team.pk),
                                                     description="Owns checkout (HR)"),
                "stale": {"kind": "platform"}, "now": lambda: Team.objects.get(pk=team.pk).description,
                "expected": "Owns checkout (HR)"}
    if name == "syncs series":
        from apps.syncs import services as syncs
        from apps.syncs.forms import SeriesForm

        series = syncs.series_create(actor=_actor(world, "em"), title="EM Sync", kind=SyncSeries.Kind.EM,
                                     participants=[world.em2], weekday=1, start_time=time(10, 0), generate=False)
        return {"url": reverse("syncs:series-edit", args=[series.pk]),
                "data": _form_data(SeriesForm(instance=series,
                                              initial={"participants": list(series.participants.all())})),
                "meanwhile": lambda: syncs.series_update(actor=_actor(world, "em"),
                                                         series=SyncSeries.objects.get(pk=series.pk),
                                                         title="EM Sync (renamed by its owner)"),
                "stale": {"agenda_template": "Hiring\nIncidents"},
                "now": lambda: SyncSeries.objects.get(pk=series.pk).title, "expected": "EM Sync (renamed by its owner)"}
    if name == "org person":
        from apps.org import services as org
        from apps.org.forms import PersonForm

        person = Person.objects.get(pk=world.engineer.pk)
        return {"url": reverse("org:person-edit", args=[person.pk]), "data": _form_data(PersonForm(instance=person)),
                "meanwhile": lambda: org.person_update(actor=_actor(world, "hr"), person=Person.objects.get(pk=person.pk),
                                                       title="Senior Engineer"),
                "stale": {"level": "L4"}, "now": lambda: Person.objects.get(pk=person.pk).title,
                "expected": "Senior Engineer"}
    if name == "knowledge session":
        from apps.knowledge import services as knowledge
        from apps.knowledge.forms import SessionForm
        from apps.knowledge.models import Session
        from tests.knowledge.factories import SessionFactory

        session = SessionFactory(title="Tech Monthly — March", host=world.tl)
        with timezone.override(world.cto.time_zone):  # the page shows times in the viewer's zone
            data = _form_data(SessionForm(instance=session))
        return {"url": reverse("knowledge:session-edit", args=[session.pk]), "data": data,
                "meanwhile": lambda: knowledge.session_update(actor=_actor(world, "tl"),
                                                              session=Session.objects.get(pk=session.pk),
                                                              title="Tech Monthly — March (AI special)"),
                "stale": {"location": "Auditorium"}, "now": lambda: Session.objects.get(pk=session.pk).title,
                "expected": "Tech Monthly — March (AI special)"}
    if name == "knowledge series":
        from apps.knowledge import services as knowledge
        from apps.knowledge.forms import SeriesForm as SessionSeriesForm
        from apps.knowledge.models import SessionSeries

        series = knowledge.series_create(actor=cto, name="Tech Monthly", starts_on=date(2026, 1, 1),
                                         start_time=time(16, 0), time_zone="Europe/Lisbon", duration_minutes=90)
        return {"url": reverse("knowledge:series-edit", args=[series.pk]), "data": _form_data(SessionSeriesForm(instance=series)),
                "meanwhile": lambda: knowledge.series_update(actor=cto, series=SessionSeries.objects.get(pk=series.pk),
                                                             duration_minutes=120),
                "stale": {"description": "Talks from every team"},
                "now": lambda: SessionSeries.objects.get(pk=series.pk).duration_minutes, "expected": 120}
    if name == "security control":
        from apps.security import services as security
        from apps.security.forms import ControlForm
        from apps.security.models import Control
        from tests.security.helpers import security_tl

        security_tl(world)
        control = Control.objects.order_by("code").first()
        return {"url": reverse("security:control-edit", args=[control.code]), "data": _form_data(ControlForm(instance=control)),
                "meanwhile": lambda: security.control_update(actor=_actor(world, "sectl"),
                                                             control=Control.objects.get(pk=control.pk),
                                                             notes="Evidence reviewed by the security lead"),
                "stale": {"is_applicable": ""}, "now": lambda: Control.objects.get(pk=control.pk).notes,
                "expected": "Evidence reviewed by the security lead"}
    raise AssertionError(name)


EDIT_PAGES = ["org team (guarded)", "syncs series", "org person", "knowledge session", "knowledge series",
              "security control"]


@pytest.mark.parametrize("page", EDIT_PAGES)
def test_an_edit_page_opened_before_someone_elses_save_does_not_overwrite_it(world, page):
    case = _edit_case(world, page)
    cto = world.client("cto")
    opened = cto.get(case["url"])
    assert opened.status_code == 200
    seen = _seen(_text(opened))
    data = {**case["data"], **case["stale"]}
    if data.get("is_applicable") == "":
        data.pop("is_applicable")  # an unticked checkbox is not posted
    if seen:
        data[SEEN_FIELD] = seen

    case["meanwhile"]()
    response = cto.post(case["url"], data)

    assert case["now"]() == case["expected"], (
        f"{page}: the save from the stale page (answered {response.status_code}; the form "
        f"{'carries' if seen else 'carries no'} '{SEEN_FIELD}' token) silently overwrote the other person's change")
    assert response.status_code == 200 and CONFLICT_MESSAGE in _text(response)


def _manager_review(world):
    from apps.reviews.models import Review
    from tests.reviews.scenario import cto_actor, make_cycle, make_template

    cto = cto_actor(world)
    cycle = make_cycle(cto, make_template(cto))
    cycle = _advance(cto, _advance(cto, cycle))  # self review, then manager review
    return Review.objects.get(cycle=cycle, subject=world.engineer)


def _advance(actor, cycle):
    from apps.reviews import services as reviews

    return reviews.review_cycle_advance(actor=actor, cycle=cycle)


STALE_TAG = '"stale-read"'


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_manager_review_saved_from_a_stale_read_does_not_overwrite_the_ctos(world, via):
    """The reviewer (the TL) and the CTO may both write the manager assessment of a review."""
    from apps.reviews import services as reviews
    from apps.reviews.forms import ManagerReviewForm
    from apps.reviews.models import Review

    review = _manager_review(world)
    tl = world.client("tl")
    if via == "page":
        url = reverse("reviews:review-manager", args=[review.pk])
        seen = _seen(_text(tl.get(url)))
        stale = {**_form_data(ManagerReviewForm(review=review)), "manager_assessment": "TL: a solid quarter.",
                 "save": "Save draft", **({SEEN_FIELD: seen} if seen else {})}
    else:
        url = f"/api/v1/reviews/{review.pk}/"
        read = tl.get(url)
        assert read.status_code == 200
        etag = read.get("ETag")

    reviews.review_manager_save(actor=_actor(world, "cto"), review=review,
                                manager_assessment="CTO: led the incident review that saved the launch.")
    if via == "page":
        response = tl.post(url, stale)
    else:
        response = tl.post(url + "manager-assessment/", {"manager_assessment": "TL: a solid quarter."},
                           content_type="application/json", HTTP_IF_MATCH=etag or STALE_TAG)

    assert Review.objects.get(pk=review.pk).manager_assessment == "CTO: led the incident review that saved the launch.", (
        f"the TL's save from a stale {via} read (answered {response.status_code}) replaced the CTO's assessment"
        + ("" if via == "page" else f"; GET gave {'an' if etag else 'no'} ETag"))
    assert response.status_code == (200 if via == "page" else 409)


def _anomaly(world) -> CostAnomaly:
    return CostAnomaly.objects.create(date=timezone.now().date() - timedelta(days=1), dimension="service",
                                      key="Amazon EC2", team=world.teams["alpha"], expected=Decimal("100.00"),
                                      actual=Decimal("340.00"), impact=Decimal("240.00"), currency="USD")


@pytest.mark.parametrize("via", ["page", "api"])
def test_an_anomaly_triaged_from_a_stale_read_does_not_undo_the_resolution(world, via):
    from apps.costs import services as costs

    anomaly = _anomaly(world)
    finance = world.client("finance")
    if via == "page":
        url = reverse("costs:anomaly-detail", args=[anomaly.pk])
        seen = _seen(_text(finance.get(url)))
    else:
        url = f"/api/v1/cost-anomalies/{anomaly.pk}/"
        etag = finance.get(url).get("ETag")

    costs.cost_anomaly_triage(actor=_actor(world, "cto"), anomaly=anomaly, status="resolved",
                              note="Reserved instances had expired; renewed for a year.")
    stale = {"status": "acknowledged", "note": "Looking into it."}
    if via == "page":
        response = finance.post(url, {**stale, **({SEEN_FIELD: seen} if seen else {})})
    else:
        response = finance.post(url + "triage/", stale, content_type="application/json",
                                HTTP_IF_MATCH=etag or STALE_TAG)

    anomaly.refresh_from_db()
    assert (anomaly.status, anomaly.note) == ("resolved", "Reserved instances had expired; renewed for a year."), (
        f"a triage from a stale {via} read (answered {response.status_code}) reopened the resolved anomaly "
        f"and replaced its note")
    assert response.status_code == (200 if via == "page" else 409)


@pytest.mark.parametrize("via", ["page", "api"])
def test_an_ama_answer_written_from_a_stale_read_does_not_replace_the_published_one(world, via):
    """The CTO and the security team's TLs answer AMA questions."""
    from apps.security import services as security
    from apps.security.models import AmaQuestion
    from tests.security.helpers import ama_session, published_question, security_tl

    security_tl(world)
    session = ama_session(world)
    question = published_question(world, session)
    sectl = world.client("sectl")
    if via == "page":
        seen = _seen(_text(sectl.get(session.get_absolute_url())))
    else:
        etag = sectl.get(f"/api/v1/ama-questions/{question.pk}/").get("ETag")

    security.ama_question_answer(actor=_actor(world, "cto"), question=AmaQuestion.objects.get(pk=question.pk),
                                 answer="Vault rotates them every 30 days; see the runbook.")
    if via == "page":
        response = sectl.post(reverse("security:question-moderate", args=[question.pk]),
                              {"action": "answer", "answer": "We rotate them by hand.",
                               **({SEEN_FIELD: seen} if seen else {})})
    else:
        response = sectl.post(f"/api/v1/ama-questions/{question.pk}/answer/", {"answer": "We rotate them by hand."},
                              content_type="application/json", HTTP_IF_MATCH=etag or STALE_TAG)

    assert AmaQuestion.objects.get(pk=question.pk).answer == "Vault rotates them every 30 days; see the runbook.", (
        f"a second answer from a stale {via} read (answered {response.status_code}) silently replaced the published one")


def test_a_stale_drop_button_does_not_undo_a_done_action_item(world):
    """The meeting page shows an open item with Done / Drop. Meanwhile its owner marks it done;
    then a participant still on the old page clicks Drop: the completion must not vanish."""
    from apps.syncs import services as syncs

    series, meeting, _, action = _sync_history(world)
    page = world.client("em").get(reverse("syncs:meeting-detail", args=[meeting.pk]))
    assert reverse("syncs:action-status", args=[action.pk]) in _text(page)
    seen = _seen(_text(page))

    syncs.action_item_update(actor=_actor(world, "tl"), item=ActionItem.objects.get(pk=action.pk), status="done")
    done_at = ActionItem.objects.get(pk=action.pk).completed_at
    response = world.client("em").post(reverse("syncs:action-status", args=[action.pk]),
                                       {"status": "dropped", "next": meeting.get_absolute_url(),
                                        **({SEEN_FIELD: seen} if seen else {})})

    item = ActionItem.objects.get(pk=action.pk)
    assert (item.status, item.completed_at) == ("done", done_at), (
        f"a Drop clicked on a page showing the item open (answered {response.status_code}) turned the done item "
        f"into {item.status!r} and erased when it was completed")


def test_saving_attendance_from_a_stale_meeting_page_does_not_reopen_a_held_meeting(world):
    """The status-and-attendance form posts the status the page showed. Someone marks the meeting
    held (its open agenda moves to the next meeting); a participant then saves attendance from
    the page they had open: the meeting must stay held, not silently go back to planned."""
    from apps.syncs import services as syncs
    from tests.syncs.builders import build

    data = build(world)
    meeting = data.em_meeting
    syncs.agenda_item_add(actor=_actor(world, "em"), series=data.em_sync, meeting=meeting, title="Headcount plan")
    page = world.client("em2").get(reverse("syncs:meeting-detail", args=[meeting.pk]))
    seen = _seen(_text(page))

    syncs.meeting_update(actor=_actor(world, "em"), meeting=Meeting.objects.get(pk=meeting.pk), status="held")
    response = world.client("em2").post(reverse("syncs:meeting-status", args=[meeting.pk]),
                                        {"status": "planned", "attendees": [world.em.pk, world.em2.pk],
                                         **({SEEN_FIELD: seen} if seen else {})})

    meeting.refresh_from_db()
    carried = AgendaItem.objects.get(meeting=meeting, title="Headcount plan").status
    assert meeting.status == "held", (
        f"attendance saved from a stale page (answered {response.status_code}) reopened the held meeting; its agenda "
        f"item is left {carried!r} while a copy waits on the next meeting")


def test_editing_meeting_notes_in_the_admin_is_seen_by_the_notes_version_check(world, superuser_client):
    """Notes carry a version; a save based on an older version is a 409 with both texts. An
    edit through the admin must count as a save too, or the next page save silently erases it."""
    from tests.syncs.builders import build

    data = build(world)
    meeting = data.em_meeting
    em = world.client("em")
    saved = em.post(reverse("syncs:notes-save", args=[meeting.pk]), {"body": "Hiring: 2 offers out.", "version": 0})
    assert saved.status_code == 302
    meeting.refresh_from_db()
    opened_version = meeting.version

    when = timezone.localtime(meeting.scheduled_at, timezone.get_default_timezone())
    changed = superuser_client.post(reverse("admin:syncs_meeting_change", args=[meeting.pk]), {
        "series": meeting.series_id, "scheduled_at_0": when.strftime("%Y-%m-%d"),
        "scheduled_at_1": when.strftime("%H:%M:%S"), "duration_minutes": meeting.duration_minutes,
        "status": meeting.status, "title": meeting.title, "attendees": [],
        "notes": "Hiring: 2 offers out.\nCorrection by the CTO: 3 offers, one accepted.",
        "carried_forward_at_0": "", "carried_forward_at_1": "",
    })
    assert changed.status_code == 302, _text(changed)[:2000]
    assert "Correction by the CTO" in Meeting.objects.get(pk=meeting.pk).notes

    response = em.post(reverse("syncs:notes-save", args=[meeting.pk]),
                       {"body": "Hiring: 2 offers out.\nBudget: frozen until Q3.", "version": opened_version})

    notes = Meeting.objects.get(pk=meeting.pk).notes
    assert "Correction by the CTO" in notes, (
        f"the page save based on version {opened_version} (answered {response.status_code}) erased the admin's edit: "
        "the admin changes notes without moving the version")
    assert response.status_code == 409


# == PostgreSQL: two writers at the same moment ==========================================================
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_hr_file_at_once_end_with_the_same_people(require_postgres, world):
    """``people_import`` says "lock every person row: two imports at once serialise instead of
    interleaving". Two HR people (or a double click) import the same file with two new hires:
    both imports must succeed (the second finds nothing to do), each person once."""
    import time as clock

    from apps.org import services as org

    content = ("email,full_name,role,team,manager_email\n"
               f"{world.tl.email},{world.tl.full_name},tl,alpha,{world.em.email}\n"
               "ada.new@example.com,Ada New,engineer,alpha,tl@example.com\n"
               "bo.new@example.com,Bo New,engineer,alpha,tl@example.com\n")
    hr = _actor(world, "hr")
    inside = threading.Event()
    results: dict = {}

    def hold_the_transaction(done: int, total: int) -> None:
        if not inside.is_set():  # first call: the new hires are written, the transaction is still open
            inside.set()
            clock.sleep(1.5)

    def run(name: str) -> None:
        try:
            results[name] = org.people_import(actor=hr, content=content,
                                              progress=hold_the_transaction if name == "first" else None)
        except Exception as exc:  # recorded and asserted below
            results[name] = exc
        finally:
            connections.close_all()

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert inside.wait(20)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    first.join(30)
    second.join(30)

    errors = {k: f"{type(v).__name__}: {v}" for k, v in results.items() if isinstance(v, Exception)}
    assert errors == {}, f"the concurrent re-import failed instead of waiting for the first: {errors}"
    assert (results["second"].created, results["second"].unchanged) == (0, 3)
    emails = list(Person.objects.filter(email__endswith=".new@example.com").values_list("email", flat=True))
    assert sorted(emails) == ["ada.new@example.com", "bo.new@example.com"]
    assert connection.vendor == "postgresql"
