import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """The world fixture hashes ten passwords; PBKDF2 makes that seconds per test on a busy box."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
