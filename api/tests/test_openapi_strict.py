"""The OpenAPI document is no looser than the server: what it calls valid is accepted, what the server
refuses it calls invalid.  Found with schemathesis against /api/v1/openapi.json (four places: comment
text on posts and on edits, booleans taken for integers, and comment cursors)."""

import json
import re
import sys

import pytest

from api.tests.conftest import API, error_of, token_client
from discussions.models import Comment
from posting import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(anon) -> dict:
    return json.loads(anon.get(f"{API}/openapi.json").content)


def body_schema(document: dict, path: str, method: str) -> dict:
    ref = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]["body"]


def query_schema(document: dict, path: str, name: str) -> dict:
    [parameter] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    return parameter["schema"]


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/v1/threads/{thread_id}/comments", "post"), ("/api/v1/comments/{comment_id}", "patch")],
)
def test_comment_text_is_described_as_the_services_take_it(document, path, method):
    text = body_schema(document, path, method)
    assert (text["minLength"], text["maxLength"]) == (1, 5000)
    pattern = re.compile(text["pattern"])
    for code in range(sys.maxunicode + 1):
        if not 0xD800 <= code <= 0xDFFF:  # no lone surrogates: refused at the edge
            character = chr(code)
            assert bool(pattern.search(character)) == bool(character.strip()), hex(code)


@pytest.mark.parametrize("field", ["parent_id", "nudge_id"])
def test_booleans_are_not_integers(alice, thread, field):
    response = token_client(alice).post(
        f"{API}/threads/{thread.pk}/comments", {"body": "Hello", field: True}, content_type="application/json"
    )
    assert response.status_code == 422 and error_of(response)["code"] == "invalid"
    assert not Comment.objects.exists()
    check = token_client(alice).post(
        f"{API}/threads/{thread.pk}/comments/check", {"body": "Hi", "nudge_id": False}, "application/json"
    )
    assert check.status_code == 422


def test_comment_cursors_have_the_documented_form(document, anon, alice, thread):
    cursor = query_schema(document, "/api/v1/threads/{thread_id}/comments", "cursor")
    [pattern] = [option["pattern"] for option in cursor["anyOf"] if option["type"] == "string"]
    for i in range(3):
        actions.post_comment(alice, thread, f"Comment {i}")
    for sort in ("newest", "oldest", "reacted"):
        page = anon.get(f"{API}/threads/{thread.pk}/comments", {"sort": sort, "limit": 1}).json()
        assert re.fullmatch(pattern, page["next_cursor"])
        following = anon.get(
            f"{API}/threads/{thread.pk}/comments", {"sort": sort, "limit": 1, "cursor": page["next_cursor"]}
        )
        assert following.status_code == 200 and following.json()["comments"]
    malformed = anon.get(f"{API}/threads/{thread.pk}/comments", {"cursor": "2024-01-01T00:00:00~1"})
    assert malformed.status_code == 422
