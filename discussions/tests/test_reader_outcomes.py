"""Every outcome visible to the reader, where they are; controls offered only where they can work."""

import re

import pytest
from django.test import Client

from accounts.roles import EDITORS, MODERATORS
from discussions.models import Comment, CommentingPolicy
from discussions.tests.conftest import bulk_thread, make_user
from moderation import services as moderation
from moderation.commenting import set_commenting_status
from moderation.models import ModerationRule
from posting import actions

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_url(thread) -> str:
    return f"/discussions/threads/{thread.pk}/post/"


# --- After posting ---------------------------------------------------------------------------------------


def test_a_rejected_draft_stays_in_the_box_with_the_reason_under_a_fresh_key(alice, thread):
    ModerationRule.objects.create(phrase="forbiddenword", kind=ModerationRule.Kind.BANNED)
    client = logged_in(alice)
    draft = "A long considered thought with a forbiddenword in it."
    response = client.post(post_url(thread), {"body": draft, "client_key": "first-key"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{draft}</textarea>" in html and "Your comment was not published" in html
    assert "rewrite it and post again" in html
    key = re.search(r'name="client_key" value="([0-9a-f]+)"', html).group(1)
    assert key != "first-key"
    # Rewritten under the new key, it is a new comment (the old key would only return the rejected one).
    client.post(post_url(thread), {"body": "A long considered thought.", "client_key": key})
    assert sorted(Comment.objects.values_list("status", flat=True)) == ["published", "rejected"]


def test_a_held_comment_is_shown_to_its_author_in_place_and_to_no_one_else(client, article, thread):
    newcomer = make_user("newcomer", trusted=False)  # pre-moderated: held
    reader = logged_in(newcomer)
    response = reader.post(post_url(thread), {"body": "My very first comment here."})
    assert response["Location"] == f"{article.get_absolute_url()}#posted"
    html = reader.get(article.get_absolute_url()).content.decode()
    assert "waiting for review" in html and "Only you can see this comment" in html
    assert "No comments yet" not in html
    assert html.count("My very first comment here.") == 2  # in the outcome box, and in place
    html = reader.get(article.get_absolute_url()).content.decode()  # later: in place only
    assert html.count("My very first comment here.") == 1 and "Awaiting review" in html
    assert "My very first comment here." not in client.get(article.get_absolute_url()).content.decode()
    assert (
        "My very first comment here."
        not in logged_in(make_user("other")).get(article.get_absolute_url()).content.decode()
    )


def test_a_published_reply_is_shown_in_place_to_htmx(alice, bob, thread):
    root = actions.post_comment(alice, thread, "A point.")
    response = logged_in(bob).post(post_url(thread), {"body": "A reply.", "parent": root.pk}, headers=HTMX)
    html = response.content.decode()
    reply = Comment.objects.get(parent=root)
    assert response.status_code == 200 and "Your reply is published." in html
    assert f'id="posted-c{reply.pk}"' in html and "<form" not in html  # the reply box closes
    assert "See it in the conversation" in html


# --- Controls only where they can work --------------------------------------------------------------------


def test_no_box_reply_or_edit_where_commenting_is_closed(article, thread, alice):
    editor = make_user("ed", role=EDITORS, is_staff=True)
    actions.post_comment(alice, thread, "Posted while it was open.")
    set_commenting_status(editor, article, CommentingPolicy.Status.CLOSED)
    html = logged_in(alice).get(article.get_absolute_url()).content.decode()
    assert "Commenting is closed on this article." in html
    assert 'name="body"' not in html and ">Reply</a>" not in html and ">Edit</a>" not in html
    assert ">Delete</a>" in html  # taking one's own comment down still works


def test_a_suspended_reader_is_told_up_front_and_offered_no_box(article, thread, alice, bob):
    mod = make_user("mod", role=MODERATORS)
    actions.post_comment(bob, thread, "Bob's point.")
    moderation.suspend(mod, alice, "Insults.", days=2)
    html = logged_in(alice).get(article.get_absolute_url()).content.decode()
    assert "Your account is suspended from commenting until" in html and "Insults." in html
    assert 'name="body"' not in html and ">Reply</a>" not in html


def test_anonymous_readers_get_a_login_link_instead_of_a_failing_button(client, article, thread, alice):
    comment = actions.post_comment(alice, thread, "A point.")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Log in to react" in html and 'class="reaction__button"' not in html
    assert f"/accounts/login/?next=/articles/{article.slug}/%23c{comment.pk}" in html


def test_no_respect_button_on_ones_own_comment(article, thread, alice, bob):
    actions.post_comment(alice, thread, "Mine.")
    html = logged_in(alice).get(article.get_absolute_url()).content.decode()
    assert 'class="reaction__button"' not in html and "Respect <span" in html
    assert 'class="reaction__button"' in logged_in(bob).get(article.get_absolute_url()).content.decode()


def test_a_refused_reaction_is_said_beside_the_button(thread, alice, bob):
    comment = actions.post_comment(alice, thread, "A point.")
    client = logged_in(bob)
    client.post(f"/discussions/comments/{comment.pk}/react/", headers=HTMX)
    again = client.post(f"/discussions/comments/{comment.pk}/react/", headers=HTMX)  # a stale page's button
    html = again.content.decode()
    assert again.status_code == 409 and 'role="alert"' in html
    assert "already shown respect" in html and html.lstrip().startswith("<form")


# --- The reply box and paging ----------------------------------------------------------------------------


def test_each_reply_box_has_ids_of_its_own_a_cancel_and_the_focus(thread, alice, bob):
    first = actions.post_comment(alice, thread, "One.")
    second = actions.post_comment(alice, thread, "Two.")
    client = logged_in(bob)
    boxes = [
        client.get(f"/discussions/comments/{c.pk}/reply/", headers=HTMX).content.decode()
        for c in (first, second)
    ]
    for comment, html in zip((first, second), boxes, strict=True):
        assert f'<label for="reply-{comment.pk}-body">Your reply</label>' in html
        assert f'id="reply-{comment.pk}-body"' in html and "autofocus" in html
        assert "data-cancel-reply" in html and ">Cancel</a>" in html


def test_show_more_comments_appends_the_next_page(client, article, thread, alice):
    bulk_thread(thread, alice, roots=45)
    html = client.get(article.get_absolute_url()).content.decode()
    more = re.search(r'hx-get="([^"]+)"[^>]*>Show more comments', html).group(1).replace("&amp;", "&")
    fragment = client.get(more, headers=HTMX).content.decode()
    assert "<html" not in fragment and fragment.count('class="thread-root"') == 20
    assert "Comment 24" in fragment and "Show more comments" in fragment  # the next page's link in turn
    # Without JavaScript, later pages keep a way back to the first.
    later = client.get(more).url
    assert "comments_after=" in later
    assert "Back to the first comments" in client.get(later).content.decode()
