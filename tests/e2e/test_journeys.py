"""Browser journeys (Playwright + Debian's Chromium against the live server) through the parts of
the portal that had none: costs (upload a FOCUS file, follow the import, explore, chart, export,
an EM's scope, anomaly triage, budget alerts, a tool subscription's edit), Tech Monthly talks,
the security AMA and bulletins, and infrastructure requests.

Every page every user opens is watched: no console error, no uncaught exception, no failed
request, no response >= 400, and no request to any host but the live server (the portal runs
in an ISO 27001 environment without a CDN: anything else is blocked and reported)."""
from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from tests.costs.helpers import FOCUS_SAMPLE
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory
CENT = Decimal("0.01")
SEPTEMBER = ("2024-09-01", "2024-09-30")  # the FOCUS sample's billing period


# -- Watching the browser ------------------------------------------------------------------------------
class Watch:
    """What went wrong in one user's browser: console errors, page errors, failed requests,
    HTTP errors, and requests to any other host (blocked)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []
        self.foreign: list[str] = []
        self.visited: list[str] = []
        self.failed: list[tuple[str, str, str]] = []  # (method, url, error)

    def route(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort("blockedbyclient")

    def all_problems(self) -> list[str]:
        """net::ERR_ABORTED is Chromium cancelling a request itself: a link that downloads a file
        ends its navigation so (the page stays), and a page left while its scripts still load
        cancels them. Neither is a failure; what the server answers badly is a response >= 400
        (recorded above) and a blocked request to another host is in ``foreign``."""
        failed = [f"request failed: {method} {url}: {error}" for method, url, error in self.failed
                  if error != "net::ERR_ABORTED"]
        return self.problems + failed

    def attach(self, page) -> None:
        def on_console(msg):
            if msg.type == "error":
                self.problems.append(f"console error on {page.url}: {msg.text}")

        def on_response(response):
            if response.status >= 400:
                self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

        def on_navigated(frame):
            if frame == page.main_frame:
                self.visited.append(frame.url)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught error on {page.url}: {exc}"))
        page.on("requestfailed", lambda req: self.failed.append((req.method, req.url, req.failure or "")))
        page.on("response", on_response)
        page.on("framenavigated", on_navigated)


class Users:
    """One browser context per signed-in user, each watched."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser = browser
        self.base = base_url
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.watches: dict[str, Watch] = {}
        self.contexts: list = []

    def sign_in(self, username: str):
        """Open a fresh browser, sign in through the real form (and the second factor for the
        CTO and finance) and land on the home page."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        self.contexts.append(context)
        watch = self.watches[username] = Watch(self.origin)
        context.route("**/*", watch.route)
        context.on("page", watch.attach)
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, self.base, username, PASSWORD)
        return page

    def assert_clean(self) -> None:
        foreign = {user: w.foreign for user, w in self.watches.items() if w.foreign}
        assert not foreign, f"requests to other hosts (blocked; the portal must work offline): {foreign}"
        problems = {user: w.all_problems() for user, w in self.watches.items() if w.all_problems()}
        visited = {user: w.visited for user, w in self.watches.items() if user in problems}
        assert not problems, f"browser problems: {problems}\npages visited: {visited}"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def users(browser, live_server):
    u = Users(browser, live_server.url)
    yield u
    u.close()


def follow(page, link) -> None:
    """Click a link and wait for the page it opens."""
    with page.expect_navigation():
        link.click()


def nav(page, name: str) -> None:
    """Click a top-level link of the main navigation."""
    follow(page, page.get_by_test_id("main-nav").get_by_role("link", name=name))


def nav_menu(page, group: str, item: str) -> None:
    page.get_by_test_id("main-nav").get_by_role("button", name=group).click()
    follow(page, page.get_by_test_id("main-nav").get_by_role("link", name=item))


def tab(page, tabs_testid: str, name: str) -> None:
    follow(page, page.get_by_test_id(tabs_testid).get_by_role("link", name=name))


def press(page, name: str, *, within=None, url: str | None = None) -> None:
    """Press a submit button and wait for the page it leads to (``url``: a pattern it must match)."""
    with page.expect_navigation():
        (within or page).get_by_role("button", name=name, exact=True).click()
    if url:
        assert re.search(url, page.url), f"{page.url} does not match {url}: {page.locator('#content').inner_text()}"


def flash(page) -> str:
    return page.locator(".alert").first.inner_text()


# -- Costs: the FOCUS file -------------------------------------------------------------------------------
ALPHA_UNIT, BETA_UNIT = "PeoriaData", "TempeAI"  # business_unit tag values mapped to Alpha and Beta


def _business_unit(raw_tags: str) -> str | None:
    if raw_tags in ("", "NULL"):
        return None
    try:
        return json.loads(raw_tags).get("business_unit")
    except ValueError:
        return None


def focus_subset(tmp_path: Path) -> tuple[Path, list[dict]]:
    """A small FOCUS file made of unchanged lines of the sample: every row of two business
    units (one per team) and every Microsoft row (unallocated)."""
    lines = FOCUS_SAMPLE.read_text().splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    columns = next(csv.reader([header]))
    kept_lines, kept_rows = [], []
    for line in body:
        row = dict(zip(columns, next(csv.reader([line])), strict=True))
        if _business_unit(row["Tags"]) in (ALPHA_UNIT, BETA_UNIT) or row["ProviderName"] == "Microsoft":
            kept_lines.append(line)
            kept_rows.append(row)
    path = tmp_path / "focus-2024-09.csv"
    path.write_text(header + "".join(kept_lines))
    assert 150 < len(kept_rows) < 300
    return path, kept_rows


def expected_by(rows: list[dict], key) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[key(row)] += Decimal(row["BilledCost"])
    return {k: v.quantize(CENT) for k, v in totals.items()}


def team_of(row: dict) -> str:
    return {ALPHA_UNIT: "Alpha", BETA_UNIT: "Beta"}.get(_business_unit(row["Tags"]), "Unallocated")


def explore(page, *, start: str, end: str, group_by: str) -> None:
    """Fill the explorer's form the way a user does, and press Show."""
    form = page.get_by_test_id("explorer-form")
    form.get_by_label("From").fill(start)
    form.locator("#id_end").fill(end)
    form.get_by_label("Group by").select_option(group_by)
    with page.expect_navigation():
        form.get_by_role("button", name="Show").click()


def cost_table(page) -> dict[str, Decimal]:
    rows = page.locator("[data-testid=cost-table] tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))")
    return {cells[0]: Decimal(cells[1]) for cells in rows if len(cells) >= 2}


def table_total(page) -> Decimal:
    return Decimal(page.locator("[data-testid=cost-table] tfoot th").nth(1).inner_text().strip())


def headline_total(page) -> tuple[Decimal, str]:
    amount, currency = page.get_by_test_id("total").inner_text().split()
    return Decimal(amount), currency


def export_total(page, group_by: str) -> Decimal:
    """Download the explorer's CSV (the link keeps the page's query) and add up its cost column."""
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    exported = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    assert exported and list(exported[0]) == ["period", group_by, "cost", "currency"]
    assert {r["currency"] for r in exported} == {settings.REPORTING_CURRENCY}
    return sum((Decimal(r["cost"]) for r in exported), Decimal("0"))


CHART_DRAWN = """() => {
  const canvas = document.getElementById('cost-chart');
  const chart = window.Chart && Chart.getChart(canvas);
  if (!chart || !canvas.width || !canvas.height) { return null; }
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { painted++; } }
  return painted ? {datasets: chart.data.datasets.length, painted: painted} : null;
}"""


def chart_drawn(page) -> dict:
    return page.wait_for_function(CHART_DRAWN).json_value()


def test_finance_imports_a_focus_file_and_explores_it(world, users, tmp_path):
    from apps.core.models import SyncRun
    from apps.costs.models import CostEntry

    path, rows = focus_subset(tmp_path)
    page = users.sign_in("finance")

    # Finance maps the business units to teams first (Costs -> Tag rules & FX -> New rule).
    nav(page, "Costs")
    tab(page, "costs-tabs", "Tag rules & FX")
    for unit, team in ((ALPHA_UNIT, "Alpha"), (BETA_UNIT, "Beta")):
        follow(page, page.get_by_test_id("tagrule-create"))
        page.fill("input[name=tag_key]", "business_unit")
        page.fill("input[name=tag_value]", unit)
        page.select_option("select[name=team]", label=team)
        press(page, "Save", url=r"/costs/settings/$")
        assert page.get_by_test_id("tagrule-table").get_by_text(f"business_unit={unit}").is_visible()

    # Upload the export through the import page; the run's page follows the import.
    tab(page, "costs-tabs", "Imports & syncs")
    page.set_input_files("input[name=file]", str(path))
    press(page, "Upload and import", url=r"/runs/\d+/$")
    run = page.locator(".syncrun")
    run.and_(page.locator("[data-status=succeeded], [data-status=failed]")).wait_for(timeout=60_000)
    assert run.get_attribute("data-status") == "succeeded", page.locator("#content").inner_text()
    bar = page.get_by_role("progressbar")
    assert bar.get_attribute("aria-valuenow") == "100"
    assert bar.locator(".progress-bar").inner_text().strip() == "100%"
    assert bar.locator(".progress-bar").evaluate("el => el.style.width") == "100%"
    assert f"{len(rows)} rows" in run.inner_text()
    assert SyncRun.objects.get().status == "succeeded"
    assert CostEntry.objects.exists()

    # The explorer, over the file's month, grouped by service.
    nav(page, "Costs")
    explore(page, start=SEPTEMBER[0], end=SEPTEMBER[1], group_by="service")
    expected_total = expected_by(rows, lambda r: "all")["all"]
    assert headline_total(page) == (expected_total, settings.REPORTING_CURRENCY)
    assert table_total(page) == expected_total
    by_service = expected_by(rows, lambda r: r["ServiceName"])
    top_service = max(by_service, key=by_service.get)
    shown = cost_table(page)
    assert next(iter(shown)) == top_service
    assert shown[top_service] == by_service[top_service]
    drawn = chart_drawn(page)  # Chart.js from static/vendor painted the canvas
    assert drawn["datasets"] == len(shown)
    exports = {"service": export_total(page, "service")}  # the CSV of what is on screen

    # Group by team: the table follows, with the tag rules applied.
    explore(page, start=SEPTEMBER[0], end=SEPTEMBER[1], group_by="team")
    assert cost_table(page) == expected_by(rows, team_of)
    assert table_total(page) == expected_total
    assert chart_drawn(page)["datasets"] == 3
    exports["team"] = export_total(page, "team")
    users.assert_clean()

    # Each CSV export adds up to the table's total.
    assert exports == {"service": expected_total, "team": expected_total}, (
        f"CSV export totals {exports} vs the table's {expected_total}")


def test_em_sees_only_their_teams_costs_in_the_explorer(world, users, tmp_path):
    from apps.costs import services
    from apps.costs.models import TagRule

    TagRule.objects.create(tag_key="business_unit", tag_value=ALPHA_UNIT, team=world.teams["alpha"])
    TagRule.objects.create(tag_key="business_unit", tag_value=BETA_UNIT, team=world.teams["beta"])
    path, rows = focus_subset(tmp_path)
    services.cost_file_import(actor=services.SYSTEM, files=services.input_files_for(str(path)), fmt=None)
    alpha = expected_by([r for r in rows if team_of(r) == "Alpha"], lambda r: "x")["x"]

    page = users.sign_in("em")  # manages the Alpha chain only
    nav(page, "Costs")
    explore(page, start=SEPTEMBER[0], end=SEPTEMBER[1], group_by="team")
    assert cost_table(page) == {"Alpha": alpha}
    assert headline_total(page)[0] == alpha
    team_options = page.locator("#id_team option").all_inner_texts()
    assert team_options == ["All", "Alpha"]
    assert "Imports & syncs" not in page.get_by_test_id("costs-tabs").inner_text()

    explore(page, start=SEPTEMBER[0], end=SEPTEMBER[1], group_by="service")
    assert cost_table(page) == expected_by([r for r in rows if team_of(r) == "Alpha"], lambda r: r["ServiceName"])
    assert chart_drawn(page)["datasets"] == 1
    users.assert_clean()


# -- Costs: anomalies and budgets ----------------------------------------------------------------------
def _entry(day: date, cost: str, *, team=None, service="Amazon EC2"):
    from apps.costs.models import CostEntry

    return CostEntry.objects.create(
        date=day, billing_period=day.replace(day=1), provider="AWS", billing_account_id="999",
        sub_account_id="111111111111", service=service, region="", team=team, cost=Decimal(cost),
        amortized_cost=Decimal(cost), currency="USD", source="focus")


def test_em_acknowledges_a_cost_anomaly_with_a_note(world, users):
    from apps.costs import services
    from apps.costs.models import CostAnomaly

    alpha = world.teams["alpha"]
    day = date(2025, 3, 15)  # a Saturday: 20 expected, as every Saturday of the weekly rhythm
    for i in range(35, 0, -1):
        d = day - timedelta(days=i)
        _entry(d, "20" if d.weekday() >= 5 else "100", team=alpha)
    _entry(day, "95", team=alpha)
    services.anomalies_detect(day=day)  # the daily job
    anomaly = CostAnomaly.objects.get(dimension="team", key="alpha")

    page = users.sign_in("em")
    nav(page, "Costs")
    tab(page, "costs-tabs", "Anomalies")
    row = page.get_by_test_id("anomaly-table").locator("tr", has_text="Team: alpha")
    assert row.locator(".badge").inner_text() == "New"
    follow(page, row.get_by_role("link", name="2025-03-15"))
    assert page.url.endswith(f"/costs/anomalies/{anomaly.pk}/")
    assert page.get_by_test_id("status").inner_text().strip() == "New"

    page.get_by_label("Status").select_option("acknowledged")
    page.get_by_label("Note").fill("Load test on the ingest cluster; scaled back on Monday.")
    press(page, "Save triage", url=rf"/costs/anomalies/{anomaly.pk}/$")
    assert "Triage saved." in flash(page)
    assert page.get_by_test_id("status").inner_text().startswith("Acknowledged · by Em Person")
    assert page.locator("dd", has_text="Load test on the ingest cluster; scaled back on Monday.").is_visible()

    tab(page, "costs-tabs", "Anomalies")
    row = page.get_by_test_id("anomaly-table").locator("tr", has_text="Team: alpha")
    assert row.locator(".badge").inner_text() == "Acknowledged"
    anomaly.refresh_from_db()
    assert (anomaly.status, anomaly.triaged_by, anomaly.note) == (
        "acknowledged", world.em, "Load test on the ingest cluster; scaled back on Monday.")

    # From the anomaly, the costs of that day.
    follow(page, row.get_by_role("link", name="2025-03-15"))
    follow(page, page.get_by_role("link", name="See the costs of that day"))
    assert headline_total(page) == (Decimal("95.00"), "USD")
    users.assert_clean()


def test_cto_sets_a_budget_and_sees_the_threshold_alert_when_spend_passes_it(world, users):
    from apps.costs import tasks
    from apps.costs.models import Budget

    today = timezone.now().date()
    _entry(today.replace(day=1), "60", team=world.teams["alpha"])
    _entry(today, "90", team=world.teams["beta"], service="Amazon RDS")  # 150 spent this month

    page = users.sign_in("cto")
    nav(page, "Costs")
    tab(page, "costs-tabs", "Budgets")
    follow(page, page.get_by_test_id("budget-create"))
    page.fill("input[name=name]", "Cloud total")
    page.select_option("select[name=scope]", "total")
    page.select_option("select[name=period]", "monthly")
    page.fill("input[name=amount]", "120")
    page.fill("input[name=thresholds]", "80, 100")
    press(page, "Save", url=r"/costs/budgets/\d+/$")
    budget = Budget.objects.get(name="Cloud total")
    assert page.get_by_test_id("spent").inner_text() == "150.00"
    assert "(125%)" in page.locator("dd", has=page.get_by_test_id("spent")).inner_text()

    tasks.daily_task.delay()  # the daily beat job checks the budgets
    page.reload()
    alerts = [a.split(":", 1)[1].split(" — ")[0].strip() for a in page.locator("ul.list-group li").all_inner_texts()]
    assert sorted(alerts) == ["100% reached", "80% reached", "forecast over budget"], alerts

    tab(page, "costs-tabs", "Budgets")
    row = page.get_by_test_id("budget-table").locator("tr", has_text="Cloud total")
    assert "bg-danger" in row.locator(".progress-bar").get_attribute("class")
    listed = page.get_by_test_id("budget-alerts").inner_text()
    assert "Cloud total: 100% reached" in listed
    assert sorted(budget.alerts.values_list("threshold", flat=True)) == [0, 80, 100]
    users.assert_clean()


def test_finance_updates_the_seats_of_a_subscription_and_its_renewal_date_stays(world, users):
    from apps.costs.models import ToolSubscription

    renewal = timezone.localdate() + timedelta(days=90)
    sub = ToolSubscription.objects.create(vendor="Figma", product="Organization", amount=Decimal("450"),
                                          currency="USD", billing_period="monthly", seats_purchased=10,
                                          seats_used=7, renewal_date=renewal, notice_days=30,
                                          owner_team=world.teams["alpha"])

    page = users.sign_in("finance")
    nav(page, "Costs")
    tab(page, "costs-tabs", "Subscriptions")
    row = page.get_by_test_id("subscription-table").locator("tr", has_text="Figma Organization")
    assert renewal.isoformat() in row.inner_text()
    follow(page, row.get_by_role("link", name="Figma Organization"))
    shown_renewal = page.locator("input[name=renewal_date]").input_value()
    page.fill("input[name=seats_used]", "9")
    press(page, "Save", url=r"/costs/subscriptions/$")
    row = page.get_by_test_id("subscription-table").locator("tr", has_text="Figma Organization")
    assert "9 / 10" in row.inner_text()
    sub.refresh_from_db()
    users.assert_clean()
    assert sub.renewal_date == renewal, (
        f"saving the seats changed the renewal date to {sub.renewal_date} (the edit page showed {shown_renewal!r})")
    assert shown_renewal == renewal.isoformat(), f"the edit page showed the renewal date as {shown_renewal!r}"
    assert renewal.isoformat() in row.inner_text()


# -- Knowledge: a talk into the Tech Monthly -----------------------------------------------------------
def test_tl_proposes_a_talk_cto_schedules_it_engineer_sees_it(world, users):
    from apps.knowledge.models import Proposal, Talk

    tl = users.sign_in("tl")
    nav(tl, "Knowledge")
    follow(tl, tl.get_by_test_id("propose"))
    tl.fill("input[name=title]", "Postgres query plans for humans")
    tl.select_option("select[name=track]", "backend")
    tl.fill("input[name=duration_minutes]", "25")
    tl.fill("textarea[name=abstract]", "Reading **EXPLAIN ANALYZE** without fear.")
    press(tl, "Propose", url=r"/knowledge/proposals/\d+/$")
    assert tl.get_by_test_id("status").inner_text() == "Backlog"
    proposal = Proposal.objects.get(title="Postgres query plans for humans")

    cto = users.sign_in("cto")
    nav(cto, "Knowledge")
    tab(cto, "knowledge-tabs", "Series")
    follow(cto, cto.get_by_role("link", name="New series"))
    cto.fill("input[name=name]", "Tech Monthly")
    today = timezone.localdate().isoformat()
    prefilled_start = cto.locator("input[name=starts_on]").input_value()  # the page offers today
    if not prefilled_start:
        cto.fill("input[name=starts_on]", today)  # ...or the user types it, and goes on
    press(cto, "Save", url=r"/knowledge/series/\d+/$")
    assert "upcoming sessions" in flash(cto)

    nav(cto, "Knowledge")
    tab(cto, "knowledge-tabs", "Proposals")
    row = cto.get_by_test_id("proposals").locator("tr", has_text="Postgres query plans for humans")
    follow(cto, row.get_by_role("link", name="Schedule"))
    session_label = cto.locator("select[name=session] option").first.inner_text()
    assert session_label.startswith("Tech Monthly — ")
    cto.select_option("select[name=session]", index=0)
    press(cto, "Schedule")
    assert "is scheduled in Tech Monthly" in flash(cto)
    talk = Talk.objects.get(proposal=proposal)
    assert list(talk.speakers.all()) == [world.tl]

    engineer = users.sign_in("engineer")
    nav(engineer, "Knowledge")
    follow(engineer, engineer.get_by_test_id("upcoming-sessions").get_by_role("link", name=talk.session.title))
    agenda = engineer.get_by_test_id("agenda")
    assert agenda.get_by_role("link", name="Postgres query plans for humans").is_visible()
    assert "Tl Person" in agenda.inner_text()
    follow(engineer, agenda.get_by_role("link", name="Postgres query plans for humans"))
    assert engineer.url.endswith(f"/knowledge/talks/{talk.pk}/")
    assert engineer.locator("strong", has_text="EXPLAIN ANALYZE").is_visible()
    users.assert_clean()
    assert prefilled_start == today, (
        f"New series: 'Starts on' showed {prefilled_start!r}; the page pre-fills today ({today}) but the "
        "date input cannot show it, so the user must type it again")


# -- Security: AMA and bulletins ---------------------------------------------------------------------------
def test_engineer_asks_anonymously_and_the_cto_cannot_see_who(world, users):
    from apps.security.models import AmaQuestion

    cto = users.sign_in("cto")
    nav(cto, "Security")
    tab(cto, "security-tabs", "AMA")
    follow(cto, cto.get_by_role("link", name="New session"))
    cto.fill("input[name=title]", "Security AMA — secrets")
    cto.fill("input[name=starts_at]", (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    press(cto, "Save", url=r"/security/ama/\d+/$")
    session_url = cto.url

    engineer = users.sign_in("engineer")
    nav(engineer, "Security")
    tab(engineer, "security-tabs", "AMA")
    follow(engineer, engineer.get_by_role("link", name="Security AMA — secrets"))
    form = engineer.get_by_test_id("ask-form")
    form.get_by_label("Your question").fill("Why do we still share the staging database password in chat?")
    assert engineer.locator("#body-counter").inner_text() == "60"  # the page's script counts as you type
    form.get_by_label("Ask anonymously").check()
    press(engineer, "Ask", within=form)
    assert "waiting for moderation" in flash(engineer)

    question = AmaQuestion.objects.get()
    assert question.is_anonymous and question.asker_id is None
    cto.goto(session_url)
    item = cto.locator(f"#q{question.pk}")
    assert "Why do we still share the staging database password in chat?" in item.inner_text()
    assert "Anonymous" in item.inner_text()
    page_text = cto.locator("#content").inner_text()
    assert "Engineer Person" not in page_text
    assert "engineer@example.com" not in page_text

    # The CTO answers and publishes; the engineer reads the answer, still anonymous.
    item.locator("summary", has_text="Moderate").click()
    item.locator("textarea[name=answer]").fill("We should not: moving it to the vault this week.")
    press(cto, "Save answer and publish", within=item)
    engineer.reload()
    published = engineer.get_by_test_id("questions")
    assert "moving it to the vault this week" in published.inner_text()
    assert "Anonymous" in published.inner_text()
    users.assert_clean()


def test_engineer_acknowledges_a_bulletin_and_the_cto_sees_it(world, users):
    from apps.security.models import Bulletin

    cto = users.sign_in("cto")
    nav(cto, "Security")
    tab(cto, "security-tabs", "Bulletins")
    follow(cto, cto.get_by_role("link", name="New bulletin"))
    cto.fill("input[name=title]", "Rotate your SSH keys")
    cto.fill("textarea[name=body]", "Use **ed25519** keys; RSA keys are revoked on Friday.")
    cto.select_option("select[name=severity]", "high")
    cto.fill("input[name=due_date]", (timezone.localdate() + timedelta(days=7)).isoformat())
    press(cto, "Publish", url=r"/security/bulletins/\d+/$")
    bulletin = Bulletin.objects.get(title="Rotate your SSH keys")
    assert "Engineer Person" in cto.locator("#content").inner_text()  # still to acknowledge

    engineer = users.sign_in("engineer")
    nav(engineer, "Security")
    tab(engineer, "security-tabs", "Bulletins")
    row = engineer.get_by_test_id("bulletins").locator("tr", has_text="Rotate your SSH keys")
    assert row.locator(".badge", has_text="to acknowledge").is_visible()
    follow(engineer, row.get_by_role("link", name="Rotate your SSH keys"))
    assert engineer.get_by_test_id("bulletin-body").locator("strong", has_text="ed25519").is_visible()
    with engineer.expect_navigation():
        engineer.get_by_test_id("acknowledge").click()
    assert "Acknowledged. Thank you." in flash(engineer)
    assert engineer.get_by_text("You acknowledged this bulletin.").is_visible()
    tab(engineer, "security-tabs", "Bulletins")
    row = engineer.get_by_test_id("bulletins").locator("tr", has_text="Rotate your SSH keys")
    assert row.locator(".badge", has_text="acknowledged").inner_text() == "acknowledged"

    cto.reload()
    pending = cto.locator("h2:has-text('Not yet acknowledged') + p").inner_text()
    assert "Engineer Person" not in pending
    assert bulletin.acknowledgements.filter(person=world.engineer).exists()
    users.assert_clean()


# -- Infra: a request filed and approved ------------------------------------------------------------------
def test_tl_files_an_infra_request_and_the_cto_approves_it(world, users):
    from apps.infra.models import InfraRequest

    tl = users.sign_in("tl")
    nav_menu(tl, "Infra", "Requests")
    follow(tl, tl.get_by_test_id("request-create"))
    tl.fill("input[name=title]", "GPU node pool for the embeddings job")
    tl.select_option("select[name=kind]", "new_resource")
    tl.fill("textarea[name=description]", "Two **g5.xlarge** nodes in the data EKS cluster.")
    tl.fill("input[name=estimated_monthly_cost]", "1450.00")
    tl.fill("input[name=needed_by]", (timezone.localdate() + timedelta(days=21)).isoformat())
    press(tl, "Submit request", url=r"/infra/requests/\d+/$")
    assert "submitted; a decision is due by" in flash(tl)
    assert tl.get_by_test_id("request-status").inner_text() == "Submitted"
    req = InfraRequest.objects.get()
    assert (req.team, req.requester) == (world.teams["alpha"], world.tl)

    cto = users.sign_in("cto")
    nav_menu(cto, "Infra", "Requests")
    follow(cto, cto.get_by_test_id("request-table").get_by_role("link", name="GPU node pool for the embeddings job"))
    decision = cto.get_by_test_id("decision-form")
    decision.locator("textarea[name=note]").fill("Approved for Q3; tag the nodes with the request.")
    press(cto, "Approve", within=decision)
    assert f"{req.reference} approved." in flash(cto)
    assert cto.get_by_test_id("request-status").inner_text() == "Approved"

    tl.reload()
    assert tl.get_by_test_id("request-status").inner_text() == "Approved"
    assert "Approved for Q3" in tl.locator("#content").inner_text()
    assert "Approved" in tl.get_by_test_id("request-history").inner_text()
    req.refresh_from_db()
    assert (req.status, req.decided_by) == ("approved", world.cto)
    users.assert_clean()
