"""The OpenAPI document describes every endpoint, and the docs page renders."""

import json

import pytest

from api.schemas import Sort
from api.tests.conftest import API
from discussions.selectors import SORTS

pytestmark = pytest.mark.django_db

EXPECTED = {
    "/api/v1/csrf": {"get"},
    "/api/v1/me": {"get"},
    "/api/v1/threads": {"get"},
    "/api/v1/threads/{thread_id}": {"get"},
    "/api/v1/threads/{thread_id}/comments": {"get", "post"},
    "/api/v1/articles/{slug}/thread": {"get"},
    "/api/v1/articles/{slug}/thread/comments": {"get", "post"},
    "/api/v1/threads/{thread_id}/comments/check": {"post"},
    "/api/v1/articles/{slug}/thread/comments/check": {"post"},
    "/api/v1/comments/{comment_id}": {"get", "patch", "delete"},
    "/api/v1/comments/{comment_id}/replies": {"get"},
    "/api/v1/comments/{comment_id}/reaction": {"post", "delete"},
    "/api/v1/comments/{comment_id}/featured": {"put", "delete"},
}


def test_openapi_document_lists_every_path(anon):
    response = anon.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Agora API"
    assert {path: set(ops) for path, ops in document["paths"].items()} == EXPECTED
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}
    post = document["paths"]["/api/v1/threads/{thread_id}/comments"]["post"]
    assert {"200", "201", "401", "403", "409", "422", "429"} <= set(post["responses"])
    assert post["security"]
    error_schema = post["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert error_schema.endswith("/ErrorOut")


def test_docs_page_renders(anon):
    response = anon.get(f"{API}/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_sorts_match_the_selectors():
    assert set(Sort.__args__) == set(SORTS)
