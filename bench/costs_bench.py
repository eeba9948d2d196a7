"""Costs benchmarks (printed, never asserted). Needs PostgreSQL (DATABASE_URL) for COPY.

    DATABASE_URL=postgres://... python bench/costs_bench.py import [--rows 1000000]
    DATABASE_URL=postgres://... python bench/costs_bench.py explorer [--years 3 --accounts 50 --services 80]

``import``: generates a FOCUS file in the shape of tests/costs/fixtures/focus_sample.csv (its
rows as templates, spread over days, sub-accounts and services), imports it with the real
importer in a child process (rows/s, that process's peak RSS, and the time of each phase), imports it again (a restated
period: the facts are merged, nothing rewritten), then COPYs the same file into a bare all-text
staging table in the same run.

``explorer``: fills CostEntry with daily facts (generate_series, in SQL) and times the cost
explorer page and the aggregate API (median server time of several requests).
WARNING: both delete every CostEntry row of the database they run against.
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cto_portal.settings")
os.environ.setdefault("DEBUG", "1")
SAMPLE = ROOT / "tests" / "costs" / "fixtures" / "focus_sample.csv"


def _setup():
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("This bench needs PostgreSQL: set DATABASE_URL=postgres://...")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with open(SAMPLE, newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames
        templates = list(reader)
    services = [f"Service {i:02d}" for i in range(80)]
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        for i in range(rows):
            row = dict(templates[i % len(templates)])
            day = 1 + rng.randrange(30)
            hour = rng.randrange(24)
            row["ChargePeriodStart"] = f"2024-09-{day:02d} {hour:02d}:00:00"
            row["ChargePeriodEnd"] = f"2024-09-{day:02d} {hour:02d}:59:59"
            row["BillingPeriodStart"] = "2024-09-01 00:00:00"
            row["SubAccountId"] = f"{100000000000 + rng.randrange(50)}"
            row["ServiceName"] = rng.choice(services)
            writer.writerow(row)


# Where the import's time goes: the statements it sends, by what they do (first match wins).
PHASES = (
    ("check and cast every value", "INSERT INTO costs_copy_rows"),
    ("group the rows into facts", "INSERT INTO costs_import_stage"),
    ("write the facts (costs_costentry)", "INSERT INTO costs_costentry"),
    ("monthly roll-up", "INSERT INTO costs_costmonthentry"),
)


def _import_child(path: str, queue) -> None:
    _setup()
    from django.db import connection

    from apps.costs import services

    spent: dict[str, float] = {}

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            phase = next((label for label, prefix in PHASES if sql.startswith(prefix)), "other statements")
            spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - started

    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        result = services.cost_file_import(actor=services.SYSTEM, files=services.input_files_for(path))
    elapsed = time.perf_counter() - started
    # COPY goes through the driver's copy_expert, which the wrapper does not see: it is the rest.
    spent = {"COPY into the raw table, and Python": elapsed - sum(spent.values()), **spent}
    queue.put((result.rows, result.entries, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, spent))


def _baseline_child(queue) -> None:
    _setup()
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def bench_import(rows: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="costs-bench-")) / "focus.csv"
    t = time.perf_counter()
    generate(tmp, rows)
    print(f"generated {rows:,} FOCUS rows ({tmp.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f}s")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()

    def in_child(target, *args):
        process = ctx.Process(target=target, args=(*args, queue))
        process.start()
        result = queue.get()
        process.join()
        return result

    baseline_mb = in_child(_baseline_child)
    n, entries, elapsed, peak_mb, spent = in_child(_import_child, str(tmp))
    print(f"import_costs : {n:,} rows -> {entries:,} daily entries in {elapsed:.1f}s = {n / elapsed:,.0f} rows/s; "
          f"peak RSS {peak_mb:.0f} MB (Django baseline {baseline_mb:.0f} MB)")
    for label, seconds in spent.items():
        print(f"    {seconds:6.1f}s  {label}")
    n, entries, again, peak_mb, _ = in_child(_import_child, str(tmp))
    print(f"re-import    : the same file again (a restated period, nothing changed) in {again:.1f}s = "
          f"{n / again:,.0f} rows/s; peak RSS {peak_mb:.0f} MB")

    _setup()
    from django.db import connection

    with open(SAMPLE, newline="") as fh:
        header = next(csv.reader(fh))
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_focus_staging")
        cur.execute("CREATE UNLOGGED TABLE bench_focus_staging (" + ", ".join(f'"{c}" text' for c in header) + ")")
        started = time.perf_counter()
        with open(tmp) as fh:
            cur.copy_expert("COPY bench_focus_staging FROM STDIN WITH (FORMAT csv, HEADER true)", fh)
        copy_elapsed = time.perf_counter() - started
        cur.execute("SELECT count(*) FROM bench_focus_staging")
        copied = cur.fetchone()[0]
        cur.execute("DROP TABLE bench_focus_staging")
    print(f"COPY         : {copied:,} rows in {copy_elapsed:.1f}s = {copied / copy_elapsed:,.0f} rows/s")
    print(f"import / COPY: {(n / elapsed) / (copied / copy_elapsed):.2f} (goal: >= 0.5)")
    # Half of COPY's rate leaves the import twice COPY's time. Reading the file and writing the
    # facts cannot be skipped by any design that stores these facts in this table.
    floor = spent["COPY into the raw table, and Python"] + spent.get("write the facts (costs_costentry)", 0.0)
    print(f"time budget  : {2 * copy_elapsed:.1f}s at half of COPY's rate; COPY into the raw table and writing "
          f"the facts alone took {floor:.1f}s of the import")
    from apps.costs.models import CostEntry, CostMonthEntry, CostTagEntry, TopResource

    for model in (CostEntry, CostMonthEntry, CostTagEntry, TopResource):
        model.objects.all().delete()
    tmp.unlink()


def bench_explorer(years: int, accounts: int, services: int, repeat: int) -> None:
    _setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from apps.core.roles import Role
    from apps.org.models import Person

    setup_test_environment()
    days = 365 * years
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM costs_costentry")
        cur.execute("""
            INSERT INTO costs_costentry (date, billing_period, provider, billing_account_id, sub_account_id,
                sub_account_name, service, service_category, region, cost, amortized_cost, currency, source, created_at)
            SELECT d::date, date_trunc('month', d)::date, 'AWS', '200000000000', (100000000000 + a)::text, '',
                   'Service ' || s, '', 'eu-west-1', (random() * 100)::numeric(24, 12), (random() * 90)::numeric(24, 12),
                   'USD', 'demo', now()
            FROM generate_series(current_date - %s, current_date - 1, interval '1 day') AS d,
                 generate_series(1, %s) AS a, generate_series(1, %s) AS s
        """, [days, accounts, services])
        cur.execute("ANALYZE costs_costentry")
        cur.execute("SELECT count(*) FROM costs_costentry")
        total = cur.fetchone()[0]
    print(f"{total:,} daily facts ({years}y x {accounts} accounts x {services} services) in {time.perf_counter() - t:.0f}s")
    # The monthly roll-up, as imports and syncs maintain it.
    from apps.costs.services import cost_rollup_refresh

    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM costs_costmonthentry")
        cur.execute("SELECT DISTINCT date_trunc('month', date)::date FROM costs_costentry")
        months = [m for (m,) in cur.fetchall()]
    rolled = cost_rollup_refresh(months=months)
    with connection.cursor() as cur:
        cur.execute("ANALYZE costs_costmonthentry")
    print(f"{rolled:,} monthly roll-up rows in {time.perf_counter() - t:.0f}s")
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench-finance")
    Person.objects.get_or_create(email="bench-finance@example.com",
                                 defaults={"full_name": "Bench Finance", "role": Role.FINANCE, "user": user})
    client = Client()
    client.force_login(user)
    urls = [
        ("explorer page, 30 days by service", "/costs/"),
        ("explorer page, 1 year monthly by account", "/costs/?start={y1}&group_by=account&granularity=monthly"),
        ("aggregate API, 30 days by service", "/api/v1/cost-aggregates/"),
        ("aggregate API, 3 years monthly by service", "/api/v1/cost-aggregates/?start={y3}&granularity=monthly"),
    ]
    from datetime import date, timedelta

    today = date.today()
    fill = {"y1": (today - timedelta(days=364)).isoformat(), "y3": (today - timedelta(days=3 * 365 - 1)).isoformat()}
    for label, url in urls:
        url = url.format(**fill)
        client.get(url)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{label:45s} median {statistics.median(times):8.1f} ms (goal < 300 ms)")
    with connection.cursor() as cur:
        cur.execute("DELETE FROM costs_costentry")
        cur.execute("DELETE FROM costs_costmonthentry")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    p_import = sub.add_parser("import")
    p_import.add_argument("--rows", type=int, default=1_000_000)
    p_explorer = sub.add_parser("explorer")
    p_explorer.add_argument("--years", type=int, default=3)
    p_explorer.add_argument("--accounts", type=int, default=50)
    p_explorer.add_argument("--services", type=int, default=80)
    p_explorer.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.what == "import":
        bench_import(args.rows)
    else:
        bench_explorer(args.years, args.accounts, args.services, args.repeat)


if __name__ == "__main__":
    main()
