"""Posting, editing, deleting, reacting and featuring: every refusal, and nothing written on any of them."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from api.tests.conftest import API, closed_article, error_of, token_client
from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment, CommentRevision, Reaction, Thread
from discussions.tests.conftest import make_user
from moderation.models import HeatGuard
from posting import actions

pytestmark = pytest.mark.django_db


def send(client, method: str, url: str, data=None):
    body = json.dumps(data) if data is not None and not isinstance(data, str) else data
    return getattr(client, method)(url, body, content_type="application/json")


def comments_url(thread) -> str:
    return f"{API}/threads/{thread.pk}/comments"


def snapshot():
    """Everything a refused request must leave as it was."""
    return (
        list(Comment.objects.order_by("id").values()),
        list(Thread.objects.order_by("id").values()),
        Reaction.objects.count(),
        CommentRevision.objects.count(),
    )


# --- Posting --------------------------------------------------------------------------------------------


def test_post_a_comment_and_a_reply(as_alice, alice, thread, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(as_alice, "post", comments_url(thread), {"body": "  Good reporting.  "})
    assert response.status_code == 201
    body = response.json()
    assert body["body_html"] == "<p>Good reporting.</p>" and body["body"] == "Good reporting."
    assert body["author"]["username"] == "alice" and body["is_own"] is True and body["depth"] == 0
    # After commit: open queue pages are told, then the cache bumps, and one batch of effects
    # (posting.tasks): the heat guard counts the post, the live event goes out.
    assert [getattr(c, "func", c).__name__ for c in callbacks] == ["_publish_queue_change", "_committed"]
    assert HeatGuard.objects.get(thread=thread).posts == 1

    reply = send(as_alice, "post", comments_url(thread), {"body": "And more", "parent_id": body["id"]})
    assert reply.status_code == 201
    assert reply.json()["parent_id"] == body["id"] and reply.json()["root_id"] == body["id"]
    assert Thread.objects.get(pk=thread.pk).comment_count == 2


def test_post_by_article_slug(as_alice, article):
    response = send(as_alice, "post", f"{API}/articles/{article.slug}/thread/comments", {"body": "Hi"})
    assert response.status_code == 201
    assert Comment.objects.get().thread.article_id == article.pk


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty"), ("   \n\t  ", "empty"), ("x" * 5001, "too_long")],
    ids=["empty", "whitespace", "oversized"],
)
def test_empty_and_oversized_bodies_are_refused(as_alice, thread, body, code):
    before = snapshot()
    response = send(as_alice, "post", comments_url(thread), {"body": body})
    assert response.status_code == 400
    assert error_of(response)["code"] == code
    assert snapshot() == before


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"body": None},
        {"body": 42},
        {"body": "Hi", "parent_id": "first"},
        {"body": "Hi", "parent": 1},
        {"body": "Hi", "client_key": "k" * 65},
        {"body": "Hi", "client_key": ""},
        ["Hi"],
    ],
    ids=["missing", "null", "number", "bad-parent-id", "unknown-field", "long-key", "empty-key", "list"],
)
def test_malformed_posts_are_validation_errors(as_alice, thread, data):
    before = snapshot()
    response = send(as_alice, "post", comments_url(thread), data)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid" and error["details"]
    assert snapshot() == before


def test_a_request_body_over_djangos_limit_is_413(settings, as_alice, thread):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = snapshot()
    response = send(as_alice, "post", comments_url(thread), {"body": "x" * 20_000})
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert snapshot() == before


def test_unparseable_json_is_a_bad_request(as_alice, thread):
    response = send(as_alice, "post", comments_url(thread), "{not json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_reply_to_missing_deleted_or_foreign_parent(as_alice, alice, bob, thread, article):
    before = snapshot()
    response = send(as_alice, "post", comments_url(thread), {"body": "Hi", "parent_id": 999999})
    assert response.status_code == 404
    assert error_of(response)["code"] == "parent_not_found"
    assert snapshot() == before

    gone = actions.post_comment(bob, thread, "Soon deleted")
    actions.delete_own_comment(bob, gone)
    other = actions.post_comment(bob, services.thread_for_article(build_article("Elsewhere")), "Elsewhere")
    for parent in (gone, other):
        before = snapshot()
        response = send(as_alice, "post", comments_url(thread), {"body": "Hi", "parent_id": parent.pk})
        assert response.status_code == 409
        assert error_of(response)["code"] == "bad_parent"
        assert snapshot() == before


def test_missing_thread_is_404(as_alice):
    response = send(as_alice, "post", f"{API}/threads/999999/comments", {"body": "Hi"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "thread_not_found"


def test_closed_article_refuses_with_the_reason_and_creates_nothing(as_alice):
    article = closed_article()
    before = snapshot()
    response = send(as_alice, "post", f"{API}/articles/{article.slug}/thread/comments", {"body": "Hi"})
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "closed"
    assert snapshot() == before  # not even the article's thread, which posting would have created
    assert error["message"] == services.commenting_state(services.thread_for_article(article)).reason


def test_unverified_accounts_cannot_post(thread):
    client = token_client(make_user("newcomer", verified=False))
    response = send(client, "post", comments_url(thread), {"body": "Hi"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "unverified"
    assert not Comment.objects.exists()


def test_double_submit_with_the_same_client_key_makes_one_comment(as_alice, thread):
    data = {"body": "Posted twice by a flaky network", "client_key": "3f0c1b6e-retry"}
    first = send(as_alice, "post", comments_url(thread), data)
    second = send(as_alice, "post", comments_url(thread), data)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Comment.objects.count() == 1
    assert Thread.objects.get(pk=thread.pk).comment_count == 1
    # The key belongs to its author: another reader's same key is a new comment.
    other = send(token_client(make_user("carol")), "post", comments_url(thread), data)
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


# --- Editing and deleting ---------------------------------------------------------------------------------


def test_edit_own_comment(as_alice, alice, thread):
    comment = actions.post_comment(alice, thread, "Frist")
    response = send(as_alice, "patch", f"{API}/comments/{comment.pk}", {"body": "First"})
    assert response.status_code == 200
    assert response.json()["body_html"] == "<p>First</p>" and response.json()["edited_at"]
    assert CommentRevision.objects.get().body == "Frist"


def test_edit_refusals(as_alice, alice, bob, thread):
    mine = actions.post_comment(alice, thread, "Mine")
    theirs = actions.post_comment(bob, thread, "Theirs")
    old = actions.post_comment(alice, thread, "Old")
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    deleted = actions.post_comment(alice, thread, "Deleted")
    actions.delete_own_comment(alice, deleted)
    cases = [
        (theirs, {"body": "Hijack"}, 403, "forbidden"),
        (old, {"body": "Too late"}, 409, "edit_window"),
        (deleted, {"body": "Back"}, 409, "gone"),
        (mine, {"body": "   "}, 400, "empty"),
        (mine, {"body": "x" * 5001}, 400, "too_long"),
    ]
    for comment, data, status, code in cases:
        before = snapshot()
        response = send(as_alice, "patch", f"{API}/comments/{comment.pk}", data)
        assert response.status_code == status, (code, response.content)
        assert error_of(response)["code"] == code
        assert snapshot() == before
    response = send(as_alice, "patch", f"{API}/comments/{mine.pk}", {})
    assert response.status_code == 422
    assert send(as_alice, "patch", f"{API}/comments/999999", {"body": "x"}).status_code == 404


def test_delete_own_comment_leaves_a_tombstone(as_alice, alice, bob, thread):
    comment = actions.post_comment(alice, thread, "Regretted")
    actions.post_comment(bob, thread, "Reply", comment)
    response = as_alice.delete(f"{API}/comments/{comment.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "deleted" and body["body_html"] == "" and body["author"] is None
    assert Thread.objects.get(pk=thread.pk).comment_count == 1
    assert as_alice.delete(f"{API}/comments/{comment.pk}").status_code == 200  # twice is harmless


def test_cannot_delete_someone_elses_comment(as_alice, bob, thread):
    theirs = actions.post_comment(bob, thread, "Theirs")
    before = snapshot()
    response = as_alice.delete(f"{API}/comments/{theirs.pk}")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert snapshot() == before
    assert as_alice.delete(f"{API}/comments/999999").status_code == 404


# --- Reactions --------------------------------------------------------------------------------------------


def test_react_once_then_409_then_unreact(as_alice, bob, thread):
    comment = actions.post_comment(bob, thread, "Worth respecting")
    url = f"{API}/comments/{comment.pk}/reaction"
    first = as_alice.post(url)
    assert first.status_code == 201
    assert first.json()["reaction_count"] == 1 and first.json()["reacted"] is True
    before = snapshot()
    second = as_alice.post(url)
    assert second.status_code == 409
    assert error_of(second)["code"] == "already_reacted"
    assert snapshot() == before
    undo = as_alice.delete(url)
    assert undo.status_code == 200
    assert undo.json()["reaction_count"] == 0 and undo.json()["reacted"] is False
    assert not Reaction.objects.exists()


def test_reaction_refusals(as_alice, alice, bob, thread):
    own = actions.post_comment(alice, thread, "Mine")
    gone = actions.post_comment(bob, thread, "Gone")
    actions.delete_own_comment(bob, gone)
    for comment, code in [(own, "own_comment"), (gone, "gone")]:
        response = as_alice.post(f"{API}/comments/{comment.pk}/reaction")
        assert response.status_code == 409
        assert error_of(response)["code"] == code
    assert as_alice.post(f"{API}/comments/999999/reaction").status_code == 404
    assert not Reaction.objects.exists()


# --- Featuring --------------------------------------------------------------------------------------------


def test_featuring_needs_the_permission(as_alice, alice, bob, thread):
    comment = actions.post_comment(bob, thread, "Insightful")
    url = f"{API}/comments/{comment.pk}/featured"
    response = as_alice.put(url)
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert not Comment.objects.get(pk=comment.pk).is_featured

    alice.user_permissions.add(Permission.objects.get(codename="feature_comment"))
    editor = token_client(type(alice).objects.get(pk=alice.pk))
    assert editor.put(url).json()["is_featured"] is True
    page = editor.get(f"{API}/threads/{thread.pk}/comments").json()
    assert [c["id"] for c in page["featured"]] == [comment.pk]
    assert editor.delete(url).json()["is_featured"] is False
    assert not Comment.objects.get(pk=comment.pk).is_featured

    actions.delete_own_comment(bob, comment)
    response = editor.put(url)
    assert response.status_code == 409 and error_of(response)["code"] == "gone"


# --- Authentication ---------------------------------------------------------------------------------------


def _write_requests(thread, comment):
    return [
        ("post", comments_url(thread), {"body": "Hi"}),
        ("post", f"{API}/articles/{thread.article.slug}/thread/comments", {"body": "Hi"}),
        ("patch", f"{API}/comments/{comment.pk}", {"body": "Edited"}),
        ("delete", f"{API}/comments/{comment.pk}", None),
        ("post", f"{API}/comments/{comment.pk}/reaction", None),
        ("delete", f"{API}/comments/{comment.pk}/reaction", None),
        ("put", f"{API}/comments/{comment.pk}/featured", None),
        ("delete", f"{API}/comments/{comment.pk}/featured", None),
    ]


def test_every_write_needs_authentication(anon, alice, thread):
    comment = actions.post_comment(alice, thread, "Hello")
    before = snapshot()
    for method, url, data in _write_requests(thread, comment):
        response = send(anon, method, url, data)
        assert response.status_code == 401, (method, url)
        assert error_of(response)["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == "Bearer"
    assert snapshot() == before
