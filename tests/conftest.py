"""Shared fixtures. ``world`` is a small org with one person per role and a client per role;
every app's tests and the access matrix build on it."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from apps.core import services as core_services
from apps.core.roles import Role
from tests.factories import PersonFactory, TeamFactory, UserFactory

ROLES = ("anonymous", "engineer", "tl", "em", "pm", "finance", "hr", "cto", "service")

# No persistent database connections in tests. The live server answers each browser connection
# in a thread of its own, and a persistent connection of such a thread could outlive the test
# database ("being accessed by other users" when it is dropped). With 0, a request's connection
# closes when the request ends; the test client's requests share the test's connection anyway.
for _database in settings.DATABASES.values():
    _database["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _fresh_content_type_cache():
    """A test that commits flushes and restores the database, which can renumber content
    types; a stale cache would then point audit entries at ids that no longer exist."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _migration_written_rows(request):
    """Rows written by data migrations (the ISO 27001 controls, the beat schedules) are part of
    a migrated database. A test that commits ends with Django's flush, which wipes them, and
    pytest-django runs live-server tests among the others. So a database test that finds them
    gone runs the data migrations' functions again (the ISO controls are the sentinel)."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames))
    if not uses_db:
        return
    request.getfixturevalue("transactional_db" if _is_transactional(request.node) else "db")
    restore_migration_rows()


def restore_migration_rows() -> None:
    """Run the portal's data migrations' functions again when a flush wiped their rows (the ISO
    controls are the sentinel); a no-op otherwise."""
    from django.apps import apps as django_apps
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    if django_apps.get_model("security", "Control").objects.exists():
        return
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    portal = {app.rsplit(".", 1)[-1] for app in settings.PORTAL_APPS}
    for key in sorted(k for k in loader.disk_migrations if k[0] in portal):
        for operation in loader.disk_migrations[key].operations:
            if isinstance(operation, RunPython):
                operation.code(django_apps, None)


def _service_missing(what: str) -> None:
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not configured or not reachable.")
    pytest.skip(f"{what} not configured")


@pytest.fixture
def require_redis():
    """Skip without REDIS_URL; fail instead under REQUIRE_SERVICES=1."""
    url = os.environ.get("REDIS_URL")
    if not url:
        _service_missing("Redis (REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception:
        _service_missing(f"Redis at {url}")
    return url


@pytest.fixture
def require_postgres(db):
    if connection.vendor != "postgresql":
        _service_missing("PostgreSQL (DATABASE_URL)")


@dataclass
class World:
    people: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    teams: dict = field(default_factory=dict)
    token: str = ""
    service_account: object = None

    def client(self, role: str) -> Client:
        """A test client signed in as ``role`` (session), or carrying the service token."""
        if role == "anonymous":
            return Client()
        if role == "service":
            return Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")
        c = Client()
        c.force_login(self.users[role])
        return c

    def __getattr__(self, name):
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)


@pytest.fixture
def world(db) -> World:
    """CTO -> EM -> TL -> engineer, plus a second chain (em2 -> tl2 -> engineer2) the first EM
    does not manage, a PM, finance and HR. Each role has a login."""
    w = World()
    w.teams["alpha"] = TeamFactory(name="Alpha", slug="alpha")
    w.teams["beta"] = TeamFactory(name="Beta", slug="beta")
    w.teams["data"] = TeamFactory(name="Data", slug="data", kind="data")

    def make(key, role, manager=None, team="alpha", login=True, **extra):
        user = UserFactory(username=key) if login else None
        person = PersonFactory(full_name=f"{key.title()} Person", email=f"{key}@example.com", role=role,
                               manager=manager, team=w.teams[team] if team else None, user=user, **extra)
        w.people[key] = person
        if user:
            w.users[key] = user
        return person

    cto = make("cto", Role.CTO, team=None)
    em = make("em", Role.EM, cto)
    tl = make("tl", Role.TL, em)
    make("engineer", Role.ENGINEER, tl, location="remote")
    em2 = make("em2", Role.EM, cto, team="beta")
    tl2 = make("tl2", Role.TL, em2, team="beta")
    make("engineer2", Role.ENGINEER, tl2, team="beta")
    make("pm", Role.PM, cto, team="data")
    make("finance", Role.FINANCE, cto, team=None)
    make("hr", Role.HR, cto, team=None)
    w.teams["alpha"].lead = tl
    w.teams["alpha"].save()
    w.service_account = core_services.service_account_create(name="test-tool", role=Role.SERVICE)
    _, w.token = core_services.api_token_issue(service_account=w.service_account, name="tests")
    return w


@pytest.fixture
def superuser_client(world):
    """The CTO's client with the Django admin open to them, as in the real portal (seed_demo makes
    the CTO a superuser): the admin is one of their pages."""
    user = world.users["cto"]
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return world.client("cto")


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    wants_transaction = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    return wants_transaction or bool({"live_server", "transactional_db"} & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items):
    """Tests that really commit (live server, real worker, transaction=True) end with Django's
    flush, which also wipes rows written by data migrations (ISO controls, beat schedules).
    Mark them for serialized rollback (they start on the full migrated content); the tests
    after them get the rows back from _migration_written_rows."""
    for item in items:
        if _is_transactional(item):
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


# -- Browser tests: one Playwright + Chromium per test process, shared by every app's e2e tests.
# Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests
# themselves (fixtures) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (sync API). Two sync_playwright() instances in one
    process clash, so every browser test uses this one."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if settings.REQUIRE_SERVICES:
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()




# -- Who else holds the test database at the end (PostgreSQL) ---------------------------------------------
def _socket_owner(port: int) -> str:
    """The local process whose TCP socket has this local port (Linux /proc), for the report below."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                next(fh)
                for line in fh:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(fields[9])
        except OSError:
            continue
    if not inodes:
        return "no local socket with that port"
    sockets = {f"socket:[{i}]" for i in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") not in sockets:
                    continue
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    command = fh.read().replace(b"\0", b" ").decode(errors="replace")[:160]
            except OSError:  # the descriptor or the process went away meanwhile
                continue
            return f"pid {pid}{' (this test process)' if int(pid) == os.getpid() else ''}: {command}"
    return f"a socket ({', '.join(sorted(inodes))}) no local process holds"


@pytest.fixture(scope="session", autouse=True)
def _other_sessions_at_the_end(django_db_setup, django_db_blocker):
    """Names any other session still connected to the test database when the tests are done (it
    stops the database from being dropped: "being accessed by other users")."""
    yield
    if connection.vendor != "postgresql":
        return
    import threading
    import warnings

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pid, client_port, state, backend_start, left(query, 120), client_addr, "
                       "application_name FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        rows = cursor.fetchall()
    if rows:
        alive = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
        found = [f"backend {pid} ({addr}:{port}, application {app!r}, {state}, since {start:%H:%M:%S}, last query "
                 f"{query!r}) held by {_socket_owner(port) if port else 'a local socket'}"
                 for pid, port, state, start, query, addr, app in rows]
        warnings.warn(f"Other sessions on the test database at the end: {found}; threads alive: {alive}", stacklevel=1)
