"""The embed through HTTP: which stories get a thread, the framing headers, and staying inside the iframe."""

import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.core.checks import run_checks
from django.urls import reverse

import discussions.urls
from articles.models import Article
from articles.tests.conftest import build_article
from discussions.models import Comment, Thread
from discussions.tests.conftest import make_user
from embed import stories
from embed.tests.conftest import STORY, local_targets, open_story
from embed.urls import discussion_urls
from moderation.models import Report
from posting import actions

pytestmark = pytest.mark.django_db

FRAME_ANCESTORS = "frame-ancestors 'self' 127.0.0.1:* localhost:*"


def frame_ancestors(response) -> str:
    """The frame-ancestors directive of the response's policy (agora.middleware.csp sets the rest)."""
    policy = response.get("Content-Security-Policy", "")
    return next((d.strip() for d in policy.split(";") if d.strip().startswith("frame-ancestors")), "")


def assert_frameable(response):
    assert frame_ancestors(response) == FRAME_ANCESTORS
    assert "X-Frame-Options" not in response


def thread_page_url(thread: Thread) -> str:
    return f"/embed/discussions/threads/{thread.pk}/"


# --- Which stories get a thread ----------------------------------------------------


def test_first_view_creates_the_thread_with_its_title_and_shows_it(client):
    response = open_story(client, title="  Harbour talks\n resume   ")
    thread = Thread.objects.get()
    assert (thread.url, thread.title, thread.article_id) == (STORY, "Harbour talks resume", None)
    assert response.status_code == 302
    assert response["Location"] == thread_page_url(thread)
    assert_frameable(response)

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Comments on “Harbour talks resume”" in html
    assert 'id="discussion"' in html and "No comments yet" in html
    assert "site-header" not in html and "site-footer" not in html  # no site chrome in the iframe


def test_the_same_story_keeps_one_thread(client):
    open_story(client)
    for variant in (STORY, "HTTP://127.0.0.1:8001/news/harbour-talks#comments", f"  {STORY} "):
        response = open_story(client, url=variant, title="A different title")
        assert response.status_code == 302
    thread = Thread.objects.get()
    assert thread.title == "Harbour talks resume"  # the first title stays
    assert response["Location"] == thread_page_url(thread)


def test_a_thread_first_seen_without_title_takes_the_next_one(client):
    open_story(client, title="")
    open_story(client, title="Harbour talks resume")
    assert Thread.objects.get().title == "Harbour talks resume"


def test_an_ingested_articles_canonical_url_uses_the_articles_thread(client):
    article = build_article("Harbour talks resume", canonical_url=STORY)
    response = open_story(client)
    thread = Thread.objects.get()
    assert thread.article_id == article.pk and thread.url is None
    assert response["Location"] == thread_page_url(thread)


def test_our_own_article_page_uses_the_articles_thread(client):
    article = build_article("Harbour talks resume")
    response = open_story(client, url=settings.SITE_URL + article.get_absolute_url())
    assert response.status_code == 302
    assert Thread.objects.get().article_id == article.pk


def test_an_unpublished_article_has_no_discussion_yet(client):
    build_article("Harbour talks resume", canonical_url=STORY, status=Article.Status.DRAFT)
    response = open_story(client)
    assert response.status_code == 404
    assert stories.NO_DISCUSSION in response.content.decode()
    assert not Thread.objects.exists()


# --- What is refused -------------------------------------------------------------------


def test_a_story_on_a_site_not_on_the_list_is_refused(client):
    response = open_story(client, url="https://news.elsewhere.example/story")
    assert response.status_code == 403
    html = response.content.decode()
    assert "news.elsewhere.example is not one of the sites allowed" in html
    assert "site-header" not in html
    assert_frameable(response)  # the explanation shows in the publisher's iframe
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "No story address was given"),
        ("ftp://127.0.0.1/story", "not a web address"),
        ("javascript:alert(1)", "not a web address"),
        ("/news/harbour-talks", "not a web address"),
        ("http://127.0.0.1:99999/story", "not a web address"),
        ("http://reader:secret@127.0.0.1/story", "must not contain a user name"),
        ("http://127.0.0.1/" + "a" * 500, "too long"),
    ],
)
def test_a_bad_story_address_is_refused(client, url, message):
    response = open_story(client, url=url)
    assert response.status_code == 403
    assert message in response.content.decode()
    assert not Thread.objects.exists()


def test_a_leading_dot_admits_the_domain_and_its_subdomains(client, settings):
    settings.EMBED_ALLOWED_DOMAINS = [".example.org", "Partner.example.net"]
    for url in ("https://example.org/a", "https://news.example.org/b", "https://PARTNER.example.net/c"):
        response = open_story(client, url=url)
        assert response.status_code == 302, url
    for url in (
        "https://badexample.org/a",
        "https://example.org.evil.test/a",
        "https://other.example.net/a",
        "http://127.0.0.1/a",
    ):
        assert open_story(client, url=url).status_code == 403, url
    assert Thread.objects.count() == 3
    assert frame_ancestors(response) == (
        "frame-ancestors 'self' example.org:* *.example.org:* partner.example.net:*"
    )


def test_starting_threads_is_rate_limited_per_address(client, settings):
    settings.EMBED_THREAD_CREATES_PER_HOUR = 1
    assert open_story(client).status_code == 302
    refused = open_story(client, url=STORY + "-2")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many new discussions" in refused.content.decode()
    assert open_story(client).status_code == 302  # an existing thread is never limited
    assert Thread.objects.count() == 1


def test_malformed_allow_list_entries_fail_the_system_check(settings):
    settings.EMBED_ALLOWED_DOMAINS = [
        "example.org",
        "https://example.org",
        "*.example.org",
        "x; script-src *",
    ]
    errors = [e for e in run_checks() if e.id == "embed.E001"]
    assert len(errors) == 1
    assert "'https://example.org'" in errors[0].msg and "'x; script-src *'" in errors[0].msg


# --- Framing headers -------------------------------------------------------------------


def test_embed_pages_are_frameable_by_allowed_publishers_only(client, alice, story_thread):
    comment = actions.post_comment(alice, story_thread, "First!")
    pages = [
        open_story(client),
        client.get(thread_page_url(story_thread)),
        client.get(f"/embed/discussions/comments/{comment.pk}/"),
        client.get("/embed/accounts/login/"),
        client.get("/embed/accounts/signup/"),
        client.get("/embed/discussions/comments/999999/"),
    ]
    for response in pages:
        assert_frameable(response)
    assert pages[-1].status_code == 404 and "Not available" in pages[-1].content.decode()


def test_the_rest_of_the_site_still_refuses_to_be_framed(client, story_thread):
    open_story(client)  # an embed request first: nothing of it may leak into later requests
    article = build_article("Harbour talks resume")
    for url in ("/", article.get_absolute_url(), "/accounts/login/", "/accounts/signup/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Frame-Options"] == "DENY", url
        assert frame_ancestors(response) == "frame-ancestors 'none'", url
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'href="/accounts/login/?next=' in html and "/embed/" not in html
    assert reverse("accounts:login") == "/accounts/login/"


def test_the_script_is_served_at_the_root_and_under_embed(client):
    for url in ("/embed.js", "/embed/embed.js"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/javascript")
        assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert b"data-agora-story" in response.content and b"event.origin !== origin" in response.content


# --- Staying inside the iframe ------------------------------------------------------------


def test_every_discussion_route_has_an_embed_twin():
    assert {route.name for route in discussion_urls} == {route.name for route in discussions.urls.urlpatterns}


def test_anonymous_readers_log_in_and_sign_up_inside_the_embed(client, story_thread):
    html = client.get(thread_page_url(story_thread)).content.decode()
    next_param = f"?next=/embed/discussions/threads/{story_thread.pk}/%23discussion"
    assert f'href="/embed/accounts/login/{next_param}"' in html
    assert f'href="/embed/accounts/signup/{next_param}"' in html
    assert all(path.startswith(("/embed/", "/static/")) or path == "/" for path in local_targets(html))


def test_every_link_and_form_of_a_busy_thread_stays_in_the_embed(client, alice, story_thread):
    bob = make_user("bob")
    root = actions.post_comment(alice, story_thread, "A point, @bob.")
    actions.post_comment(bob, story_thread, "A reply", parent=root)
    client.force_login(alice)
    html = client.get(thread_page_url(story_thread)).content.decode()
    targets = local_targets(html)
    assert f"/embed/discussions/threads/{story_thread.pk}/post/" in targets
    assert f"/embed/discussions/comments/{root.pk}/edit/" in targets
    assert "/embed/accounts/logout/" in targets
    leaving = {path for path in targets if not path.startswith(("/embed/", "/static/"))}
    # The site itself and readers' profiles open in a new tab (frame.js); nothing else leaves.
    assert leaving == {"/", "/accounts/people/alice/", "/accounts/people/bob/"}


def test_logging_in_returns_to_the_discussion(client, alice, story_thread):
    back = thread_page_url(story_thread) + "#discussion"
    page = client.get("/embed/accounts/login/", {"next": back})
    html = page.content.decode()
    assert 'action="/embed/accounts/login/"' in html and f'value="{back}"' in html
    response = client.post(
        "/embed/accounts/login/", {"username": "alice", "password": "a-long-test-password-1", "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    assert 'id="comment-form"' in client.get(thread_page_url(story_thread)).content.decode()


@pytest.mark.parametrize(
    "next_url", ["/", "/accounts/", "/embed/../accounts/", "https://evil.test/embed/x", "//evil.test/embed/"]
)
def test_logging_in_never_leaves_the_embed(client, alice, next_url):
    response = client.post(
        "/embed/accounts/login/",
        {"username": "alice", "password": "a-long-test-password-1", "next": next_url},
    )
    assert response.status_code == 302 and response["Location"] == "/embed/accounts/login/"
    assert "You are logged in as Alice Martin" in client.get(response["Location"]).content.decode()


def test_signing_up_inside_the_embed_uses_the_sites_sign_up(client, story_thread):
    back = thread_page_url(story_thread)
    form = {
        "username": "carol",
        "email": "carol@example.org",
        "password1": "a-long-test-password-1",
        "password2": "a-long-test-password-1",
        "next": back,
    }
    bad = client.post("/embed/accounts/signup/", {**form, "password2": "something-else-entirely"})
    assert bad.status_code == 400
    assert "site-header" not in bad.content.decode() and 'class="error"' in bad.content.decode()
    response = client.post("/embed/accounts/signup/", form)
    assert response.status_code == 302 and response["Location"] == back
    assert [m.to for m in mail.outbox] == [["carol@example.org"]]  # the confirmation link
    page = client.get(back).content.decode()
    assert "Signed in as" not in page and "We have sent a link to carol@example.org" in page


def test_logging_out_returns_to_the_discussion(client, alice, story_thread):
    client.force_login(alice)
    back = thread_page_url(story_thread)
    response = client.post("/embed/accounts/logout/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert "Log in</a>" in client.get(back).content.decode()


# --- Posting inside the iframe ----------------------------------------------------------


def test_posting_returns_to_the_discussion_at_the_new_comment(client, alice, story_thread):
    client.force_login(alice)
    html = client.get(thread_page_url(story_thread)).content.decode()
    key = re.search(r'name="client_key" value="([0-9a-f]+)"', html).group(1)
    url = f"/embed/discussions/threads/{story_thread.pk}/post/"
    response = client.post(url, {"body": "From the **publisher's** page", "client_key": key})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{thread_page_url(story_thread)}#posted"
    assert_frameable(response)
    client.post(url, {"body": "From the **publisher's** page", "client_key": key})  # a double submit
    assert Comment.objects.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "<strong>publisher's</strong>" in page and "Your comment is published." in page
    assert f'id="posted-c{comment.pk}"' in page

    reply = client.post(url, {"body": "Replying to myself", "parent": str(comment.pk)})
    new = Comment.objects.latest("id")
    assert reply["Location"] == f"{thread_page_url(story_thread)}#posted"
    page = client.get(reply["Location"]).content.decode()
    assert "Your reply is published." in page and "Replying to myself" in page
    assert f'href="/embed/discussions/comments/{new.pk}/#c{new.pk}">See it in the conversation' in page


def test_a_refused_comment_is_explained_inside_the_embed(client, story_thread):
    client.force_login(make_user("newcomer", verified=False))
    response = client.post(f"/embed/discussions/threads/{story_thread.pk}/post/", {"body": "Hello"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Confirm your email address" in html and "Hello" in html
    assert "site-header" not in html
    assert f'action="/embed/discussions/threads/{story_thread.pk}/post/"' in html
    assert_frameable(response)
    assert not Comment.objects.exists()


def test_posting_anonymously_leads_to_the_embed_login(client, story_thread):
    response = client.post(f"/embed/discussions/threads/{story_thread.pk}/post/", {"body": "Hello"})
    assert response.status_code == 302
    assert response["Location"].startswith("/embed/accounts/login/?next=/embed/")


def test_reply_form_fragment_posts_into_the_embed(client, alice, story_thread):
    comment = actions.post_comment(alice, story_thread, "A point")
    client.force_login(make_user("bob"))
    response = client.get(f"/embed/discussions/comments/{comment.pk}/reply/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'action="/embed/discussions/threads/{story_thread.pk}/post/"' in html
    assert f'name="parent" value="{comment.pk}"' in html


def test_reacting_without_javascript_returns_to_the_conversation(client, alice, story_thread):
    comment = actions.post_comment(alice, story_thread, "A point")
    client.force_login(make_user("bob"))
    response = client.post(f"/embed/discussions/comments/{comment.pk}/react/")
    assert response.status_code == 302
    assert response["Location"] == f"/embed/discussions/comments/{comment.pk}/#c{comment.pk}"
    assert_frameable(response)
    comment.refresh_from_db()
    assert comment.reaction_count == 1


def test_reporting_a_comment_inside_the_embed(client, alice, story_thread):
    comment = actions.post_comment(alice, story_thread, "A point")
    client.force_login(make_user("bob"))
    report_url = f"/embed/moderation/comments/{comment.pk}/report/"
    assert f'href="{report_url}"' in client.get(thread_page_url(story_thread)).content.decode()

    form = client.get(report_url)
    assert form.status_code == 200
    assert_frameable(form)
    html = form.content.decode()
    assert "site-header" not in html and "Report a comment" in html
    assert '<fieldset class="field">\n  <legend>What is wrong with this comment?</legend>' in html  # radios
    assert f'href="/embed/discussions/comments/{comment.pk}/#c{comment.pk}">Cancel' in html

    response = client.post(report_url, {"reason": "spam", "note": "An advert"})
    assert response.status_code == 302
    assert response["Location"] == f"/embed/discussions/comments/{comment.pk}/#c{comment.pk}"
    assert_frameable(response)
    report = Report.objects.get(comment=comment)
    assert (report.reporter.username, report.reason, report.note) == ("bob", "spam", "An advert")

    again = client.post(report_url, {"reason": "spam"})  # the site's rules, shown in the iframe
    assert again.status_code == 409 and "already reported" in again.content.decode()


def test_reporting_from_the_embed_asks_anonymous_readers_to_log_in_there(client, alice, story_thread):
    comment = actions.post_comment(alice, story_thread, "A point")
    response = client.get(f"/embed/moderation/comments/{comment.pk}/report/")
    assert response.status_code == 302 and response["Location"].startswith("/embed/accounts/login/?next=")


def test_editing_and_deleting_inside_the_embed(client, alice, story_thread):
    comment = actions.post_comment(alice, story_thread, "A point")
    client.force_login(alice)
    edit_url = f"/embed/discussions/comments/{comment.pk}/edit/"
    assert "site-header" not in client.get(edit_url).content.decode()
    response = client.post(edit_url, {"body": "A better point"})
    assert response["Location"] == f"/embed/discussions/comments/{comment.pk}/#c{comment.pk}"
    response = client.post(f"/embed/discussions/comments/{comment.pk}/delete/")
    assert response["Location"] == thread_page_url(story_thread)
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("A better point", Comment.Status.DELETED)

    client.force_login(make_user("bob"))
    refused = client.get(edit_url)
    assert refused.status_code == 403 and "only edit your own comments" in refused.content.decode()
    assert_frameable(refused)


# --- Production cookies ------------------------------------------------------------------


def _production_setting(name: str, **env: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    base = {
        "AGORA_ENV": "production",
        "SECRET_KEY": "a-long-random-production-secret-key-for-the-embed-tests-0123456789",
        "ALLOWED_HOSTS": "agora.example.org",
        "DJANGO_SETTINGS_MODULE": "agora.settings",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_production_embed_cookies_are_samesite_none_only_when_publishers_are_configured():
    assert _production_setting("EMBED_COOKIE_SAMESITE", EMBED_ALLOWED_DOMAINS=".example.org") == "None"
    assert _production_setting("EMBED_COOKIE_SAMESITE") == "Lax"
    assert settings.EMBED_COOKIE_SAMESITE == "Lax"  # development: 127.0.0.1 on two ports is same-site


def test_live_updates_can_be_switched_off_for_embeds(client, story_thread, settings):
    assert "js/agora.js" in client.get(thread_page_url(story_thread)).content.decode()
    settings.EMBED_LIVE_UPDATES = False
    html = client.get(thread_page_url(story_thread)).content.decode()
    assert "js/agora.js" not in html and "embed/frame.js" in html
