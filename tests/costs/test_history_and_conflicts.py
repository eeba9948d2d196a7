"""A team's budgets and tag rules outlive a delete attempt; a triage from a stale read is refused
(page: the ``_seen`` guard; API: ETag / If-Match), a fresh one goes through."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from apps.core.access import get_actor
from apps.core.views import CONFLICT_MESSAGE, SEEN_FIELD
from apps.costs import services
from apps.costs.models import AwsAccount, Budget, CostAnomaly, TagRule

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("what", ["budget", "tag rule"])
def test_a_team_with_budgets_or_tag_rules_cannot_be_deleted(world, what):
    beta = world.teams["beta"]
    if what == "budget":
        kept = Budget.objects.create(name="Beta cloud", scope="team", team=beta, amount=Decimal("100"), currency="USD")
    else:
        kept = TagRule.objects.create(tag_key="business_unit", tag_value="beta", team=beta)

    with pytest.raises(ProtectedError):
        beta.delete()

    assert type(kept).objects.filter(pk=kept.pk, team=beta).exists()


def test_an_account_with_budgets_cannot_be_deleted(world):
    account = AwsAccount.objects.create(account_id="123456789012", name="prod")
    budget = Budget.objects.create(name="Prod", scope="account", account=account, amount=Decimal("100"), currency="USD")

    with pytest.raises(ProtectedError):
        account.delete()

    assert Budget.objects.filter(pk=budget.pk, account=account).exists()


def _anomaly(world) -> CostAnomaly:
    return CostAnomaly.objects.create(date=date(2025, 2, 10), dimension="team", key="alpha", team=world.teams["alpha"],
                                      expected=Decimal("1"), actual=Decimal("9"), impact=Decimal("8"), currency="USD")


def test_the_triage_page_refuses_a_stale_save_and_a_second_save_goes_through(world):
    anomaly = _anomaly(world)
    client = world.client("em")
    url = reverse("costs:anomaly-detail", args=[anomaly.pk])
    seen = re.search(rf'name="{SEEN_FIELD}" value="([0-9a-f]+)"', client.get(url).content.decode()).group(1)
    services.cost_anomaly_triage(actor=get_actor(world.users["cto"]), anomaly=anomaly, status="resolved",
                                 note="Renewed the reservation.")

    stale = client.post(url, {"status": "acknowledged", "note": "", SEEN_FIELD: seen})

    assert stale.status_code == 200 and CONFLICT_MESSAGE in stale.content.decode().replace("&#x27;", "'")
    anomaly.refresh_from_db()
    assert (anomaly.status, anomaly.note) == ("resolved", "Renewed the reservation.")
    again = client.post(url, {"status": "acknowledged", "note": "",
                              SEEN_FIELD: stale.context["form"].data[SEEN_FIELD]})  # saving again, knowingly
    assert again.status_code == 302
    anomaly.refresh_from_db()
    assert anomaly.status == "acknowledged"


def test_the_triage_api_checks_if_match_and_answers_with_the_new_etag(world):
    anomaly = _anomaly(world)
    client = world.client("em")
    url = reverse("api:cost-anomaly-detail", args=[anomaly.pk])
    triage = reverse("api:cost-anomaly-triage", args=[anomaly.pk])
    etag = client.get(url)["ETag"]

    ok = client.post(triage, {"status": "acknowledged"}, content_type="application/json", HTTP_IF_MATCH=etag)
    stale = client.post(triage, {"status": "expected", "note": "Load test"}, content_type="application/json",
                        HTTP_IF_MATCH=etag)

    assert ok.status_code == 200 and ok["ETag"] == client.get(url)["ETag"] != etag
    assert (stale.status_code, stale.json()["etag"]) == (409, ok["ETag"])
    anomaly.refresh_from_db()
    assert (anomaly.status, anomaly.note) == ("acknowledged", "")
    assert client.put(url, {"status": "resolved"}, content_type="application/json").status_code == 405
