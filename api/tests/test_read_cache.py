"""Anonymous thread reads come from the cache until the thread changes, and never go stale after a change."""

import pytest
from django.test import Client

from api.tests.conftest import API, token_client
from discussions import services
from discussions.models import CommentingPolicy
from discussions.tests.conftest import make_user
from moderation import services as moderation
from moderation.commenting import set_commenting_status
from posting import actions

# Invalidation runs after commit (discussions.events), so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def first_page(client: Client, thread):
    return client.get(f"{API}/threads/{thread.pk}/comments")


def bodies(response) -> list[str]:
    return [node["body_html"] for node in response.json()["comments"]]


def test_an_anonymous_first_page_is_served_from_the_cache_until_a_comment_arrives(anon, alice, thread):
    actions.post_comment(alice, thread, "First")
    miss = first_page(anon, thread)
    hit = first_page(anon, thread)
    assert (miss["X-Api-Cache"], hit["X-Api-Cache"]) == ("miss", "hit")
    assert hit.content == miss.content and hit["Content-Type"] == miss["Content-Type"]

    actions.post_comment(alice, thread, "Second")
    fresh = first_page(anon, thread)
    assert fresh["X-Api-Cache"] == "miss"
    assert bodies(fresh) == ["<p>Second</p>", "<p>First</p>"]


def test_reactions_edits_and_takedowns_reach_the_next_anonymous_read(anon, alice, bob, thread):
    comment = actions.post_comment(alice, thread, "Worth reading")
    first_page(anon, thread)
    services.react(bob, comment)
    assert first_page(anon, thread).json()["comments"][0]["reaction_count"] == 1

    actions.edit_comment(alice, comment, "Worth reading twice")
    assert bodies(first_page(anon, thread)) == ["<p>Worth reading twice</p>"]

    moderator = make_user("mod", role="Moderators")
    moderation.remove(moderator, comment, "Off-topic")
    response = first_page(anon, thread)
    assert response["X-Api-Cache"] == "miss"
    assert "Worth reading twice" not in response.content.decode()


def test_replies_pages_are_cached_per_thread_and_refreshed_by_a_new_reply(anon, alice, bob, thread):
    root = actions.post_comment(alice, thread, "Root")
    actions.post_comment(bob, thread, "Reply one", parent=root)
    url = f"{API}/comments/{root.pk}/replies"
    assert anon.get(url)["X-Api-Cache"] == "miss"
    assert anon.get(url)["X-Api-Cache"] == "hit"
    actions.post_comment(bob, thread, "Reply two", parent=root)
    response = anon.get(url)
    assert response["X-Api-Cache"] == "miss"
    assert "Reply two" in response.content.decode()


def test_closing_the_article_shows_in_the_next_anonymous_read(anon, alice, thread):
    first_page(anon, thread)
    editor = make_user("editor", role="Editors")
    set_commenting_status(editor, thread.article, CommentingPolicy.Status.CLOSED, notice="Back tomorrow.")
    commenting = first_page(anon, thread).json()["thread"]["commenting"]
    assert commenting["open"] is False and "Back tomorrow." in commenting["reason"]


def test_readers_who_may_be_logged_in_always_get_a_fresh_response(alice, thread):
    actions.post_comment(alice, thread, "Hello")
    with_token = token_client(alice)
    with_session = Client()
    with_session.force_login(alice)
    for client in (with_token, with_session):
        for _ in range(2):
            response = first_page(client, thread)
            assert response.status_code == 200 and "X-Api-Cache" not in response


def test_no_read_cache_when_the_page_cache_is_off(anon, alice, thread, settings):
    settings.PAGE_CACHE_SECONDS = 0
    actions.post_comment(alice, thread, "Hello")
    assert "X-Api-Cache" not in first_page(anon, thread)
    assert "X-Api-Cache" not in first_page(anon, thread)


def test_cached_reads_still_count_against_the_read_limit(anon, alice, thread, settings):
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "read": 2}
    actions.post_comment(alice, thread, "Hello")
    assert first_page(anon, thread).status_code == 200
    assert first_page(anon, thread)["X-Api-Cache"] == "hit"
    assert first_page(anon, thread).status_code == 429


def test_errors_are_not_cached(anon, thread):
    assert anon.get(f"{API}/threads/999999/comments").status_code == 404
    assert "X-Api-Cache" not in anon.get(f"{API}/threads/999999/comments")
    assert "X-Api-Cache" not in anon.get(f"{API}/comments/999999/replies")
