"""A reader appeals a rejected comment from its notice; another moderator upholds it.  And a moderator
orders Pending by score and approves the rest of the page below a score."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import MODERATORS
from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import services as moderation
from moderation.models import Appeal, ModerationDecision
from notifications.models import Notification
from posting import actions
from tests.browser.plugin import screenshot, wait_until
from tests.browser.test_discussion import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOXIC = "You are a stupid worthless piece of shit, shut up"
PHONE = {"width": 390, "height": 844}


def test_a_reader_appeals_a_rejection_and_another_moderator_upholds_it(asgi_server, browser):
    thread = services.thread_for_article(build_article("Harbour talks resume"))
    alice = make_user("alice", display_name="Alice Martin")
    first = make_user("mod", role=MODERATORS)
    make_user("mod2", role=MODERATORS)
    comment = actions.post_comment(alice, thread, TOXIC)
    moderation.reject(first, comment, "Personal abuse is not allowed here.")
    wait_until(lambda: Notification.objects.filter(recipient=alice).exists())
    base = asgi_server.url

    reader = browser.new_context(viewport={"width": 1100, "height": 900})
    page = reader.new_page()
    try:
        log_in(page, base, "alice")
        page.goto(base + "/notifications/")
        expect(
            page.get_by_text("Your comment was not published: Personal abuse is not allowed here.")
        ).to_be_visible()
        screenshot(page, "appeal-notice")
        page.get_by_role("link", name="Appeal this decision").click()
        page.wait_for_url(re.compile(r"/moderation/appeal/decision/\d+/$"))
        expect(page.get_by_role("heading", name="Appeal a decision")).to_be_visible()
        expect(page.get_by_text("Held by the toxicity check")).to_be_visible()  # the statement of reasons
        expect(page.get_by_role("link", name="community guidelines", exact=True)).to_be_visible()
        screenshot(page, "appeal-form")
        page.set_viewport_size(PHONE)
        screenshot(page, "appeal-form-phone")
        page.get_by_label("Why should the decision change?").fill("I was quoting the minister's own words.")
        page.get_by_role("button", name="Send appeal").click()
        expect(page.get_by_text("Your appeal is sent.")).to_be_visible()
        expect(page.get_by_text("Waiting for a moderator")).to_be_visible()
        expect(page.get_by_role("button", name="Send appeal")).to_have_count(0)  # once
        screenshot(page, "appeal-sent-phone")
    finally:
        reader.close()
    assert Appeal.objects.get().statement == "I was quoting the minister's own words."

    moderators = browser.new_context(viewport={"width": 1100, "height": 900})
    page = moderators.new_page()
    try:
        log_in(page, base, "mod")  # the first decider: told someone else must decide
        page.goto(base + "/moderation/queue/appeals/")
        expect(page.get_by_text("Another moderator must decide this appeal")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Uphold"))).to_have_count(0)
        page.context.clear_cookies()
        log_in(page, base, "mod2")
        page.goto(base + "/moderation/queue/appeals/")
        expect(page.get_by_text("I was quoting the minister's own words.")).to_be_visible()
        screenshot(page, "appeals-queue")
        page.set_viewport_size(PHONE)
        screenshot(page, "appeals-queue-phone")
        page.get_by_label("Reason (optional; the reader is told it)").fill("A quotation, fairly used.")
        page.get_by_role("button", name="Uphold: publish the comment").click()
        expect(page.locator("[data-queue-item]")).to_have_count(0)  # it left the queue in place
        expect(page.locator("[data-queue-count=appeals]")).to_have_text(re.compile(r"^0\b"))
    finally:
        moderators.close()
    assert Comment.objects.get(pk=comment.pk).status == "published"
    wait_until(
        lambda: Notification.objects.filter(
            recipient=alice, text__startswith="Your appeal was upheld"
        ).exists()
    )


def test_a_moderator_orders_pending_by_score_and_approves_the_rest_below_it(asgi_server, page, settings):
    thread = services.thread_for_article(build_article("Harbour talks resume"))
    make_user("mod", role=MODERATORS)
    for name, text in (
        ("newcomer1", "First time here: the harbour deal looks fair."),
        ("newcomer2", TOXIC),
        ("newcomer3", "Will the ferry timetable change?"),
    ):
        actions.post_comment(make_user(name, trusted=False), thread, text)
    risks = {
        d.comment.author.username: max(d.scores["toxicity"], d.scores["identity_attack"])
        for d in ModerationDecision.objects.select_related("comment__author")
    }
    assert risks["newcomer2"] > 0.5 > max(risks["newcomer1"], risks["newcomer3"])

    log_in(page, asgi_server.url, "mod")
    page.goto(asgi_server.url + "/moderation/queue/pending/")
    page.get_by_role("link", name="Most likely to break the guidelines").click()
    page.wait_for_url(re.compile(r"order=score"))
    expect(page.locator(".queue-item__title").first).to_have_text("Comment by newcomer2")
    screenshot(page, "pending-by-score")
    page.get_by_label("Approve every comment here scoring under").fill("0.5")
    page.get_by_role("button", name="Approve below this score…").click()
    expect(page.get_by_role("heading", name="Approve 2 comments?")).to_be_visible()
    screenshot(page, "approve-below-confirm")
    page.get_by_role("button", name="Approve 2 comments").click()
    page.wait_for_url(re.compile(r"/moderation/queue/pending/\?order=score"))
    expect(page.get_by_text("Approved 2 comments scoring under 0.50.")).to_be_visible()
    expect(page.locator("[data-queue-item]")).to_have_count(1)
    page.set_viewport_size(PHONE)
    screenshot(page, "pending-by-score-phone")
    assert Comment.objects.filter(status="held").get().author.username == "newcomer2"

    # A spot check: every automatic publish is sampled here; the moderator judges it "fine" with `a`.
    settings.MODERATION_AUDIT_SHARE = 1.0
    actions.post_comment(make_user("regular"), thread, "The harbour deal is fine by me.")
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(asgi_server.url + "/moderation/queue/audit/")
    expect(page.get_by_role("button", name=re.compile("^Fine"))).to_be_visible()
    screenshot(page, "audit-queue")
    page.keyboard.press("a")
    expect(page.locator("[data-queue-item]")).to_have_count(0)
    page.goto(asgi_server.url + "/moderation/dashboard/")
    expect(page.locator("[data-figure=leak]")).to_have_text("0.0%")
    expect(page.locator("[data-figure=false-holds]")).to_have_text("100.0%")
    screenshot(page, "dashboard-rates")
