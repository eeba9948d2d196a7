"""Every URL of the project x every role -> the expected status.

A URL added without a Case in its app's tests/<app>/access.py makes
``test_every_url_has_an_expectation`` fail."""
from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import ROLES, Case

IGNORED_NAMESPACES = {"admin"}  # Django's admin has its own staff/superuser checks


def _url_names(patterns=None, namespace: str | None = None) -> set[str]:
    names: set[str] = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            if ns in IGNORED_NAMESPACES:
                continue
            names |= _url_names(entry.url_patterns, full)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}:{entry.name}" if namespace else entry.name)
    return names


def _all_cases(world) -> list[Case]:
    cases: list[Case] = []
    for app in ["tests.core", *[f"tests.{a.rsplit('.', 1)[-1]}" for a in settings.PORTAL_APPS]]:
        if find_spec(f"{app}.access") is None:
            continue
        module = import_module(f"{app}.access")
        cases.extend(module.cases(world))
    return cases


def test_every_url_has_an_expectation(world):
    covered = {c.name for c in _all_cases(world)}
    missing = sorted(_url_names() - covered)
    assert missing == [], f"URLs without an access-matrix expectation: {missing}"


def test_cases_name_real_urls(world):
    unknown = sorted({c.name for c in _all_cases(world)} - _url_names())
    assert unknown == []


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(world, role):
    client = world.client(role)
    mismatches = []
    for case in _all_cases(world):
        url = reverse(case.name, kwargs=case.kwargs or None) + (f"?{case.query}" if case.query else "")
        method = getattr(client, case.method)
        kwargs = {"data": case.data} if case.data is not None else {}
        if case.method != "get" and case.name.startswith("api:"):
            kwargs["content_type"] = "application/json"
        response = method(url, **kwargs)
        expected = case.expect[role]
        if response.status_code != expected:
            mismatches.append(f"{case.method.upper()} {url}: expected {expected}, got {response.status_code}")
    assert mismatches == [], f"role {role}:\n" + "\n".join(mismatches)
