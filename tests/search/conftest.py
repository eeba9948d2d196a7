import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """The world fixture hashes ten passwords; a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(params=["fulltext", "simple"])
def backend(request, settings, db):
    """Each test runs on both search backends: full text (PostgreSQL; skipped on SQLite, a failure
    under REQUIRE_SERVICES=1) and the simple icontains fallback (forced with SEARCH_BACKEND)."""
    if request.param == "fulltext":
        request.getfixturevalue("require_postgres")
    settings.SEARCH_BACKEND = request.param
    return request.param


@pytest.fixture
def pg(require_postgres):
    """PostgreSQL-only behaviour (full-text matching)."""
