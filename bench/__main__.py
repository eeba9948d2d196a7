"""`make bench`: timings of the portal's main pages and endpoints, printed, never asserted.

Runs against a throw-away SQLite database with the demo organisation grown to a few hundred
people. Each bench module in this package exposes ``run(client) -> list[tuple[str, float, int]]``
(label, milliseconds per request, queries per request)."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cto_portal.settings")
os.environ.setdefault("DEBUG", "1")
_tmp = tempfile.mkdtemp(prefix="cto-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/bench.sqlite3"
os.environ.pop("REDIS_URL", None)


def timed(client, url: str, repeat: int = 20) -> tuple[float, int]:
    from django.db import connections

    client.get(url)  # warm
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    start = time.perf_counter()
    for _ in range(repeat):
        client.get(url)
    elapsed = (time.perf_counter() - start) * 1000 / repeat
    return elapsed, len(executed)


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", quiet=True, stdout=open(os.devnull, "w"))
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="cto"))
    rows: list[tuple[str, float, int]] = []
    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        module = import_module(f"bench.{path.stem}")
        rows.extend(module.run(client, timed))
    width = max(len(r[0]) for r in rows)
    print(f"{'page / endpoint'.ljust(width)}  {'ms/request':>10}  {'queries':>7}")
    for label, ms, queries in rows:
        print(f"{label.ljust(width)}  {ms:10.1f}  {queries:7d}")


if __name__ == "__main__":
    main()
