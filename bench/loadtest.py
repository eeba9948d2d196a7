"""`make loadtest`: gunicorn with (2 x cores + 1) workers on PostgreSQL and Redis, Debian's
wrk for 30 s against the main pages and endpoints, next to a bare Django view (the ceiling).

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; builds its own database `<name>_loadtest`
with the demo organisation. Prints requests/s, p50, p99 and errors per target. Traffic goes
to 127.0.0.1 only. Figures are printed, never asserted."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("LOADTEST_PORT", "8765"))
DURATION = os.environ.get("LOADTEST_DURATION", "30s")
CONNECTIONS = os.environ.get("LOADTEST_CONNECTIONS", "16")


def fail(message: str) -> None:
    print(f"loadtest: {message}", file=sys.stderr)
    sys.exit(2)


def prepare_database(base_url: str) -> str:
    parsed = urlparse(base_url)
    if not parsed.scheme.startswith("postgres"):
        fail("DATABASE_URL must point at PostgreSQL")
    name = parsed.path.lstrip("/") + "_loadtest"
    admin = urlunparse(parsed._replace(path="/postgres"))
    import psycopg2

    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return urlunparse(parsed._replace(path=f"/{name}"))


def main() -> None:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        fail("set DATABASE_URL (PostgreSQL) and REDIS_URL")
    if not shutil.which("wrk"):
        fail("wrk is not installed (apt-get install wrk)")
    env = {
        **os.environ,
        "DATABASE_URL": prepare_database(os.environ["DATABASE_URL"]),
        "DJANGO_SETTINGS_MODULE": "bench.settings_load",
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "loadtest-" + "x" * 50,
        "FIELD_ENCRYPTION_KEY": os.environ.get("FIELD_ENCRYPTION_KEY") or Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "API_TOKEN_THROTTLE_RATE": "100000000/hour",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    print("preparing: migrate, seed_demo, collectstatic ...", flush=True)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", quiet=True, stdout=open(os.devnull, "w"))
    call_command("collectstatic", verbosity=0, interactive=False)
    targets = build_targets()

    workers = 2 * (os.cpu_count() or 1) + 1
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cto_portal.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{PORT}/healthz")
        rows = [run_wrk(label, path, headers) for label, path, headers in targets]
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
    ceiling = rows[0][1] or 1.0
    print(f"\ngunicorn workers: {workers}, wrk: {CONNECTIONS} connections, {DURATION} per target\n")
    print(f"{'target':<34} {'req/s':>9} {'of ceiling':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for label, rps, p50, p99, errors in rows:
        print(f"{label:<34} {rps:9.1f} {rps / ceiling:10.0%} {p50:8.1f} {p99:8.1f} {errors:7d}")


def build_targets() -> list[tuple[str, str, dict]]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import NoReverseMatch, reverse

    from apps.core import services as core_services
    from apps.core.models import ServiceAccount

    user = get_user_model().objects.get(username="cto")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    cookie = {"Cookie": f"sessionid={session.session_key}"}
    account = ServiceAccount.objects.filter(name="loadtest").first() or core_services.service_account_create(
        name="loadtest", role="cto")
    _, key = core_services.api_token_issue(service_account=account)
    bearer = {"Authorization": f"Bearer {key}"}

    targets = [("ceiling (bare Django JSON view)", "/bench/ceiling", {}), ("dashboard (session)", "/", cookie)]
    try:
        from apps.syncs.models import Meeting

        meeting = Meeting.objects.filter(series__is_private=False).order_by("-scheduled_at").first()
        if meeting:
            targets.append(("meeting page (session)", reverse("syncs:meeting-detail", args=[meeting.pk]), cookie))
    except ImportError:
        pass
    for name in ("api:cost-aggregate", "api:costs-aggregate", "api:cost-summary"):
        try:
            targets.append(("cost aggregate API (token)", reverse(name), bearer))
            break
        except NoReverseMatch:
            continue
    targets.append(("people list API, page 2 (token)", "/api/v1/people/?page=2&page_size=25", bearer))
    return targets


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    fail(f"gunicorn did not answer {url}")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(label: str, path: str, headers: dict) -> tuple[str, float, float, float, int]:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    args.append(f"http://127.0.0.1:{PORT}{path}")
    out = subprocess.run(args, capture_output=True, text=True, timeout=600).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {m.group(1): _ms(m.group(2), m.group(3)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(x) for x in socket.groups())
    return label, rps, latency.get("50", 0.0), latency.get("99", 0.0), errors


if __name__ == "__main__":
    main()
