"""Link-crawl hunt over the demo organisation.

For each demo login (one person per human role), sign in and walk the portal breadth-first from
"/" along every internal link a page offers (``<a href>``, ``<link href>``, ``hx-get``, the action
of a GET form, a script or image the portal serves outside /static/). URLs that differ only by pk
or by query values are grouped by URL pattern (``django.urls.resolve``): a few of each are read and
followed, a few more (a person's page, a meeting's...) only opened for their status; each role
reads at most ``MAX_PAGES`` pages.

What every crawled page must hold:
  1. no answer is 5xx (and no view raises);
  2. a link shown to a user opens for that user: after redirects the answer is 200, never 403/404/405
     nor the sign-in page (a dead link, or a hidden object's existence leaking);
  3. every ``<form method=post>`` carries a ``csrfmiddlewaretoken``;
  4. ``/static/`` references exist (staticfiles finders, including the ``url()`` inside the
     stylesheets), and no script, stylesheet, image or font comes from another host (offline, no CDN);
  5. a GET changes nothing (WRITES_ALLOWED lists what may change by design): on PostgreSQL no row is
     inserted, updated or deleted; on SQLite no row is created or deleted and no audit entry written;
  6. a page built on ``base.html`` has a non-empty ``<title>`` and exactly one ``<h1>`` (not written
     down in STYLE.md, but base.html gives every page a title block and 100 of the 102 templates
     that extend it have exactly one <h1>; partials and panels have none). Last in the file, so that
     under ``-x`` a heading never hides a broken link.

The crawl runs once per module (demo data seeded into the test database inside a transaction that is
rolled back afterwards); each test reads its results and lists every offence of every role at once.
"""
from __future__ import annotations

import io
import posixpath
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from tests.conftest import restore_migration_rows

# The module's crawl fixture uses the test database; the marker makes pytest-django create it.
pytestmark = pytest.mark.django_db

# One demo login per human role (seed_demo's LEADERS and its engineer login; em2 is a second EM).
LOGINS = {"cto": "cto", "em": "em", "tl": "tl", "pm": "pm", "finance": "finance", "hr": "hr", "engineer": "engineer"}
MAX_PAGES = 400  # pages opened and read, per role
SAMPLES_PER_PATTERN = 3  # of those, per (view name, query keys)
LINKS_PER_PATTERN = 20  # further links per pattern opened for their status only (bare pk variants mostly)
HOST = "testserver"
STATIC_PREFIX = "/" + settings.STATIC_URL.lstrip("/")
SKIP_PREFIXES = (STATIC_PREFIX, "/admin/", "/media/")
SKIP_VIEWS = {"logout"}  # signs the crawler out (and is POST-only)
NOT_LINKS = ("mailto:", "tel:", "javascript:", "data:")
# Tables a GET may write by design: the client's session; pay reads in the access log (ARCHITECTURE.md);
# the reader's own secret iCal address, made once when the calendar page is first opened
# (syncs.services.calendar_feed_get, knowledge.services.calendar_feed_get_or_create: get_or_create).
WRITES_ALLOWED = {"django_session", "core_accesslog", "syncs_calendarfeed", "knowledge_calendarfeed"}


@dataclass
class Page:
    """What one HTML document offered."""
    links: list[str] = field(default_factory=list)          # internal navigation (a, link, hx-get, GET forms)
    hx_links: set[str] = field(default_factory=set)         # those requested by htmx (sent with HX-Request)
    assets: list[tuple[str, str]] = field(default_factory=list)  # (tag.attr, url) loaded by the browser
    post_forms: list[tuple[str, bool]] = field(default_factory=list)  # (action, has csrf token)
    title: str | None = None
    h1_count: int = 0


class _PageParser(HTMLParser):
    ASSET_ATTRS = {"script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"),
                   "video": ("src", "poster"), "audio": ("src",), "iframe": ("src",), "embed": ("src",),
                   "object": ("data",), "image": ("href", "xlink:href"), "use": ("href", "xlink:href")}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._form: list | None = None  # [action, has_token] of the open POST form
        self._in_title = False
        self._title: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        page = self.page
        if tag == "a" and "href" in a:
            page.links.append(a["href"])
        elif tag == "link" and "href" in a:
            rel = a.get("rel", "").lower().split()
            if {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon"} & set(rel):
                page.assets.append((f"link[rel={' '.join(rel)}].href", a["href"]))
            else:
                page.links.append(a["href"])
        elif tag in self.ASSET_ATTRS:
            for attr in self.ASSET_ATTRS[tag]:
                for url in _srcset(a[attr]) if attr == "srcset" and attr in a else [a.get(attr)]:
                    if url:
                        page.assets.append((f"{tag}.{attr}", url))
        if a.get("hx-get"):
            page.links.append(a["hx-get"])
            page.hx_links.add(a["hx-get"])
        if tag == "form":
            method = a.get("method", "get").lower()
            if method == "post":
                self._form = [a.get("action", ""), False]
            elif a.get("action") is not None:
                page.links.append(a["action"])
        elif tag == "input" and self._form is not None and a.get("name") == "csrfmiddlewaretoken" and a.get("value"):
            self._form[1] = True
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            page.h1_count += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.page.post_forms.append((self._form[0], self._form[1]))
            self._form = None
        elif tag == "title" and self._in_title:
            self._in_title = False
            self.page.title = "".join(self._title).strip()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)


def _srcset(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def parse_page(html: str) -> Page:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    if parser._form is not None:  # a form never closed still counts
        parser.page.post_forms.append((parser._form[0], parser._form[1]))
    return parser.page


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    if url.startswith("//"):
        return parts.hostname not in (None, HOST)
    return parts.scheme in ("http", "https") and parts.hostname != HOST


def internal_path(base: str, href: str) -> str | None:
    """The path?query a link opens on this portal, or None if it is not a page to crawl."""
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith(NOT_LINKS):
        return None
    if is_external(href):
        return None
    url, _ = urldefrag(urljoin(base, href))
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.path.startswith(SKIP_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def pattern_of(path: str) -> tuple[str, tuple[str, ...]] | None:
    """(view name, query keys): URLs alike but for pk or query values share it. None: no such URL."""
    parts = urlsplit(path)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    keys = tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return (match.view_name or match.route, keys)


def _stored_counts() -> dict[str, object]:
    """What a request could have written. PostgreSQL counts, per table, the rows this transaction
    inserted, updated and deleted (pg_stat_xact_user_tables, one cheap query); SQLite has no such
    view, so there the rows of every table and the audit entries (updates of audited models) are
    counted instead."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables")
            return {f"{t} (ins, upd, del)": tuple(n) for t, *n in cursor.fetchall() if t not in WRITES_ALLOWED}
        tables = sorted(m._meta.db_table for m in django_apps.get_models()
                        if m._meta.managed and not m._meta.proxy and m._meta.db_table not in WRITES_ALLOWED)
        qn = connection.ops.quote_name
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {qn(t)})" for t in tables))
        return dict(zip(tables, cursor.fetchone(), strict=True))


@dataclass
class Fetch:
    status: int | str  # an int, or "login" when the link ended on the sign-in page
    final: str
    content_type: str = ""
    error: str = ""


@dataclass(repr=False)
class RoleCrawl:
    role: str
    fetched: dict[str, Fetch] = field(default_factory=dict)
    referrers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    pages: dict[str, Page] = field(default_factory=dict)   # final URL -> parsed portal page (base.html)
    documents: dict[str, Page] = field(default_factory=dict)  # every HTML document, portal or not
    writes: list[tuple[str, str]] = field(default_factory=list)  # (url, what changed)
    skipped_patterns: dict[tuple, int] = field(default_factory=lambda: defaultdict(int))
    capped: int = 0  # URLs left unvisited because of MAX_PAGES
    counts: dict[str, object] = field(default_factory=dict)  # _stored_counts() after the last request

    def __repr__(self) -> str:  # keeps pytest's failure output to the assertion message
        return f"<crawl of {self.role}: {len(self.fetched)} URLs>"


def fetch(client: Client, path: str, *, hx: bool) -> tuple[Fetch, object | None]:
    """GET ``path`` following redirects; a view that raises answers 500 here (with the error)."""
    headers = {"HX-Request": "true"} if hx else {}
    try:
        with transaction.atomic():  # an error inside a view must not poison the crawl's transaction
            response = client.get(path, follow=True, headers=headers)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
    except Exception as exc:  # noqa: BLE001 - a view that raises is what check 1 reports
        return Fetch(500, path, error=f"{type(exc).__name__}: {exc}"[:300]), None
    final = response.request["PATH_INFO"]
    if response.request.get("QUERY_STRING"):
        final += "?" + response.request["QUERY_STRING"]
    status: int | str = response.status_code
    if response.redirect_chain and urlsplit(final).path == reverse("login"):
        status = "login"
    return Fetch(status, final, response.get("Content-Type", "")), response


def crawl_role(role: str, user) -> RoleCrawl:
    """Breadth-first from "/": up to SAMPLES_PER_PATTERN URLs of each pattern are opened and read
    (their links followed); further links of a pattern, up to LINKS_PER_PATTERN, are opened for
    their status only, so a dead link to the 40th person is found without reading 40 profiles."""
    result = RoleCrawl(role)
    client = Client()
    client.force_login(user)  # no portal_auth in the session: MfaEnforcementMiddleware lets it through
    crawled: dict[tuple, int] = defaultdict(int)
    checked: dict[tuple, int] = defaultdict(int)
    queue: deque[tuple[str, bool]] = deque([("/", False)])
    status_only: list[tuple[str, bool]] = []
    seen = {"/"}
    while queue:
        path, hx = queue.popleft()
        if len(result.fetched) >= MAX_PAGES:
            result.capped = len(queue) + 1
            break
        got, response = _fetch_and_watch(result, client, path, hx=hx)
        if response is None or got.status != 200 or "text/html" not in got.content_type:
            continue
        page = parse_page(response.content.decode(response.charset or "utf-8", "replace"))
        result.documents[got.final] = page
        if any(t.name == "base.html" for t in response.templates):
            result.pages[got.final] = page
        for href in [*page.links, *(ref for _, ref in page.assets)]:  # a page's own script is a link too
            target = internal_path(got.final, href)
            if target is None:
                continue
            result.referrers[target].append(got.final)
            key = pattern_of(target)
            if target in seen or (key is not None and key[0] in SKIP_VIEWS):
                continue
            seen.add(target)
            item = (target, href in page.hx_links)
            if key is None:  # no such URL: opened once, test 2 reports it
                status_only.append(item)
            elif crawled[key] < SAMPLES_PER_PATTERN:
                crawled[key] += 1
                queue.append(item)
            elif checked[key] < LINKS_PER_PATTERN:
                checked[key] += 1
                status_only.append(item)
            else:
                result.skipped_patterns[key] += 1
    for path, hx in status_only:
        _fetch_and_watch(result, client, path, hx=hx)
    return result


def _fetch_and_watch(result: RoleCrawl, client: Client, path: str, *, hx: bool):
    """GET ``path``; record its outcome and whatever it wrote (``_stored_counts``). Only the crawl's GETs
    run in this transaction, so the counts after one request are the counts before the next."""
    before = result.counts or _stored_counts()
    got, response = fetch(client, path, hx=hx)
    result.fetched[path] = got
    result.counts = after = _stored_counts()
    changed = [f"{t} {before[t]}->{after[t]}" for t in before if before[t] != after[t]]
    if changed:
        result.writes.append((path, ", ".join(changed)))
    return got, response


@pytest.fixture(scope="module")
def crawl(django_db_setup, django_db_blocker) -> dict[str, RoleCrawl]:
    """Seed the demo (as tests/syncs/test_demo.py does) and crawl it once per role; all rolled back."""
    results: dict[str, RoleCrawl] = {}
    started = time.monotonic()
    with django_db_blocker.unblock(), transaction.atomic():
        restore_migration_rows()
        call_command("seed_demo", quiet=True, stdout=io.StringIO())
        users = get_user_model().objects.in_bulk(LOGINS.values(), field_name="username")
        for role, login in LOGINS.items():
            results[role] = crawl_role(role, users[login])
        transaction.set_rollback(True)
    print(f"\ncrawl: {sum(len(r.fetched) for r in results.values())} URLs in {time.monotonic() - started:.1f}s "
          "(role: pages read + links checked): "
          + ", ".join(f"{role} {len(r.documents)}+{len(r.fetched) - len(r.documents)}"
                      + (f" (capped, {r.capped} left)" if r.capped else "") for role, r in results.items()))
    return results


def _report(title: str, rows: list[tuple]) -> str:
    return f"{title} ({len(rows)}):\n" + "\n".join("  " + " | ".join(map(str, row)) for row in sorted(rows, key=str))


def _referrer(result: RoleCrawl, url: str) -> str:
    pages = result.referrers.get(url) or ["(start)"]
    return pages[0] + (f" (+{len(set(pages)) - 1} more pages)" if len(set(pages)) > 1 else "")


# -- 0. the crawl itself reached the portal ------------------------------------------------------------------
def test_the_crawl_reaches_every_app_for_every_role(crawl):
    thin = []
    for role, result in crawl.items():
        apps_seen = {urlsplit(url).path.split("/")[1] for url, f in result.fetched.items() if f.status == 200}
        if len(result.pages) < 20 or not {"", "org", "syncs", "knowledge", "security"} <= apps_seen:
            thin.append((role, f"{len(result.pages)} portal pages", sorted(apps_seen)))
    assert not thin, _report("roles whose crawl saw too little of the portal (role, pages, apps)", thin)


# -- 1. no 5xx -----------------------------------------------------------------------------------------------
def test_no_page_answers_5xx(crawl):
    errors = [(role, _referrer(result, url), url, f.status, f.error)
              for role, result in crawl.items() for url, f in result.fetched.items()
              if isinstance(f.status, int) and f.status >= 500]
    assert not errors, _report("server errors (role, page, link, status, error)", errors)


# -- 2. every link shown opens -------------------------------------------------------------------------------
def test_every_link_shown_to_a_user_opens_for_that_user(crawl):
    dead = []
    for role, result in crawl.items():
        for url, f in result.fetched.items():
            if isinstance(f.status, int) and f.status >= 500:
                continue  # 5xx are test_no_page_answers_5xx's
            if f.status != 200:
                dead.append((role, _referrer(result, url), url, f.status, f"-> {f.final}" if f.final != url else ""))
    assert not dead, _report("links that do not open for the reader (role, page, link, status)", dead)


# -- 3. CSRF token in every POST form ------------------------------------------------------------------------
def test_every_post_form_carries_a_csrf_token(crawl):
    assert any(page.post_forms for result in crawl.values() for page in result.documents.values())
    missing = sorted({(role, url, action or "(same page)", "no csrfmiddlewaretoken")
                      for role, result in crawl.items() for url, page in result.documents.items()
                      for action, has_token in page.post_forms if not has_token})
    assert not missing, _report("POST forms without a CSRF token (role, page, form action)", missing)


# -- 4. static assets exist and nothing is loaded from another host ------------------------------------------
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+['"]([^'"]+)['"]""")


def _static_problems(path: str) -> list[str]:
    """Problems of one /static/ reference; a stylesheet is read and its url()/@import checked too."""
    name = urlsplit(path).path[len(STATIC_PREFIX):]
    found = finders.find(name)
    if not found:
        return [f"{path}: not found by the staticfiles finders"]
    problems = []
    if name.endswith(".css"):
        with open(found, encoding="utf-8", errors="replace") as fh:
            css = re.sub(r"/\*.*?\*/", "", fh.read(), flags=re.S)
        for ref in {*CSS_URL.findall(css), *CSS_IMPORT.findall(css)}:
            ref = ref.strip()
            if ref.startswith(("data:", "#")):
                continue
            if is_external(ref):
                problems.append(f"{path}: loads {ref} from another host")
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), urlsplit(ref).path))
            if not finders.find(target):
                problems.append(f"{path}: url({ref}) -> {target} not found")
    return problems


def test_static_references_exist_and_nothing_loads_from_another_host(crawl):
    checked: dict[str, list[str]] = {}
    bad = set()
    for role, result in crawl.items():
        for url, page in result.documents.items():
            refs = [*page.assets, *(("link.href", h) for h in page.links if h.startswith(STATIC_PREFIX))]
            for what, ref in refs:
                if is_external(ref):
                    bad.add((role, url, what, ref, "external host"))
                    continue
                target = urlsplit(urljoin(url, ref)).path
                if target.startswith(STATIC_PREFIX):
                    if target not in checked:
                        checked[target] = _static_problems(target)
                    for problem in checked[target]:
                        bad.add((role, url, what, ref, problem))
    assert not bad, _report("asset references that do not work offline (role, page, element, ref, problem)",
                            list(bad))
    assert checked, "the crawl found no /static/ reference at all"


# -- 5. GET is safe ------------------------------------------------------------------------------------------
def test_no_get_changes_stored_data(crawl):
    writes = [(role, _referrer(result, url), url, what) for role, result in crawl.items()
              for url, what in result.writes]
    assert not writes, _report("GET requests that changed stored data (role, page, link, rows changed)", writes)


# -- 6. <title> and exactly one <h1> -------------------------------------------------------------------------
def test_every_portal_page_has_a_title_and_one_h1(crawl):
    bad = []
    for role, result in crawl.items():
        for url, page in result.pages.items():
            if not page.title or page.title.startswith("·"):
                bad.append((role, url, f"title={page.title!r}"))
            if page.h1_count != 1:
                bad.append((role, url, f"{page.h1_count} <h1>"))
    assert not bad, _report("pages without a title or without exactly one <h1> (role, page, problem)", bad)
