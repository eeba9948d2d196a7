from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.access import get_actor
from tests.knowledge.factories import SessionFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The world's ten logins hash passwords; PBKDF2 makes that seconds per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def actor(world):
    """``actor("cto")``: the Actor of a world role (fresh each call, no cached host flag)."""

    def make(key: str):
        user = world.users[key]
        if hasattr(user, "_portal_actor"):
            delattr(user, "_portal_actor")
        return get_actor(user)

    return make


@pytest.fixture
def hosted(world):
    """An upcoming 60-minute session hosted by the TL."""
    return SessionFactory(title="Tech Monthly — December", host=world.tl, duration_minutes=60,
                          starts_at=timezone.now() + timedelta(days=7))
