import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from apps.core.api_auth import TokenRateThrottle

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_pages_carry_a_csp_without_inline_scripts(world):
    response = world.client("cto").get("/")
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_api_docs_work_without_inline_script(world):
    client = world.client("cto")
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "Swagger UI page has no scripts"
    assert all("src=" in attrs and not body.strip() for attrs, body in scripts)


def test_api_is_throttled_per_token(world, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    from django.core.cache import cache

    cache.clear()
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {world.token}")
    statuses = [c.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Retry-After" in c.get("/api/v1/me/")
    # Another caller has its own budget.
    other = APIClient()
    other.force_authenticate(world.users["cto"])
    assert other.get("/api/v1/me/").status_code == 200
