"""The demo site at desktop (1280 px) and phone (390 px) widths: home, an article with its discussion,
the login page, the 404 page and the moderation queue.  Each fits the screen (nothing scrolls
sideways), the header is one line on a phone with the sections on one scrolling line beneath it, and
the content starts clear of the header's rule.  Screenshots go to test-artifacts/screenshots/."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from tests.browser.plugin import screenshot, wait_until
from tests.browser.test_discussion import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
PASSWORD = re.compile(r"^  (\w+) +(\S+)   ", re.MULTILINE)
ARTICLE = "/articles/heatwave-halvern-electricity-demand-record/"

# Geometry read in the page: what overflows sideways, and where the header, its bar and main start.
LAYOUT = """() => {
  const box = (selector) => document.querySelector(selector).getBoundingClientRect();
  const top = (item) => Math.round(item.getBoundingClientRect().top);
  const rows = (list) => new Set([...list.children].map(top)).size;
  return {
    width: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    headerBottom: box(".site-header").bottom,
    barHeight: box(".site-header__bar").height,
    // The section bar, and a moderation page's queue tabs: one line each, scrolling sideways if need be.
    barRows: [...document.querySelectorAll(".site-nav ul, .queue-tabs ul")].map(rows),
    mainPaddingTop: parseFloat(getComputedStyle(document.querySelector("main")).paddingTop),
  };
}"""


@pytest.fixture
def demo_passwords() -> dict[str, str]:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return dict(PASSWORD.findall(out.getvalue()))


def check_layout(page, kind: str) -> dict:
    layout = page.evaluate(LAYOUT)
    assert layout["scrollWidth"] <= layout["width"], f"{page.url} scrolls sideways: {layout}"
    assert set(layout["barRows"]) == {1}, f"a bar of links wraps on {page.url}: {layout}"
    assert layout["mainPaddingTop"] >= 16, "main's own padding keeps the content off the header rule"
    if kind == "phone":
        # One line for the name, search and account (~50 px), one for the sections: ~100 px in all.
        assert layout["barHeight"] <= 60 and layout["headerBottom"] <= 110, layout
    return layout


@pytest.mark.parametrize("kind", list(WIDTHS))
def test_every_kind_of_page_fits_the_screen(live_server, browser, demo_passwords, kind):
    width, height = WIDTHS[kind]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        for name, path in (("home", "/"), ("article", ARTICLE), ("login", "/accounts/login/")):
            page.goto(live_server.url + path)
            check_layout(page, kind)
            screenshot(page, f"{name}-{kind}")
        response = page.goto(live_server.url + "/no/such/page/")
        assert response.status == 404 and page.get_by_role("heading", name="Page not found").is_visible()
        check_layout(page, kind)
        screenshot(page, f"404-{kind}")

        log_in(page, live_server.url, "moderator", demo_passwords["moderator"])
        page.goto(live_server.url + "/moderation/queue/pending/")
        page.get_by_text("First time commenting.").wait_for()
        assert page.get_by_text("In reply to Aiko Tanaka").is_visible()  # the question it answers
        check_layout(page, kind)

        screenshot(page, f"moderation-queue-{kind}")
        page.goto(live_server.url + "/moderation/queue/reported/")
        assert page.get_by_text("In reply to").count() == 0  # a top-level comment: nothing it answers
        check_layout(page, kind)
    finally:
        context.close()


def test_on_a_phone_search_is_a_link_and_the_current_section_and_tab_stay_in_view(
    live_server, browser, demo_passwords
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "moderator", demo_passwords["moderator"])
        page.goto(live_server.url + "/section/culture/")
        assert not page.locator(".site-search").is_visible()
        current = page.locator('.site-nav a[aria-current="page"]')
        wait_until(lambda: page.locator(".site-nav ul").evaluate("list => list.scrollLeft") > 0)
        box, bar = current.bounding_box(), page.locator(".site-nav ul").bounding_box()
        assert bar["x"] <= box["x"] and box["x"] + box["width"] <= bar["x"] + bar["width"]
        page.goto(live_server.url + "/moderation/queue/rejected/")  # as moderator: the last tab, in view
        tab = page.locator('.queue-tabs a[aria-current="page"]').bounding_box()
        tabs = page.locator(".queue-tabs ul").bounding_box()
        assert tabs["x"] <= tab["x"] and tab["x"] + tab["width"] <= tabs["x"] + tabs["width"]
        page.get_by_role("link", name="Search articles").click()
        page.wait_for_url(re.compile(r"/search/$"))
        assert page.get_by_role("searchbox").is_visible()
    finally:
        context.close()
