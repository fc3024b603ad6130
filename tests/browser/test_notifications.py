"""The bell: a reader's unread count updates live when someone replies; the notifications page; muting."""

import re

import pytest
from playwright.sync_api import expect

from articles.tests.conftest import build_article
from discussions import services
from discussions.tests.conftest import make_user
from posting import actions
from tests.browser.plugin import screenshot
from tests.browser.test_discussion import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bell_updates_live_and_leads_to_the_notification(asgi_server, browser, settings):
    settings.LIVE_KEEPALIVE_SECONDS = 1
    article = build_article("Harbour talks resume")
    alice = make_user("alice", display_name="Alice Martin")
    bob = make_user("bob", display_name="Bob Stone")
    thread = services.thread_for_article(article)
    root = actions.post_comment(alice, thread, "The harbour deal looks fragile to me.")
    base = asgi_server.url  # the server that holds live streams
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    try:
        log_in(page, base, "alice")
        page.goto(base + article.get_absolute_url())
        bell = page.locator("a.bell")
        expect(bell).to_have_attribute("data-unread", "0")
        assert (
            bell.get_attribute("href") == "/notifications/"
            and not page.locator("[data-bell-count]").is_visible()
        )

        actions.post_comment(bob, thread, "It held last winter, though.", parent=root)  # Bob, elsewhere
        expect(page.locator("[data-bell-count]")).to_have_text("1", timeout=15000)
        assert page.locator("[data-bell-count]").is_visible()
        assert (
            bell.inner_text().replace("\n", " ").strip().startswith("Notifications 1")
        )  # its accessible text
        screenshot(page, "notifications-bell-live")

        bell.click()
        page.wait_for_url(re.compile(r"/notifications/$"))
        page.get_by_role("link", name="Bob Stone replied to your comment").click()
        page.wait_for_url(re.compile(r"/discussions/comments/\d+/"))
        assert page.locator(".comment__body", has_text="It held last winter").first.is_visible()
        assert page.locator("[data-bell-count]").is_hidden()  # opened: read
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(base + "/notifications/")
        screenshot(page, "notifications-page-phone")
    finally:
        context.close()


def test_a_muted_readers_comments_fold_away(live_server, browser):
    article = build_article("Harbour talks resume")
    alice = make_user("alice")
    bob = make_user("bob", display_name="Bob Stone")
    thread = services.thread_for_article(article)
    actions.post_comment(bob, thread, "Something alice would rather not read.")
    base = live_server.url
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    try:
        log_in(page, base, "alice")
        page.goto(f"{base}/accounts/people/bob/")
        page.get_by_role("button", name="Mute Bob Stone").click()
        page.wait_for_load_state()
        assert "They are not told" in page.content()
        page.goto(base + article.get_absolute_url())
        muted = page.locator("details.comment--muted")
        assert muted.locator("summary").inner_text() == "A comment by Bob Stone, whom you muted"
        assert not page.get_by_text("Something alice would rather not read.").is_visible()
        muted.locator("summary").click()  # one click (or Enter) shows it
        assert page.get_by_text("Something alice would rather not read.").is_visible()
        screenshot(page, "muted-comment")
    finally:
        context.close()
    assert alice.mutes.get().muted == bob
