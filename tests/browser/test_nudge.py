"""A commenter is nudged before posting an insult: edits it and posts, or posts anyway (held for review).

The texts are scored by the shipped classifier: INSULT about 0.91 (insult head 1.0), CIVIL about 0.09.
"""

import pytest

from articles.tests.conftest import build_article
from discussions.models import Comment, Nudge
from discussions.tests.conftest import make_user
from tests.browser.plugin import screenshot
from tests.browser.test_discussion import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INSULT = "What a stupid argument."
CIVIL = "I disagree with this argument: the harbour figures are from last year."
WARNING = "Your comment may break our community guidelines: it looks like an insult."


def test_a_nudge_leads_to_an_edit_or_a_held_comment(live_server, page):
    article = build_article("Harbour talks resume")
    make_user("dana", display_name="Dana Reyes", trusted=True)  # an established commenter
    base = live_server.url
    log_in(page, base, "dana")
    page.goto(base + article.get_absolute_url())

    # A refusal comes back in place too (htmx swaps 4xx answers of this form).
    page.get_by_role("button", name="Post comment").click()
    page.get_by_role("alert").filter(has_text="Write something before posting").wait_for()
    assert page.url == base + article.get_absolute_url()

    # The insulting draft comes back in place (htmx), with the kind named and the draft kept.
    box = page.get_by_label("Your comment")
    box.fill(INSULT)
    page.get_by_role("button", name="Post comment").click()
    alert = page.get_by_role("alert").filter(has_text=WARNING)
    alert.wait_for()
    assert page.get_by_role("alert").count() == 1  # the refusal's message is gone with the old form
    assert page.url == base + article.get_absolute_url()  # still the article: the form swapped in place
    assert box.input_value() == INSULT
    assert alert.get_by_role("link", name="Read our community guidelines").is_visible()
    assert page.get_by_role("button", name="Post anyway").is_visible()
    assert Comment.objects.count() == 0
    screenshot(page, "nudge")

    # Edited to a civil one, it is published, and shown beside the box (the page stays).
    box.fill(CIVIL)
    page.get_by_role("button", name="Post comment").click()
    page.get_by_text("Your comment is published.").wait_for()
    published = Comment.objects.get()
    assert published.status == Comment.Status.PUBLISHED
    assert page.url == base + article.get_absolute_url()
    assert page.locator(f"#posted-c{published.pk}").get_by_text(CIVIL).is_visible()
    assert Nudge.objects.get().outcome == "edited"

    # The second path: nudged again, posted anyway, and waiting for review.
    page.goto(base + article.get_absolute_url())
    page.get_by_label("Your comment").fill(INSULT)
    page.get_by_role("button", name="Post comment").click()
    page.get_by_role("alert").wait_for()
    page.get_by_role("button", name="Post anyway").click()
    page.get_by_text("waiting for review").wait_for()
    held = Comment.objects.exclude(pk=published.pk).get()
    assert held.status == Comment.Status.HELD and held.body == INSULT
    # Beside the box for its author, marked as waiting; readers do not see it.
    assert page.locator(f"#posted-c{held.pk}").get_by_text("Awaiting review").is_visible()
    assert Nudge.objects.filter(outcome="posted_anyway", comment=held).exists()
    screenshot(page, "nudge-held")


def test_without_javascript_the_compose_page_carries_the_nudge(live_server, browser):
    article = build_article("Harbour talks resume")
    make_user("dana", trusted=True)
    base = live_server.url
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    try:
        log_in(page, base, "dana")
        page.goto(base + article.get_absolute_url())
        page.get_by_label("Your comment").fill(INSULT)
        page.get_by_role("button", name="Post comment").click()
        page.wait_for_load_state()
        assert page.url.endswith("/post/")  # the compose page, with the draft and the warning
        assert WARNING in page.get_by_role("alert").inner_text()
        assert page.get_by_label("Your comment").input_value() == INSULT
        screenshot(page, "nudge-no-js")
        page.get_by_role("button", name="Post anyway").click()
        page.wait_for_load_state()
        assert page.get_by_text("waiting for review").is_visible()
        assert Comment.objects.get().status == Comment.Status.HELD
    finally:
        context.close()


def test_an_edit_is_nudged_before_it_is_saved(live_server, page):
    article = build_article("Harbour talks resume")
    make_user("dana", trusted=True)
    base = live_server.url
    log_in(page, base, "dana")
    page.goto(base + article.get_absolute_url())
    page.get_by_label("Your comment").fill(CIVIL)
    page.get_by_role("button", name="Post comment").click()
    page.get_by_text("Your comment is published.").wait_for()
    comment = Comment.objects.get()

    page.goto(f"{base}/discussions/comments/{comment.pk}/edit/")
    page.get_by_label("Your comment").fill(INSULT)
    page.get_by_role("button", name="Save changes").click()
    alert = page.get_by_role("alert").filter(has_text=WARNING)
    alert.wait_for()
    assert alert.get_by_text("Before you save:").is_visible()
    assert page.get_by_label("Your comment").input_value() == INSULT
    screenshot(page, "nudge-edit")
    comment.refresh_from_db()
    assert comment.body == CIVIL  # nothing saved yet

    page.get_by_role("button", name="Save anyway").click()
    page.get_by_text("waiting for review").wait_for()  # held: back to the discussion, which says why
    comment.refresh_from_db()
    assert (comment.body, comment.status) == (INSULT, Comment.Status.HELD)
