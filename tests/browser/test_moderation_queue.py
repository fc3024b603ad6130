"""A moderator clears the Pending queue with the keyboard alone, then looks at the dashboard."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import MODERATORS
from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import audit
from moderation.models import AuditEntry, ModerationRule, Report
from notifications.models import Notification
from posting import actions
from tests.browser.plugin import screenshot
from tests.browser.test_discussion import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Waits through locators, not page.wait_for_function: its polling evaluates a string, which the
# Content-Security-Policy (no 'unsafe-eval') rightly refuses.
ITEMS = "[data-queue-item]"
PENDING_COUNT = "[data-queue-count=pending]"


def test_moderator_clears_the_pending_queue_with_the_keyboard(asgi_server, page):
    # The shipped rule (a data migration), again: earlier transactional tests flush the table.
    ModerationRule.objects.get_or_create(phrase="idiot*", defaults={"kind": "suspect"})
    thread = services.thread_for_article(build_article("Harbour talks resume"))
    moderator = make_user("mod", role=MODERATORS)
    first, second, third = (
        actions.post_comment(make_user(name, trusted=False), thread, text)
        for name, text in (
            ("newcomer1", "First time here: the harbour deal looks fair."),
            ("newcomer2", "Only a 1d10t would believe this report."),
            ("newcomer3", "Will the ferry timetable change?"),
        )
    )
    assert {first.status, second.status, third.status} == {"held"}

    log_in(page, asgi_server.url, "mod")
    page.goto(asgi_server.url + "/moderation/queue/pending/")
    expect(page.locator(ITEMS)).to_have_count(3)
    assert page.locator("mark", has_text="1d10t").is_visible()  # the flagged word, highlighted
    expect(page.locator("[data-queue-item]:focus")).to_have_count(1)
    screenshot(page, "moderation-queue")

    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    help_dialog.wait_for()
    page.keyboard.press("Escape")
    help_dialog.wait_for(state="hidden")

    # j to the second comment, r asks for the reason: the first on the list, Enter sends it.
    page.keyboard.press("j")
    page.keyboard.press("r")
    expect(page.locator("select[name=reason_choice]:focus")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    screenshot(page, "moderation-queue-reject")
    page.keyboard.press("Enter")
    expect(page.locator(ITEMS)).to_have_count(2)
    expect(page.locator(PENDING_COUNT)).to_have_text(
        re.compile(r"^2\b")
    )  # the tab's counter follows each decision
    # The third is now current: approve it, then the first.
    page.keyboard.press("a")
    expect(page.locator(ITEMS)).to_have_count(1)
    expect(page.locator(PENDING_COUNT)).to_have_text(re.compile(r"^1\b"))
    page.keyboard.press("a")
    expect(page.locator(ITEMS)).to_have_count(0)
    expect(page.locator(PENDING_COUNT)).to_have_text(re.compile(r"^0\b"))
    assert page.get_by_text("Nothing waiting in this queue.").is_visible()

    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert (statuses[first.pk], statuses[second.pk], statuses[third.pk]) == (
        "published",
        "rejected",
        "published",
    )
    entries = list(AuditEntry.objects.order_by("id").values_list("actor", "action", "target_id", "reason"))
    assert entries == [
        (moderator.pk, "reject_comment", str(second.pk), "it is abusive or insulting"),
        (moderator.pk, "approve_comment", str(third.pk), ""),
        (moderator.pk, "approve_comment", str(first.pk), ""),
    ]
    assert "it is abusive or insulting" in Notification.objects.get(recipient=second.author).text

    # Live: a comment held while the page is open is announced, not inserted, at once: the event
    # stream makes the page look well before its next 15-second poll.
    actions.post_comment(make_user("newcomer4", trusted=False), thread, "Late to the discussion.")
    news = page.get_by_role("link", name="1 new item — show")
    news.wait_for(timeout=10_000)
    expect(page.locator(PENDING_COUNT)).to_have_text(
        re.compile(r"^1\b")
    )  # and the counter, from the same event
    news.click()
    expect(page.locator(ITEMS)).to_have_count(1)
    assert page.get_by_text("Late to the discussion.").is_visible()
    # Something for every figure of the dashboard: reports, and a heat-guard switch.
    for reporter in ("reader1", "reader2"):
        Report.objects.create(comment=first, reporter=make_user(reporter), reason="off_topic")
    audit.record(None, "heat_guard_on", thread, "5 of 8 new comments flagged", mode="premoderated")
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="Moderation dashboard").wait_for()
    screenshot(page, "moderation-dashboard")
