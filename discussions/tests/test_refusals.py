"""Refusals the services make wherever a comment comes from: closed threads take no edits, and a
client_key names one comment (its replay is idempotent, its reuse for other words a conflict)."""

import pytest

from accounts.roles import EDITORS
from api.tests.conftest import API, token_client
from discussions.errors import CommentError
from discussions.models import Comment, CommentingPolicy, CommentRevision
from discussions.tests.conftest import make_user
from moderation.commenting import set_commenting_status
from posting import actions

pytestmark = pytest.mark.django_db
S = CommentingPolicy.Status


@pytest.mark.parametrize("status", [S.CLOSED, S.SUSPENDED])
def test_authors_cannot_edit_comments_once_the_thread_is_closed_or_suspended(client, alice, thread, status):
    comment = actions.post_comment(alice, thread, "Before the close")
    editor = make_user("eddie", role=EDITORS, is_staff=True)
    set_commenting_status(editor, thread.article, status, notice="Closed for the night.")

    with pytest.raises(CommentError) as refused:
        actions.edit_comment(alice, Comment.objects.get(pk=comment.pk), "After the close")
    assert refused.value.code == "closed" and refused.value.status == 403
    assert "Closed for the night." in refused.value.message

    client.force_login(alice)
    page = client.post(f"/discussions/comments/{comment.pk}/edit/", {"body": "After the close"})
    assert page.status_code == 403 and "Closed for the night." in page.content.decode()
    api = token_client(alice).patch(
        f"{API}/comments/{comment.pk}", {"body": "After the close"}, content_type="application/json"
    )
    assert api.status_code == 403 and api.json()["error"]["code"] == "closed"
    assert Comment.objects.get(pk=comment.pk).body == "Before the close"
    assert not CommentRevision.objects.exists()


def test_deleting_your_own_comment_still_works_on_a_closed_thread(alice, thread):
    comment = actions.post_comment(alice, thread, "Before the close")
    editor = make_user("eddie", role=EDITORS, is_staff=True)
    set_commenting_status(editor, thread.article, S.CLOSED)
    actions.delete_own_comment(alice, comment)
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.DELETED


def test_the_same_client_key_and_words_replay_the_first_comment(alice, thread):
    first = actions.post_comment(alice, thread, "Hello", client_key="k1")
    again = actions.post_comment(alice, thread, "  Hello\r\n", client_key="k1")
    assert again.pk == first.pk and again.replayed


def test_a_client_key_reused_for_other_words_is_a_conflict(client, alice, thread):
    actions.post_comment(alice, thread, "Hello", client_key="k1")
    with pytest.raises(CommentError) as refused:
        actions.post_comment(alice, thread, "Something else", client_key="k1")
    assert refused.value.code == "client_key_reused" and refused.value.status == 409

    api = token_client(alice).post(
        f"{API}/threads/{thread.pk}/comments",
        {"body": "Something else", "client_key": "k1"},
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "client_key_reused"
    client.force_login(alice)
    form = client.post(
        f"/discussions/threads/{thread.pk}/post/", {"body": "Something else", "client_key": "k1"}
    )
    assert form.status_code == 409
    assert list(Comment.objects.values_list("body", flat=True)) == ["Hello"]


def test_a_client_key_reused_in_another_thread_or_as_a_reply_is_a_conflict(alice, thread, article):
    first = actions.post_comment(alice, thread, "Hello", client_key="k1")
    with pytest.raises(CommentError):
        actions.post_comment(alice, thread, "Hello", parent=first, client_key="k1")
    assert Comment.objects.count() == 1
