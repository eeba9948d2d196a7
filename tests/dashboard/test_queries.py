"""The dashboard's query count is bounded and does not grow with the data: the same number of
queries for a small and a large data set, for every role's page and for the API."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.dashboard.data import build, grow

pytestmark = pytest.mark.django_db
BOUND = 60


def _queries(world, role: str, url: str) -> int:
    from apps.core.access import ACTOR_CACHE_ATTR

    client = world.client(role)
    client.get(url)  # warm: session, content types
    for user in world.users.values():  # a fresh actor, as in a real request
        user.__dict__.pop(ACTOR_CACHE_ATTR, None)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("role", "url_name"), [
    ("cto", "dashboard:home"), ("em", "dashboard:home"), ("tl", "dashboard:home"), ("pm", "dashboard:home"),
    ("engineer", "dashboard:home"), ("finance", "dashboard:home"), ("hr", "dashboard:home"),
    ("cto", "api:dashboard-cto"), ("em", "api:dashboard-em"),
])
def test_query_count_is_bounded_and_equal_for_small_and_large_data(world, role, url_name):
    from tests.factories import PersonFactory

    build(world)
    url = reverse(url_name)
    small = _queries(world, role, url)
    assert small <= BOUND

    grow(world, 25)
    for _ in range(60):
        PersonFactory(team=world.teams["alpha"], manager=world.tl)
    large = _queries(world, role, url)
    assert large == small, f"{role}: {small} queries with the small data set, {large} with the large one"
