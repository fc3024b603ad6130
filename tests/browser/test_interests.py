"""A new reader follows a topic; an article on it is ingested; the bell says so live, and the article
leads "For you".  The last test is the interests issue's whole story, with every task on the real broker."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.roles import MODERATORS
from articles.models import Article
from articles.tests.conftest import build_article
from articles.tests.ingest_support import ingest
from discussions import services
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import review
from notifications import services as notifications
from notifications import tasks
from notifications.models import Frequency, Kind, Notification
from posting import actions
from tests.browser.plugin import screenshot, wait_until
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


def test_a_new_reader_follows_syria_hears_of_idlib_and_her_reply_is_heard(
    asgi_server, browser, settings, tmp_path, through_the_broker
):
    """The interests issue's "done when", in one run: a new reader follows Syria; an article about Idlib
    is ingested; she is told, finds it first in "For you" and replies in its discussion; the reader
    she answered is told live and in his daily digest.  Every task (fan-out, reply notification,
    digest) goes through the real broker to a real worker: the embedded broker here, Redis in CI."""
    settings.LIVE_KEEPALIVE_SECONDS = 1
    build_article("Talks on Syria resume in Geneva", topics=("Syria",), hours_ago=2)
    make_user("nadia", display_name="Nadia Karam", trusted=False)  # a new reader: first replies are reviewed
    omar = make_user("omar", display_name="Omar Said")
    notifications.set_frequency(omar, Kind.REPLY, Frequency.DAILY)
    moderator = make_user("mod", role=MODERATORS)
    base = asgi_server.url
    nadia_context = browser.new_context(viewport={"width": 1100, "height": 900})
    omar_context = browser.new_context(viewport={"width": 1100, "height": 900})
    nadia, omars = nadia_context.new_page(), omar_context.new_page()
    try:
        log_in(nadia, base, "nadia")
        nadia.goto(f"{base}/topic/syria/")
        nadia.get_by_role("button", name="Follow Syria").click()
        nadia.get_by_role("button", name="Following Syria").wait_for()

        wire = tmp_path / "idlib.txt"
        wire.write_text(IDLIB_STORY, encoding="utf-8")
        ingest(wire)  # the newsroom, elsewhere; the worker tells the followers
        expect(nadia.locator("[data-bell-count]")).to_have_text("1", timeout=30000)
        idlib = Article.objects.get(headline__startswith="Aid convoy reaches Idlib")
        assert Notification.objects.get(kind=Kind.FOLLOWED).article == idlib

        nadia.get_by_role("link", name="For you").first.click()
        nadia.wait_for_url(re.compile(r"/for-you/$"))
        first = nadia.locator(".feed__item").first
        assert "Aid convoy reaches Idlib" in first.inner_text()
        assert first.locator(".feed__reason").inner_text() == "Because you follow Syria"

        thread = services.thread_for_article(idlib)
        actions.post_comment(omar, thread, "Three weeks is far too long for food to wait at a border.")
        log_in(omars, base, "omar")
        omars.goto(base + idlib.get_absolute_url())
        expect(omars.locator("a.bell")).to_have_attribute("data-unread", "0")

        first.get_by_role("link", name=re.compile("Aid convoy reaches Idlib")).click()
        nadia.wait_for_url(re.compile(re.escape(idlib.get_absolute_url())))
        omars_comment = nadia.locator("article.comment", has_text="far too long")
        omars_comment.get_by_role("link", name="Reply").click()
        answer = "The crossing closed twice this month; it is not only the wait."
        nadia.locator(".reply-slot textarea").fill(answer)
        nadia.get_by_role("button", name="Post reply").click()
        nadia.locator(".reply-slot #posted").wait_for()
        reply = Comment.objects.get(body=answer)
        assert reply.status == Comment.Status.HELD  # her first reply waits for a moderator

        review.approve(moderator, reply)  # the moderator, from the queue
        expect(omars.locator("[data-bell-count]")).to_have_text("1", timeout=30000)
        screenshot(omars, "interests-flow-reply-bell")

        tasks.compose_digests.delay("daily")  # as the scheduler queues it
        wait_until(lambda: any(m.to == [omar.email] for m in mail.outbox), timeout=30)
        (digest,) = [m for m in mail.outbox if m.to == [omar.email]]
        assert "Nadia Karam replied to your comment" in digest.body
        assert answer in digest.body
    finally:
        nadia_context.close()
        omar_context.close()
