"""A reader in a real browser: the front page, keyboard navigation, an article."""

import pytest

from articles.tests.conftest import build_article
from tests.browser.plugin import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keyboard_reader_skips_to_content_and_opens_an_article(live_server, page):
    build_article("Harbour talks resume", section="world", topics=("Ports",))
    build_article("Markets rally on port deal", section="business", topics=("Ports",))
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    screenshot(page, "home")
    page.get_by_role("link", name="Harbour talks resume").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/articles/harbour-talks-resume/")
    assert page.get_by_role("heading", level=1).inner_text() == "Harbour talks resume"
    assert page.locator(".read-time").first.inner_text().endswith("-min read")
    assert page.get_by_role("complementary", name="Related articles").is_visible()


def test_search_from_the_header(live_server, page):
    build_article("Harbour talks resume")
    page.goto(live_server.url + "/")
    page.get_by_label("Search articles").fill("harbour")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=harbour")
    assert page.get_by_role("link", name="Harbour talks resume").is_visible()
