"""Every kind of page under the Content-Security-Policy, in Chromium: nothing is blocked (the plugin fails
the test on any violation) and what scripts do still works — htmx posting, swapping a refusal into the
form, replies and reactions, the moderation queue's script, the admin's widgets, the API docs."""

import re

import pytest
from django.conf import settings
from django.test import Client

from accounts.roles import MODERATORS
from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment
from discussions.tests.conftest import make_user
from posting import actions
from tests.browser.plugin import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, user):
    """A browser context with `user`'s session (logged in through Django's test client)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


def test_reading_and_the_api_docs_run_under_the_policy(live_server, page):
    article = build_article("Harbour talks resume")
    base = live_server.url
    for path in [
        "/",
        article.get_absolute_url(),
        "/section/world/",
        "/search/?q=harbour",
        "/accounts/signup/",
    ]:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    page.goto(base + "/api/v1/docs")
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=15_000)  # rendered by its script
    screenshot(page, "csp-api-docs")


def test_posting_refusals_replies_and_reactions_work_under_the_policy(live_server, browser):
    article = build_article("Harbour talks resume")
    thread = services.thread_for_article(article)
    bob = make_user("bob")
    actions.post_comment(bob, thread, "Bob's point")
    context = signed_in(browser, live_server, make_user("carol"))
    page = context.new_page()
    try:
        page.goto(live_server.url + article.get_absolute_url())
        # Empty: refused, and said in place (htmx-config swaps 4xx answers).
        page.get_by_role("button", name="Post comment").click()
        page.get_by_text("the comment is empty").wait_for(timeout=10_000)
        assert page.url.endswith(article.get_absolute_url())

        page.get_by_role("textbox", name="Your comment").fill("A point of my own")
        page.get_by_role("button", name="Post comment").click()
        page.get_by_text("Your comment is published.").wait_for(timeout=10_000)  # shown in place
        page.goto(live_server.url + article.get_absolute_url())

        bobs = page.locator("article.comment", has_text="Bob's point")
        bobs.get_by_role("button", name=re.compile("Respect")).click()
        page.wait_for_selector('button[aria-pressed="true"]', timeout=10_000)
        bobs.get_by_role("link", name="Reply").click()  # the reply form, fetched by htmx
        reply_box = page.locator(".reply-slot form.comment-form")
        reply_box.wait_for(timeout=10_000)
        reply_box.locator("textarea[name=body]").fill("A reply to Bob")
        reply_box.get_by_role("button", name="Post reply").click()
        page.get_by_text("Your reply is published.").wait_for(timeout=10_000)
        assert Comment.objects.filter(body="A reply to Bob", parent__body="Bob's point").exists()
        screenshot(page, "csp-discussion")
    finally:
        context.close()


def test_moderators_and_editors_pages_run_under_the_policy(live_server, browser):
    article = build_article("Harbour talks resume")
    thread = services.thread_for_article(article)
    actions.post_comment(make_user("newbie", trusted=False), thread, "A first comment, held")
    for user, paths in [
        (make_user("mod", role=MODERATORS), ["/moderation/queue/pending/", "/moderation/dashboard/"]),
        (
            make_user("boss", is_staff=True, is_superuser=True),
            [
                "/commenting/",
                f"/preview/{article.pk}/",
                "/admin/",
                f"/admin/articles/article/{article.pk}/change/",
            ],
        ),
    ]:
        context = signed_in(browser, live_server, user)
        page = context.new_page()
        try:
            for path in paths:
                page.goto(live_server.url + path)
                page.wait_for_load_state("networkidle")
                assert page.title(), path
            if user.username == "mod":
                page.goto(live_server.url + "/moderation/queue/pending/")
                page.keyboard.press("?")  # the queue script's shortcuts help
        finally:
            context.close()
