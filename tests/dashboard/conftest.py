import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The spend panel caches its cost aggregates (keyed by the data's version): start clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
