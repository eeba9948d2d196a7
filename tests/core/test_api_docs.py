import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_schema_documents_the_api_and_its_token_auth(world):
    response = world.client("service").get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A service account token (ctop_...).",
    }
    for path in ("/api/v1/people/", "/api/v1/people/{id}/", "/api/v1/teams/", "/api/v1/direct-reports/", "/api/v1/me/"):
        assert path in schema["paths"], path


def test_swagger_ui_is_served_from_our_own_static_files(world):
    html = world.client("cto").get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html


def test_no_template_loads_assets_from_another_host():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [str(p) for p in root.rglob("*.html") if re.search(r'(src|href)="(https?:)?//', p.read_text())]
    assert offenders == []
