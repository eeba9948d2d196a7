"""Schemathesis against our own OpenAPI schema, in-process (WSGI), with seeded data and a
token per role: every operation, FUZZ_EXAMPLES generated cases each (CI: 100).

Checked: no 5xx ever; JSON bodies and content types match the schema for documented
statuses; requests without or with bad credentials get 401."""
from __future__ import annotations

import itertools
import json
import os
import re

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from apps.core import services as core_services

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100" if os.environ.get("CI") else "20"))
ROLES = ("cto", "em", "tl", "pm", "engineer", "finance", "hr", "service")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _raw_schema() -> dict:
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


@pytest.fixture
def api_schema(db):
    """The schema, called in-process through our WSGI app. Like Django's own test client, keep
    the per-request connection housekeeping off: it would close the test's open transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    schema = schemathesis.openapi.from_dict(_raw_schema())
    schema.app = get_wsgi_application()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


_turn = itertools.count()
# The operations split in three groups by path, so pytest-xdist can fuzz them in parallel.
GROUPS = {
    "a_to_i": r"^/api/v1/[a-i]",
    "j_to_r": r"^/api/v1/[j-r]",
    "s_to_z": r"^/api/v1/[s-z]",
}


@pytest.fixture
def role_tokens(world) -> dict[str, str]:
    tokens = {"service": world.token}
    for role in ROLES[:-1]:
        account = core_services.service_account_create(name=f"fuzz-{role}", role=role)
        tokens[role] = core_services.api_token_issue(service_account=account)[1]
    return tokens


def _fuzz_test(path_regex: str):
    @schemathesis.pytest.from_fixture("api_schema").include(path_regex=path_regex).parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def test(case, role_tokens):
        # Each generated case is sent as the next role in turn, so every role meets every
        # operation while each operation still gets FUZZ_EXAMPLES cases in all.
        role = ROLES[next(_turn) % len(ROLES)]
        case.call_and_validate(headers={"Authorization": f"Bearer {role_tokens[role]}"}, checks=CHECKS)

    return test


test_api_never_fails_a_to_i = _fuzz_test(GROUPS["a_to_i"])
test_api_never_fails_j_to_r = _fuzz_test(GROUPS["j_to_r"])
test_api_never_fails_s_to_z = _fuzz_test(GROUPS["s_to_z"])


def test_fuzz_groups_cover_every_operation():
    paths = [p for p in _raw_schema()["paths"] if p.startswith("/api/v1/")]
    uncovered = [p for p in paths if not any(re.match(rx, p) for rx in GROUPS.values())]
    assert uncovered == []
    assert len(paths) > 50


def test_every_operation_refuses_missing_or_bad_credentials(db, client):
    schema = _raw_schema()
    failures = []
    for path, operations in schema["paths"].items():
        # A value each path converter accepts (control codes look like 5.1), so the request
        # reaches the API's authentication rather than a URL 404.
        url = re.sub(r"\{([^}]+)\}", lambda m: "5.1" if m.group(1) == "code" else "1", path)
        for method in operations:
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer ctop_wrong"}, {"HTTP_AUTHORIZATION": "Basic Zm9vOmJhcg=="}):
                response = getattr(client, method)(url, content_type="application/json", **headers)
                if response.status_code != 401:
                    failures.append(f"{method.upper()} {url} {headers or 'no credentials'}: {response.status_code}")
    assert failures == []
