import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """The world fixture hashes ten passwords; a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
