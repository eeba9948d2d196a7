import pytest

from tests.reviews.scenario import build


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The shared ``world`` fixture hashes ten passwords with the production hasher (~1 s each
    on the shared CI box); these tests never check a password, so hash them cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sc(world):
    """The running-cycle scenario (manager-review stage) on the ``world`` org."""
    return build(world)
