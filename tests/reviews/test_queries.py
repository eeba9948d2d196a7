"""The main list page and list endpoints cost the same number of queries at 3 and 40 rows."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.roles import Role
from apps.reviews import services
from tests.factories import PersonFactory
from tests.reviews.scenario import band, cto_actor, make_cycle, make_template, scores_for


def _org(world, n: int):
    cto = cto_actor(world)
    band(cto)
    for i in range(n):
        p = PersonFactory(full_name=f"Eng {i:02d}", email=f"eng{i}@example.com", role=Role.ENGINEER, manager=world.tl,
                          team=world.teams["alpha"], level="L3", location="local", country="PT")
        services.compensation_record_create(actor=cto, person=p, effective_date=date.today() - timedelta(days=30),
                                            base_salary=Decimal("60000") + i, currency="EUR")
    cycle = services.review_cycle_advance(actor=cto, cycle=make_cycle(cto, make_template(cto)))
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    for r in cycle.reviews.all()[:n]:
        services.review_manager_save(actor=cto, review=r, manager_assessment="ok", scores=scores_for(r, 3))
    return cycle


URLS = ["reviews:compensation-list", "api:compensation-record-list", "api:review-list", "api:raise-proposal-list",
        "reviews:home"]


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize("n", [3, 40])
def test_constant_queries(world, django_assert_max_num_queries, name, n):
    _org(world, n)
    client = world.client("em")
    client.get(reverse(name))  # warm the session/actor caches
    limit = {"reviews:compensation-list": 16, "api:compensation-record-list": 16, "api:review-list": 16,
             "api:raise-proposal-list": 14, "reviews:home": 14}[name]
    with django_assert_max_num_queries(limit):
        assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("n", [3, 40])
def test_cycle_page_and_calibration_constant_queries(world, django_assert_max_num_queries, n):
    cycle = _org(world, n)
    client = world.client("cto")
    for name in ("reviews:cycle-detail", "reviews:calibration"):
        client.get(reverse(name, args=[cycle.pk]))
        with django_assert_max_num_queries(22):
            assert client.get(reverse(name, args=[cycle.pk])).status_code == 200
