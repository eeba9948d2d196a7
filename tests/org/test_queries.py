"""Pages and list endpoints use a number of queries that does not grow with the data."""
import pytest
from django.urls import reverse

from apps.core.roles import Role
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

URLS = [
    reverse("org:person-list"),
    reverse("org:direct-reports"),
    reverse("org:chart"),
    reverse("org:team-list"),
    reverse("dashboard:home"),
    "/api/v1/people/",
    "/api/v1/teams/",
    "/api/v1/direct-reports/",
]


def grow_org(world, n: int) -> None:
    teams = list(world.teams.values())
    managers = [world.tl, world.tl2, world.em]
    for i in range(n):
        PersonFactory(team=teams[i % len(teams)], manager=managers[i % len(managers)], role=Role.ENGINEER)


@pytest.mark.parametrize("url", URLS)
def test_query_count_is_flat_from_10_to_500_people(world, django_assert_max_num_queries, url):
    client = world.client("cto")
    grow_org(world, 10)
    with django_assert_max_num_queries(40) as small:
        assert client.get(url).status_code == 200
    grow_org(world, 490)
    with django_assert_max_num_queries(len(small.captured_queries)) :
        assert client.get(url).status_code == 200


def test_team_page_query_count_is_flat(world, django_assert_max_num_queries):
    client = world.client("em")
    url = reverse("org:team-detail", args=["alpha"])
    grow_org(world, 10)
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    grow_org(world, 490)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
