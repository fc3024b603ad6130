"""The discussion of an article readers cannot see yet (embargoed or a draft) is not there for them.

Every page, action and stream of it answers exactly as for a thread or comment that does not exist:
no posting, no reacting, no headline in a title, nothing telling that the article exists.
Editors previewing the article keep their preview.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.conftest import API, token_client
from articles.models import Article
from discussions import services
from discussions.errors import CommentError
from discussions.models import Comment, Reaction, Thread
from discussions.tests.conftest import make_user
from posting import actions

pytestmark = pytest.mark.django_db
HEADLINE = "Merger talks collapse"
MISSING = 999_999


def hide(article: Article, how: str) -> None:
    """Pull a published article back: an embargo (published in the future) or a draft."""
    if how == "embargoed":
        Article.objects.filter(pk=article.pk).update(published_at=timezone.now() + timedelta(days=1))
    else:
        Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)


@pytest.fixture(params=["embargoed", "draft"])
def hidden(request, alice, bob):
    """A thread with a comment and a reply, whose article then stopped being public."""
    from articles.tests.conftest import build_article

    article = build_article(HEADLINE)
    thread = services.thread_for_article(article)
    root = actions.post_comment(alice, thread, "Posted while it was public")
    reply = actions.post_comment(bob, thread, "A reply", parent=root)
    hide(article, request.param)
    fresh = Comment.objects.select_related("thread__article")
    return Thread.objects.get(pk=thread.pk), fresh.get(pk=root.pk), fresh.get(pk=reply.pk)


def snapshot() -> tuple[int, int]:
    return Comment.objects.count(), Reaction.objects.count()


def test_reading_pages_answer_as_for_a_missing_thread(client, hidden):
    thread, root, reply = hidden
    for url, missing in [
        (f"/discussions/threads/{thread.pk}/", f"/discussions/threads/{MISSING}/"),
        (f"/discussions/comments/{root.pk}/", f"/discussions/comments/{MISSING}/"),
        (f"/discussions/comments/{reply.pk}/", f"/discussions/comments/{MISSING}/"),
        (f"/discussions/comments/{root.pk}/replies/", f"/discussions/comments/{MISSING}/replies/"),
    ]:
        response, missing_response = client.get(url), client.get(missing)
        assert response.status_code == missing_response.status_code == 404, url
        # No redirect, no headline: nothing to tell (a page names its own address, in its login link).
        assert response.content.replace(url.encode(), missing.encode()) == missing_response.content


@pytest.mark.django_db(transaction=True)  # committed: the server's own connection reads the rows
def test_the_live_stream_answers_as_for_a_missing_thread(asgi_server, hidden):
    thread, _, _ = hidden
    url, missing = f"/discussions/threads/{thread.pk}/events/", f"/discussions/threads/{MISSING}/events/"
    (status, body), (missing_status, missing_body) = asgi_server.get(url), asgi_server.get(missing)
    assert status == missing_status == 404
    assert body.replace(url, missing) == missing_body


def test_nobody_can_post_reply_or_react(client, hidden, bob):
    thread, root, _ = hidden
    carol = make_user("carol")
    client.force_login(carol)
    before = snapshot()
    answers = [
        client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Sneaking in"}),
        client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Sneaking in", "parent": root.pk}),
        client.get(f"/discussions/comments/{root.pk}/reply/"),
        client.post(f"/discussions/comments/{root.pk}/reply/", {"body": "Sneaking in"}),
        client.post(f"/discussions/comments/{root.pk}/react/"),
    ]
    for response in answers:
        assert response.status_code == 404
        assert HEADLINE not in response.content.decode()
    assert snapshot() == before


def test_authors_cannot_edit_their_comment_there(client, hidden, alice):
    _, root, _ = hidden
    client.force_login(alice)
    for response in (
        client.get(f"/discussions/comments/{root.pk}/edit/"),
        client.post(f"/discussions/comments/{root.pk}/edit/", {"body": "Changed"}),
    ):
        assert response.status_code == 404
        assert HEADLINE not in response.content.decode()
    root.refresh_from_db()
    assert root.body == "Posted while it was public"


def test_the_services_refuse_too(hidden, alice):
    thread, root, _ = hidden
    carol = make_user("carol")
    before = snapshot()
    with pytest.raises(CommentError) as refused:
        actions.post_comment(carol, thread, "Through the service")
    assert refused.value.status == 404
    with pytest.raises(CommentError):
        services.react(carol, root)
    with pytest.raises(CommentError):
        actions.edit_comment(alice, root, "Changed")
    assert snapshot() == before


def test_the_api_answers_as_for_a_missing_thread(hidden):
    thread, root, _ = hidden
    carol = token_client(make_user("carol"))
    slug = thread.article.slug
    before = snapshot()
    body = {"body": "x"}
    json = "application/json"
    pairs = [
        (carol.get(f"{API}/threads/{thread.pk}"), carol.get(f"{API}/threads/{MISSING}")),
        (carol.get(f"{API}/comments/{root.pk}"), carol.get(f"{API}/comments/{MISSING}")),
        (
            carol.post(f"{API}/threads/{thread.pk}/comments", body, content_type=json),
            carol.post(f"{API}/threads/{MISSING}/comments", body, content_type=json),
        ),
        (
            carol.post(f"{API}/articles/{slug}/thread/comments", body, content_type=json),
            carol.post(f"{API}/articles/no-such/thread/comments", body, content_type=json),
        ),
        (carol.post(f"{API}/comments/{root.pk}/reaction"), carol.post(f"{API}/comments/{MISSING}/reaction")),
    ]
    for response, missing in pairs:
        assert response.status_code == missing.status_code == 404
        assert response.json()["error"]["code"] == missing.json()["error"]["code"]
        assert HEADLINE not in response.content.decode()
    assert snapshot() == before


def test_editors_keep_their_preview(client, hidden):
    thread, _, _ = hidden
    editor = make_user("editor", is_staff=True, is_superuser=True)
    client.force_login(editor)
    response = client.get(f"/preview/{thread.article_id}/")
    assert response.status_code == 200
    assert HEADLINE in response.content.decode()
