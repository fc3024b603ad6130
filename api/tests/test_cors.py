"""CORS for the allowed origins only, and JSON errors for whatever Django answers under /api/."""

import pytest

from api.tests.conftest import API, error_of

pytestmark = pytest.mark.django_db

APP = "https://app.example.org"


@pytest.fixture(autouse=True)
def allowed_origin(settings):
    settings.API_CORS_ORIGINS = [APP, "http://localhost:5173"]


def preflight(client, origin: str, method: str = "POST"):
    return client.options(
        f"{API}/threads/1/comments",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, x-csrftoken",
        },
    )


def test_preflight_from_an_allowed_origin(anon):
    response = preflight(anon, APP)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert {"POST", "PATCH", "PUT", "DELETE"} <= {
        m.strip() for m in response["Access-Control-Allow-Methods"].split(",")
    }
    headers = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-csrftoken"} <= headers
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Origin" in response["Vary"]


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.example.org.evil.example", "null"])
def test_preflight_from_any_other_origin_is_refused(anon, origin):
    response = preflight(anon, origin)
    assert response.status_code == 403
    assert error_of(response)["code"] == "cors_forbidden"
    assert not response.has_header("Access-Control-Allow-Origin")
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_responses_echo_only_an_allowed_origin(anon, thread):
    allowed = anon.get(f"{API}/threads/{thread.pk}", headers={"Origin": "http://localhost:5173"})
    assert allowed["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert allowed["Access-Control-Allow-Credentials"] == "true"
    assert "Retry-After" in allowed["Access-Control-Expose-Headers"]
    assert "Origin" in allowed["Vary"]
    other = anon.get(f"{API}/threads/{thread.pk}", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200 and not other.has_header("Access-Control-Allow-Origin")
    assert "Origin" in other["Vary"]
    # Errors carry the headers too, so a browser app can read them.
    missing = anon.get(f"{API}/threads/999999", headers={"Origin": APP})
    assert missing.status_code == 404 and missing["Access-Control-Allow-Origin"] == APP


def test_no_cors_outside_the_api(anon):
    response = anon.get("/robots.txt", headers={"Origin": APP})
    assert not response.has_header("Access-Control-Allow-Origin")
    response = anon.options("/robots.txt", headers={"Origin": APP, "Access-Control-Request-Method": "POST"})
    assert not response.has_header("Access-Control-Allow-Origin")


def test_no_origins_allowed_by_default(anon, settings):
    settings.API_CORS_ORIGINS = []
    assert preflight(anon, APP).status_code == 403


def test_unknown_paths_and_methods_get_the_json_error_body(anon):
    missing = anon.get(f"{API}/no-such-thing")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    wrong = anon.put(f"{API}/threads")
    assert wrong.status_code == 405 and error_of(wrong)["code"] == "method_not_allowed"
    assert "GET" in wrong["Allow"]
