"""Every refusal of a post reads the same through the site's form, the API and the embed: the words
and status posting.actions refuses with (one pipeline behind all three)."""

import json

import pytest
from django.utils.html import escape

from accounts.roles import EDITORS, READERS
from api.tests.conftest import API, token_client
from discussions.errors import CommentError
from discussions.models import Comment, CommentingPolicy
from discussions.tests.conftest import make_user
from embed.tests.conftest import story_thread  # noqa: F401  (a thread the embed and the site both show)
from moderation.commenting import set_commenting_status
from moderation.models import Ban
from posting import actions

BODY = "A comment that every channel refuses the same way."


def unverified(thread):  # type: ignore[no-untyped-def]
    return make_user("unconfirmed", verified=False)


def reader(thread):  # type: ignore[no-untyped-def]
    return make_user("onlyreads", role=READERS)


def banned(thread):  # type: ignore[no-untyped-def]
    user = make_user("banned")
    Ban.objects.create(user=user, reason="Repeated personal abuse")
    return user


def closed(thread):  # type: ignore[no-untyped-def]
    set_commenting_status(
        make_user("eddie", role=EDITORS, is_staff=True), thread, "closed", notice="Back soon"
    )
    return make_user("latecomer")


def slow(thread):  # type: ignore[no-untyped-def]
    editor = make_user("eddie", role=EDITORS, is_staff=True)
    set_commenting_status(editor, thread, CommentingPolicy.Status.SLOW, slow_mode_minutes=10)
    user = make_user("quick")
    actions.post_comment(user, thread, "My first comment, a moment ago.")
    return user


@pytest.mark.parametrize("situation", [unverified, reader, banned, closed, slow])
def test_a_refusal_reads_the_same_on_the_site_the_api_and_the_embed(client, story_thread, situation):  # noqa: F811
    author = situation(story_thread)
    before = Comment.objects.count()
    with pytest.raises(CommentError) as refused:
        actions.post_comment(author, story_thread, BODY)
    message, status = refused.value.message, refused.value.status

    client.force_login(author)
    for url in (
        f"/discussions/threads/{story_thread.pk}/post/",
        f"/embed/discussions/threads/{story_thread.pk}/post/",
    ):
        page = client.post(url, {"body": BODY})
        assert page.status_code == status, url
        assert escape(message) in page.content.decode(), url
    api = token_client(author).post(
        f"{API}/threads/{story_thread.pk}/comments",
        json.dumps({"body": BODY}),
        content_type="application/json",
    )
    assert api.status_code == status
    assert api.json()["error"]["message"] == message and api.json()["error"]["code"] == refused.value.code
    assert Comment.objects.count() == before
