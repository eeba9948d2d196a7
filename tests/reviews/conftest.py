import pytest

from tests.reviews.scenario import build


@pytest.fixture
def sc(world):
    """The running-cycle scenario (manager-review stage) on the ``world`` org."""
    return build(world)
