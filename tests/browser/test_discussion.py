"""A reader signs up, confirms, comments, sees another reader's comment arrive live, reacts and replies."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from articles.tests.conftest import build_article
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation.trust import set_trusted
from posting import actions
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
    page.goto(base + link[link.index("/accounts/") :])  # confirms the address; then the account logs in


def log_in(page, base: str, username: str, password: str | None = None) -> None:
    """Log in as `username`, with make_user's password unless told another."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or "a-long-test-password-1")
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
        log_in(carol, base, "carol")
        # An established reader from here on: a new account's first comments are held for review
        # (moderation/tests cover that path), and this test is about the published ones.
        set_trusted(get_user_model().objects.get(username="carol"))

        carol.goto(base + article.get_absolute_url())
        carol.get_by_label("Your comment").fill("First thoughts: **well reported**.")
        carol.get_by_role("button", name="Post comment").click()
        # htmx posts; the page stays, with the comment beside the box and a fresh box for the next one.
        outcome = carol.locator("#posted")
        outcome.wait_for()
        assert "Your comment is published." in outcome.inner_text()
        assert outcome.locator(".comment__body strong", has_text="well reported").is_visible()
        assert carol.get_by_role("textbox", name="Your comment").input_value() == ""
        assert "/articles/" in carol.url

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
        expect(
            carol.locator('[data-reaction-count] [aria-pressed="true"], button[aria-pressed="true"]')
        ).not_to_have_count(0)
        assert bobs.locator(".reaction__count").inner_text() == "1"

        # Reply: the box opens inline under the comment, with the focus in it; posting shows the reply there.
        bobs.get_by_role("link", name="Reply").click()
        reply_box = carol.locator(".reply-slot textarea")
        reply_box.wait_for()
        expect(reply_box).to_be_focused()
        assert carol.evaluate("document.activeElement.id").startswith("reply-")
        carol.keyboard.type("Agreed, @bob.")
        carol.get_by_role("button", name="Post reply").click()
        reply_outcome = carol.locator(".reply-slot #posted")
        reply_outcome.wait_for()
        reply = Comment.objects.get(body="Agreed, @bob.")
        assert reply.parent.body == "Hello from Bob" and reply.depth == 1
        assert "Your reply is published." in reply_outcome.inner_text()
        assert carol.locator(f"#posted-c{reply.pk}").is_visible()
        screenshot(carol, "discussion-reply")
        carol.goto(base + article.get_absolute_url())
        screenshot(carol, "discussion-article")
    finally:
        carol_context.close()
        bob_context.close()


def test_a_new_readers_held_comment_is_shown_in_place_awaiting_review(live_server, page):
    article = build_article("Harbour talks resume")
    make_user("dana", trusted=False)  # a new account: pre-moderated
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    log_in(page, base, "dana")
    page.goto(base + article.get_absolute_url())
    page.get_by_label("Your comment").fill("My first comment: the harbour plan needs a budget.")
    page.get_by_role("button", name="Post comment").click()
    outcome = page.locator("#posted")
    outcome.wait_for()
    assert "waiting for review" in outcome.inner_text()
    # Beside the box, in view: not thousands of pixels above it.
    box = outcome.bounding_box()
    assert box is not None and 0 <= box["y"] < 844
    page.goto(base + article.get_absolute_url())  # later, it is in the thread, marked, for its author only
    mine = page.locator("article.comment--pending", has_text="My first comment")
    assert mine.is_visible() and "Awaiting review" in mine.inner_text()
    assert "No comments yet" not in page.content()
    screenshot(page, "held-comment-in-place-phone")


def test_the_reply_box_works_from_the_keyboard_and_cancels(live_server, page):
    article = build_article("Harbour talks resume")
    from discussions import services

    actions.post_comment(make_user("bob"), services.thread_for_article(article), "A point to answer.")
    make_user("erin")
    base = live_server.url
    log_in(page, base, "erin")
    page.goto(base + article.get_absolute_url())
    reply_link = page.locator("article.comment").get_by_role("link", name="Reply")
    reply_link.focus()
    page.keyboard.press("Enter")
    page.locator(".reply-slot textarea").wait_for()
    expect(page.locator(".reply-slot textarea")).to_be_focused()
    page.get_by_role("link", name="Cancel").click()
    assert page.locator(".reply-slot textarea").count() == 0
    expect(reply_link).to_be_focused()


def test_an_anonymous_reader_is_asked_to_log_in_to_react(live_server, page):
    article = build_article("Harbour talks resume")
    from discussions import services

    actions.post_comment(make_user("bob"), services.thread_for_article(article), "A point.")
    page.goto(live_server.url + article.get_absolute_url())
    assert page.locator(".reaction__button").count() == 0
    page.get_by_role("link", name="Log in to react").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
