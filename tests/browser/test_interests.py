"""A new reader follows a topic; an article on it is ingested; the bell says so live, and the article
leads "For you"."""

import re

import pytest
from playwright.sync_api import expect

from articles.tests.conftest import build_article
from articles.tests.ingest_support import ingest
from discussions.tests.conftest import make_user
from tests.browser.plugin import screenshot
from tests.browser.test_discussion import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IDLIB_STORY = """Aid convoy reaches Idlib after weeks of waiting

A convoy of forty lorries carrying food and medicine reached Idlib on Monday,
aid workers said, the first to cross in three weeks.

The lorries crossed at dawn and were unloaded at warehouses in the north of the
province, where families displaced by the fighting wait for rations.

"People have been waiting at the gates since before the sun came up," said
Leila Haddad, who runs a warehouse in the city.
"""


def test_following_a_topic_brings_its_next_article_to_the_bell_and_the_top_of_for_you(
    asgi_server, browser, settings, tmp_path
):
    settings.LIVE_KEEPALIVE_SECONDS = 1
    build_article("Talks on Syria resume in Geneva", topics=("Syria",), hours_ago=2)
    build_article("Harbour reopens after the storm", topics=("Harbours",), hours_ago=0.5)
    make_user("nadia", display_name="Nadia Karam")
    base = asgi_server.url  # the server that holds live streams: the bell's
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    try:
        log_in(page, base, "nadia")
        page.goto(f"{base}/topics/")
        page.get_by_role("link", name="Syria", exact=True).click()
        page.wait_for_url(re.compile(r"/topic/syria/$"))
        follow = page.get_by_role("button", name="Follow Syria")
        follow.click()  # htmx swaps the button in place
        following = page.get_by_role("button", name="Following Syria")
        following.wait_for()
        assert following.get_attribute("aria-pressed") == "true"
        assert page.locator(".follow-panel .meta").inner_text() == "1 follower"
        expect(page.locator("a.bell")).to_have_attribute("data-unread", "0")

        wire = tmp_path / "idlib.txt"
        wire.write_text(IDLIB_STORY, encoding="utf-8")
        ingest(wire)  # the newsroom, elsewhere: its followers hear of it from a task
        expect(page.locator("[data-bell-count]")).to_have_text("1", timeout=15000)
        screenshot(page, "interests-topic-followed-bell")

        page.locator("a.bell").click()
        page.wait_for_url(re.compile(r"/notifications/$"))
        assert page.get_by_role(
            "link", name=re.compile(r"New in Syria: Aid convoy reaches Idlib")
        ).is_visible()

        page.get_by_role("link", name="For you").first.click()
        page.wait_for_url(re.compile(r"/for-you/$"))
        first = page.locator(".feed__item").first
        assert "Aid convoy reaches Idlib after weeks of waiting" in first.inner_text()
        assert first.locator(".feed__reason").inner_text() == "Because you follow Syria"
        screenshot(page, "interests-for-you")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "interests-for-you-phone")
        page.goto(f"{base}/topic/syria/")
        screenshot(page, "interests-topic-phone")
    finally:
        context.close()


def test_following_works_without_javascript(live_server, browser):
    article = build_article("Talks on Syria resume in Geneva", topics=("Syria",), byline="Ana Lind")
    make_user("nadia")
    base = live_server.url
    context = browser.new_context(viewport={"width": 1100, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(base + article.get_absolute_url())
        assert page.get_by_role("link", name="Log in to follow").is_visible()
        log_in(page, base, "nadia")
        page.goto(base + article.get_absolute_url())
        page.get_by_role("button", name="Follow Ana Lind").click()
        page.wait_for_load_state()
        assert page.get_by_text("You follow Ana Lind.").is_visible()
        assert page.get_by_role("button", name="Following Ana Lind").is_visible()
        screenshot(page, "interests-follow-story")
    finally:
        context.close()
