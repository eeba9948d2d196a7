"""The dashboard as JSON, one endpoint per role view, for other internal tools."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core import services as core_services
from tests.dashboard.data import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(world):
    return build(world)


def token_client(role: str, name: str) -> APIClient:
    account = core_services.service_account_create(name=name, role=role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {core_services.api_token_issue(service_account=account)[1]}")
    return client


def test_cto_view_as_json(world, known):
    response = world.client("cto").get(reverse("api:dashboard-cto"))
    assert response.status_code == 200
    body = response.json()
    assert body["view"] == "cto"
    panels = {p["key"]: p for p in body["panels"]}
    assert list(panels) == ["spend", "anomalies", "overdue_actions", "week_syncs", "review_cycles",
                            "security_completion", "evidence", "initiatives", "infra_requests", "renewals",
                            "tech_monthly", "ama"]
    assert panels["anomalies"]["data"]["items"][0]["impact"] == {"amount": "800.00", "currency": "USD"}  # no float
    assert panels["spend"]["link"] == reverse("costs:overview")
    assert panels["overdue_actions"]["data"]["owners"][0]["owner"] == "Em Person"
    assert panels["ama"]["data"]["questions"][0] == {"text": "Why do we rotate keys?", "votes": 3, "answered": False}


def test_a_person_reads_their_own_role_view_only(world, known):
    assert world.client("em").get(reverse("api:dashboard-em")).status_code == 200
    assert world.client("em").get(reverse("api:dashboard-cto")).status_code == 403
    assert world.client("engineer").get(reverse("api:dashboard-em")).status_code == 403
    body = world.client("engineer").get(reverse("api:dashboard-engineer")).json()
    assert [p["key"] for p in body["panels"]] == ["my_actions", "trainings_due", "bulletins", "talks"]


def test_service_token_reads_the_view_of_its_role(world, known):
    assert world.client("service").get(reverse("api:dashboard-cto")).status_code == 403  # plain service
    em_tool = token_client("em", "em-tool")
    assert em_tool.get(reverse("api:dashboard-em")).status_code == 200
    assert em_tool.get(reverse("api:dashboard-cto")).status_code == 403
    cto_tool = token_client("cto", "cto-tool")
    body = cto_tool.get(reverse("api:dashboard-cto")).json()
    keys = [p["key"] for p in body["panels"]]
    # A CTO-role service account has no person: the apps' selectors keep people data from it
    # (no review counts, no security management figures) while costs and the portfolio show.
    assert "spend" in keys and "initiatives" in keys
    assert "review_cycles" not in keys and "security_completion" not in keys


def test_without_credentials_401(world):
    assert APIClient().get(reverse("api:dashboard-cto")).status_code == 401


def test_every_view_is_in_the_openapi_schema(world):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for view in ("cto", "em", "tl", "pm", "engineer", "finance", "hr"):
        operation = schema["paths"][f"/api/v1/dashboard/{view}/"]["get"]
        assert set(operation["responses"]) >= {"200", "403"}
