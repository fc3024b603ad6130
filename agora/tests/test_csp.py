"""A Content-Security-Policy on every page (agora.middleware.csp), pages that need nothing it forbids,
and HSTS preload only when asked for.  tests/browser checks in Chromium that nothing is blocked."""

import re

import pytest
from django.conf import settings
from django.test import Client

from accounts.roles import EDITORS, MODERATORS
from discussions.tests.conftest import make_user
from embed.tests.conftest import open_story
from embed.tests.test_embed_pages import _production_setting
from posting import actions

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\s(?:on[a-z]+|hx-on[:a-z-]*)=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle=", re.I)


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


@pytest.fixture
def pages(alice, article, thread) -> list[tuple[Client, str]]:
    """A page of every kind, each with the reader who sees the most of it."""
    root = actions.post_comment(alice, thread, "A root comment")
    actions.post_comment(make_user("bob2"), thread, "A reply", parent=root)
    reader, moderator, editor = Client(), Client(), Client()
    reader.force_login(alice)
    moderator.force_login(make_user("mod", role=MODERATORS))
    editor.force_login(make_user("eddie", role=EDITORS, is_staff=True, is_superuser=True))
    anonymous = Client()
    return [
        (anonymous, "/"),
        (anonymous, article.get_absolute_url()),
        (reader, article.get_absolute_url()),
        (reader, f"/discussions/comments/{root.pk}/"),
        (reader, f"/discussions/comments/{root.pk}/reply/"),
        (reader, f"/discussions/comments/{root.pk}/edit/"),
        (anonymous, "/section/world/"),
        (anonymous, "/search/?q=harbour"),
        (anonymous, "/accounts/login/"),
        (anonymous, "/accounts/signup/"),
        (reader, "/accounts/"),
        (moderator, "/moderation/queue/pending/"),
        (moderator, "/moderation/dashboard/"),
        (editor, "/commenting/"),
        (editor, f"/preview/{article.pk}/"),
        (editor, "/admin/"),
        (editor, f"/admin/articles/article/{article.pk}/change/"),
        (anonymous, "/api/v1/docs"),
        (anonymous, "/feeds/latest.rss"),
    ]


def test_every_page_has_a_policy_that_allows_no_inline_code(pages):
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = directives(response)
        assert policy["default-src"] == "'self'", url
        assert policy["script-src"] == "'self'", url
        assert policy["style-src"] == "'self'", url
        assert policy["object-src"] == policy["base-uri"] == "'none'", url
        assert policy["frame-ancestors"] == "'none'", url
        assert policy["form-action"] == "'self'", url


def test_no_page_holds_inline_scripts_handlers_or_styles(pages):
    for client, url in pages:
        html = client.get(url).content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert not STYLE_ATTRIBUTE.search(html), url


def test_cached_pages_carry_the_policy_too(article):
    client = Client()
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    hit = client.get(article.get_absolute_url())
    assert hit["X-Page-Cache"] == "hit" and directives(hit)["script-src"] == "'self'"


def test_embed_pages_keep_their_frame_ancestors(client):
    thread_page = client.get(open_story(client)["Location"])
    policy = directives(thread_page)
    assert policy["frame-ancestors"].startswith("'self'") and "127.0.0.1" in policy["frame-ancestors"]
    assert policy["script-src"] == "'self'" and policy["object-src"] == "'none'"
    assert not INLINE_SCRIPT.search(thread_page.content.decode())


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(article):
    html = Client().get(article.get_absolute_url()).content.decode()
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html


def test_hsts_preload_is_off_unless_configured():
    assert _production_setting("SECURE_HSTS_PRELOAD") == "False"
    assert _production_setting("SECURE_HSTS_PRELOAD", SECURE_HSTS_PRELOAD="true") == "True"
    assert _production_setting("SECURE_HSTS_SECONDS") == str(60 * 60 * 24 * 365)
    assert not settings.SECURE_HSTS_PRELOAD
