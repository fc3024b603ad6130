"""Reading and posting through HTTP, without JavaScript: plain links and forms."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission

from discussions import services
from discussions.models import Comment
from posting import actions

pytestmark = pytest.mark.django_db


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_reader_sees_comments_and_an_invitation(client, alice, article, thread):
    actions.post_comment(alice, thread, "A **thoughtful** point.")
    html = page(client, article.get_absolute_url())
    assert "1 comment" in html and "<strong>thoughtful</strong>" in html
    assert "Alice Martin" in html
    assert "to join the discussion" in html and 'name="body"' not in html


def test_comment_times_carry_the_date_and_zone_a_cached_page_can_keep(
    client, alice, article, thread, settings
):
    settings.TIME_ZONE = "Europe/Paris"
    comment = actions.post_comment(alice, thread, "A point.")
    moment = datetime(2026, 1, 5, 8, 7, tzinfo=UTC)
    Comment.objects.filter(pk=comment.pk).update(created_at=moment)
    html = page(client, article.get_absolute_url())
    assert (
        '<time datetime="2026-01-05T09:07:00+01:00" title="Monday 5 January 2026, 09:07 CET" data-relative>'
        "5 Jan 2026, 09:07 CET</time>"
    ) in html
    assert " ago<" not in html  # "3 minutes ago" is the reader's browser's to say (static/js/enhancements.js)
    assert '<script src="/static/js/enhancements.js" defer></script>' in html


def test_post_a_comment_with_the_form(client, alice, article, thread):
    client.force_login(alice)
    html = page(client, article.get_absolute_url())
    key = re.search(r'name="client_key" value="([0-9a-f]+)"', html).group(1)
    response = client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Hello", "client_key": key})
    comment = Comment.objects.get()
    # Back to the article, at the outcome beside the comment box: the comment itself, published.
    assert response.status_code == 302 and response["Location"] == f"{article.get_absolute_url()}#posted"
    html = page(client, article.get_absolute_url())
    assert "Your comment is published." in html and f'id="posted-c{comment.pk}"' in html
    assert "Your comment is published." not in page(client, article.get_absolute_url())  # said once
    # The same form submitted twice posts once.
    client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Hello", "client_key": key})
    assert Comment.objects.count() == 1
    assert "Hello" in page(client, article.get_absolute_url())


@pytest.mark.parametrize(
    ("body", "message"), [("   ", "the comment is empty"), ("x" * 5001, "at most 5,000 characters")]
)
def test_bad_comment_shows_a_clear_message_and_keeps_the_text(client, alice, thread, body, message):
    client.force_login(alice)
    response = client.post(f"/discussions/threads/{thread.pk}/post/", {"body": body})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    if body.strip():
        assert body in html  # nothing the reader typed is lost
    assert Comment.objects.count() == 0


def test_reply_to_missing_parent(client, alice, thread):
    client.force_login(alice)
    response = client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Hi", "parent": "999"})
    assert response.status_code == 404
    assert "does not exist" in response.content.decode()
    assert Comment.objects.count() == 0


def test_posting_needs_an_account(client, thread):
    response = client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Hi"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Comment.objects.count() == 0


def test_closed_article_shows_why_and_refuses(client, alice, article, thread):
    actions.post_comment(alice, thread, "Still readable")
    article.comment_policy = "closed"
    article.save()
    client.force_login(alice)
    html = page(client, article.get_absolute_url())
    assert "Commenting is closed on this article" in html and "Still readable" in html
    assert 'name="body"' not in html
    response = client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Sneaky"})
    assert response.status_code == 403
    assert Comment.objects.count() == 1


def test_reply_page_react_edit_and_delete(client, alice, bob, thread):
    root = actions.post_comment(alice, thread, "Root")
    client.force_login(bob)
    assert "Reply to Alice Martin" in page(client, f"/discussions/comments/{root.pk}/reply/")
    client.post(f"/discussions/comments/{root.pk}/reply/", {"body": "A reply"})
    reply = Comment.objects.get(parent=root)
    client.post(f"/discussions/comments/{root.pk}/react/")
    client.post(f"/discussions/comments/{root.pk}/react/")  # a second one is refused, not counted
    assert Comment.objects.get(pk=root.pk).reaction_count == 1
    client.post(f"/discussions/comments/{reply.pk}/edit/", {"body": "A better reply"})
    assert Comment.objects.get(pk=reply.pk).body == "A better reply"
    assert client.post(f"/discussions/comments/{root.pk}/edit/", {"body": "Not mine"}).status_code == 403
    client.post(f"/discussions/comments/{reply.pk}/delete/")
    assert Comment.objects.get(pk=reply.pk).status == Comment.Status.DELETED


def test_permalink_opens_the_thread_at_the_comment(client, alice, bob, thread):
    root = actions.post_comment(alice, thread, "Root")
    replies = [actions.post_comment(bob, thread, f"Reply {i}", root) for i in range(25)]
    target = replies[22]
    html = page(client, f"/discussions/comments/{target.pk}/")
    assert f'id="c{target.pk}"' in html and "comment--target" in html
    assert "Reply 22" in html and "Reply 3" not in html
    assert "Show earlier replies" in html


def test_more_replies_pages_through_a_long_branch(client, alice, bob, thread, article):
    root = actions.post_comment(alice, thread, "Root")
    for i in range(30):
        actions.post_comment(bob, thread, f"Reply {i:02d}", root)
    html = page(client, article.get_absolute_url())
    assert "Reply 02" in html and "Reply 03" not in html
    assert "Show 27 more replies" in html
    more = re.search(r'href="(/discussions/comments/\d+/replies/\?after=[^"]+)"', html).group(1)
    second = page(client, more.replace("&amp;", "&"))
    assert "Reply 03" in second and "Reply 22" in second and "Reply 23" not in second


def test_sorting_and_featured_comments(client, alice, bob, thread, article):
    first = actions.post_comment(alice, thread, "First comment")
    actions.post_comment(alice, thread, "Second comment")
    services.react(bob, first)
    html = page(client, article.get_absolute_url() + "?sort=oldest")
    assert html.index("First comment") < html.index("Second comment")
    html = page(client, article.get_absolute_url() + "?sort=newest")
    assert html.index("Second comment") < html.index("First comment")
    html = page(client, article.get_absolute_url() + "?sort=reacted")
    assert html.index("First comment") < html.index("Second comment")
    bob.user_permissions.add(Permission.objects.get(codename="feature_comment"))
    client.force_login(bob)
    client.post(f"/discussions/comments/{actions.post_comment(alice, thread, 'Pick me').pk}/feature/")
    html = page(client, article.get_absolute_url())
    assert html.index("Editor’s picks") < html.index("Pick me") < html.index("First comment")


def test_new_comment_invalidates_the_cached_article_page(
    client, alice, article, thread, django_capture_on_commit_callbacks
):
    assert page(client, article.get_absolute_url())
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    home = client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        actions.post_comment(alice, thread, "Fresh comment")
    assert client.get("/")["X-Page-Cache"] == "hit" and home  # one comment does not flush the site
    response = client.get(article.get_absolute_url())
    assert response["X-Page-Cache"] == "miss" and "Fresh comment" in response.content.decode()


def test_listings_show_comment_counts(client, alice, bob, article, thread):
    actions.post_comment(alice, thread, "One")
    actions.post_comment(bob, thread, "Two")
    html = page(client, "/")
    assert f'href="{article.get_absolute_url()}#discussion">2 comments</a>' in html
