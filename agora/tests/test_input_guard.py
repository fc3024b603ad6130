"""Crafted input is refused at the edge with a clear 400, never a 500, and never stored.

NUL characters cannot be stored in PostgreSQL text nor used in its lookups, and lone surrogates
cannot be encoded at all: agora.middleware.input refuses any request holding one, in its path,
query, form fields or JSON body.  Cursors that name an impossible date are handled where cursors
are read.  These run on SQLite and on PostgreSQL (DATABASE_URL), where the 500s were.
"""

import json

import pytest

from api.tests.conftest import API, error_of, token_client
from discussions.models import Comment
from posting import actions

pytestmark = pytest.mark.django_db

NUL_PLACEHOLDER = "\x000\x00"  # the formatter's own placeholder shape


def assert_refused_page(response) -> None:
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    assert "cannot be used" in response.content.decode()


def test_a_comment_holding_the_formatters_placeholder_is_refused_clearly(client, alice, thread):
    client.force_login(alice)
    response = client.post(
        f"/discussions/threads/{thread.pk}/post/", {"body": f"Look {NUL_PLACEHOLDER} here"}
    )
    assert_refused_page(response)
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "raw_body",
    [
        '{"body": "a \\u0000 b"}',  # NUL
        '{"body": "a \\ud800 b"}',  # a lone surrogate
        '{"body": "fine", "client_key": "\\udfff"}',
    ],
)
def test_api_bodies_with_nul_or_lone_surrogates_are_refused(alice, thread, raw_body):
    response = token_client(alice).post(f"{API}/threads/{thread.pk}/comments", raw_body, "application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_characters" and "cannot be used" in error["message"]
    assert not Comment.objects.exists()


def test_paired_surrogates_in_json_are_ordinary_characters(alice, thread):
    body = json.dumps({"body": "Well said \U0001f44f"})  # json.dumps escapes it as a surrogate pair
    assert "\\ud83d\\udc4f" in body
    response = token_client(alice).post(f"{API}/threads/{thread.pk}/comments", body, "application/json")
    assert response.status_code == 201
    assert Comment.objects.get().body == "Well said \U0001f44f"


@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=harbour%00",
        "/accounts/people/alice%00/",
        "/embed/thread/?url=http://127.0.0.1:8001/news/a%00b",
        "/?before=2024-01-01T00:00:00%00~1",
    ],
)
def test_nul_in_page_addresses_and_queries_is_refused(client, alice, url):
    assert_refused_page(client.get(url))


@pytest.mark.parametrize("url", [f"{API}/articles/harbour%00/thread", f"{API}/threads?cursor=1%00"])
def test_nul_in_api_addresses_and_queries_is_refused(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_characters"


def test_nul_in_a_form_field_name_is_refused(client, alice, thread):
    client.force_login(alice)
    response = client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Hello", "x\x00": "1"})
    assert_refused_page(response)
    assert not Comment.objects.exists()


@pytest.mark.parametrize("cursor", ["2024-02-30T10:00:00+00:00~5", "2024-13-01T10:00:00~5", "9999-99-99~1"])
def test_cursors_naming_impossible_dates_show_the_first_page(client, alice, article, thread, cursor):
    actions.post_comment(alice, thread, "First")
    page = client.get(article.get_absolute_url(), {"comments_after": cursor})
    assert page.status_code == 200 and "First" in page.content.decode()
    listing = client.get("/", {"before": cursor})
    assert listing.status_code == 200 and article.headline in listing.content.decode()


@pytest.mark.parametrize("cursor", ["2024-02-30T10:00:00+00:00~5", "garbage", "7~x", "1" * 18 + "~1"])
def test_the_api_refuses_a_cursor_it_did_not_give(client, thread, cursor):
    """Cursors are whole numbers (discussions.selectors.CURSOR): anything else is a 422, and no
    well-formed one can name an impossible date."""
    response = client.get(f"{API}/threads/{thread.pk}/comments", {"cursor": cursor})
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid"


def test_numbers_in_other_scripts_are_not_ids(client, asgi_server, alice, thread):
    """Ids are read with isdecimal(): "²".isdigit() is true, but int("²") fails."""
    client.force_login(alice)
    reply = client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Hi", "parent": "²"})
    assert reply.status_code == 404 and not Comment.objects.exists()
    embedded = client.post(f"/embed/discussions/threads/{thread.pk}/post/", {"body": "Hi", "parent": "²"})
    assert embedded.status_code == 404 and not Comment.objects.exists()

    # The live stream reads its ?after= the same way (it is served by the ASGI server).
    stream = asgi_server.stream(f"/discussions/threads/{thread.pk}/events/?after=%C2%B2")
    assert stream.status == 200
    stream.close()
