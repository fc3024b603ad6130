"""A reader signs up, confirms, comments, sees another reader's comment arrive live, reacts and replies."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from articles.tests.conftest import build_article
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation.trust import set_trusted
from tests.browser.plugin import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password", exact=True).fill("a-long-test-password-1")
    page.get_by_label("Password confirmation").fill("a-long-test-password-1")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[-1].body).group(0)
    page.goto(base + link[link.index("/accounts/") :])


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("a-long-test-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_sign_up_comment_live_update_react_and_reply(asgi_server, browser, settings):
    settings.LIVE_KEEPALIVE_SECONDS = 1
    article = build_article("Harbour talks resume")
    make_user("bob", display_name="Bob Stone")
    base = asgi_server.url  # agora.asgi, which serves the live updates
    carol_context = browser.new_context(viewport={"width": 1100, "height": 900})
    bob_context = browser.new_context(viewport={"width": 1100, "height": 900})
    carol, bob = carol_context.new_page(), bob_context.new_page()
    try:
        sign_up(carol, base, "carol")
        assert "Your address is confirmed" in carol.content() or "confirmed" in carol.content()
        # An established reader from here on: a new account's first comments are held for review
        # (moderation/tests cover that path), and this test is about the published ones.
        set_trusted(get_user_model().objects.get(username="carol"))

        carol.goto(base + article.get_absolute_url())
        carol.get_by_label("Your comment").fill("First thoughts: **well reported**.")
        carol.get_by_role("button", name="Post comment").click()
        carol.wait_for_url(re.compile(r"/discussions/comments/\d+/"))  # htmx posts, then loads the permalink
        assert carol.locator(".comment__body strong", has_text="well reported").is_visible()

        # Carol reads the article; Bob posts from his own browser; Carol is told, live.
        carol.goto(base + article.get_absolute_url())
        carol.wait_for_timeout(500)  # the page's event stream connects
        log_in(bob, base, "bob")
        bob.goto(base + article.get_absolute_url())
        bob.get_by_label("Your comment").fill("Hello from Bob")
        bob.get_by_role("button", name="Post comment").click()
        bob.wait_for_load_state()

        notice = carol.locator(".live-notice")
        notice.wait_for(state="visible", timeout=15_000)
        assert notice.inner_text().strip() == "1 new comment"
        assert carol.locator(".comment__body", has_text="Hello from Bob").count() == 0  # no jump
        notice.get_by_role("link").click()
        bobs = carol.locator("article.comment", has_text="Hello from Bob")
        bobs.wait_for(timeout=10_000)

        # Respect, enhanced with htmx: the count changes in place.
        bobs.get_by_role("button", name=re.compile("Respect")).click()
        carol.wait_for_function(
            '() => document.querySelector(\'[data-reaction-count] [aria-pressed="true"], '
            'button[aria-pressed="true"]\') !== null'
        )
        assert bobs.locator(".reaction__count").inner_text() == "1"

        # Reply: the form opens inline, posting lands on the comment's permalink.
        bobs.get_by_role("link", name="Reply").click()
        reply_box = carol.locator(".reply-slot textarea")
        reply_box.wait_for()
        reply_box.fill("Agreed, @bob.")
        carol.get_by_role("button", name="Post reply").click()
        carol.wait_for_url(re.compile(r"/discussions/comments/\d+/"))
        reply = Comment.objects.get(body="Agreed, @bob.")
        assert reply.parent.body == "Hello from Bob" and reply.depth == 1
        assert carol.locator(f"#c{reply.pk}").is_visible()
        screenshot(carol, "discussion-reply")
        carol.goto(base + article.get_absolute_url())
        screenshot(carol, "discussion-article")
    finally:
        carol_context.close()
        bob_context.close()
