"""Comment times read "3 minutes ago" (with the full date and zone at hand, and without JavaScript), and
the comment box counts its characters, telling screen readers only as the limit nears."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment
from discussions.tests.conftest import make_user
from posting import actions
from tests.browser.test_discussion import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNTER = "#comment-form .char-count"
SPOKEN = "#comment-form .char-count + [aria-live=polite]"


def test_comment_times_read_relative_with_the_full_date_at_hand(live_server, browser):
    article = build_article("Harbour talks resume")
    comment = actions.post_comment(make_user("alice"), services.thread_for_article(article), "A point.")
    posted = timezone.now() - timedelta(minutes=3, seconds=10)
    Comment.objects.filter(pk=comment.pk).update(created_at=posted)
    local = timezone.localtime(posted)
    absolute = f"{local:%-d %b %Y, %H:%M} UTC"

    with_script = browser.new_context()
    without_script = browser.new_context(java_script_enabled=False)
    try:
        page = with_script.new_page()
        page.goto(live_server.url + article.get_absolute_url())
        time = page.locator(f"#c{comment.pk} time")
        expect(time).to_have_text("3 minutes ago")
        assert time.get_attribute("title") == f"{local:%A %-d %B %Y, %H:%M} UTC"
        assert time.get_attribute("datetime") == local.isoformat(timespec="seconds")

        plain = without_script.new_page()
        plain.goto(live_server.url + article.get_absolute_url())
        assert plain.locator(f"#c{comment.pk} time").text_content() == absolute
    finally:
        with_script.close()
        without_script.close()


def test_the_comment_box_counts_and_speaks_only_near_the_limit(live_server, page, settings):
    settings.COMMENT_MAX_LENGTH = 200
    article = build_article("Harbour talks resume")
    bob = make_user("bob")
    actions.post_comment(bob, services.thread_for_article(article), "Bob's point.")
    make_user("alice")
    log_in(page, live_server.url, "alice")
    page.goto(live_server.url + article.get_absolute_url())

    box, counter, spoken = page.get_by_label("Your comment"), page.locator(COUNTER), page.locator(SPOKEN)
    assert counter.text_content() == "0 of 200 characters"
    counter_id = counter.get_attribute("id")
    assert counter_id in box.get_attribute("aria-describedby").split()  # read out with the box
    assert counter.get_attribute("aria-live") is None  # the visible count is never announced

    box.press_sequentially("Hello there")
    assert counter.text_content() == "11 of 200 characters"
    assert spoken.text_content() == ""  # nothing said while typing far from the limit
    box.fill("x" * 185)
    assert counter.text_content() == "15 characters left"
    assert spoken.text_content() == "15 characters left."
    box.press_sequentially("xx")
    assert spoken.text_content() == "15 characters left."  # not at every key
    box.fill("x" * 200)
    assert (
        counter.text_content() == spoken.text_content()[:-1] == "You have reached the limit of 200 characters"
    )
    assert box.evaluate("box => box.value.length") == 200  # the browser stops at the limit

    # A reply form brought in by htmx gets its own counter.
    page.get_by_role("link", name="Reply").first.click()
    reply_box = page.locator(".reply-slot textarea")
    reply_box.wait_for()
    page.locator(".reply-slot .char-count").wait_for()
    assert page.locator(".reply-slot .char-count").text_content() == "0 of 200 characters"
