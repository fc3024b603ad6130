"""A publisher's page on another port embeds a discussion; a reader logs in and comments in the iframe.

The publisher is served by http.server on 127.0.0.1 and the snippet points at the live
server on 127.0.0.1 too: same site (ports do not count), so the default SameSite=Lax
cookies reach the iframe, as they do in development.  In production the publisher is
another site, and the cookies must be SameSite=None; Secure (embed/README.md).
"""

import functools
import http.server
import threading

import pytest

from discussions.models import Comment, Thread
from discussions.tests.conftest import make_user
from tests.browser.plugin import csp_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLISHER_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Harbour talks resume | The Harbour Gazette</title></head>
<body style="font-family: sans-serif; max-width: 50rem; margin: 1rem auto">
  <h1>Harbour talks resume</h1>
  <p>Negotiators met at the harbour office on Monday.</p>
  <h2>Your comments</h2>
  <div data-agora-story="{story}"></div>
  <h2>More on the harbour</h2>
  <div data-agora-story="{story}-follow-up" data-agora-title="Harbour talks: what next"></div>
  <script src="{agora}/embed.js" async></script>
</body>
</html>
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(autouse=True)
def no_live_streams(settings):
    # An open Server-Sent Events stream holds a server thread (and its database connection)
    # past the test; live updates are the discussions app's to test.
    settings.EMBED_LIVE_UPDATES = False


@pytest.fixture
def publisher(tmp_path):
    """A static site on its own port; yields (base_url, write_page)."""
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def write_page(name: str, html: str) -> str:
        (tmp_path / name).write_text(html, encoding="utf-8")
        return f"{base}/{name}"

    yield base, write_page
    server.shutdown()
    server.server_close()


def agora_url(live_server) -> str:
    # The live server listens on localhost; use the same host name as the publisher (127.0.0.1).
    return live_server.url.replace("://localhost:", "://127.0.0.1:")


IFRAME = "iframe[title='Comments']"


def wait_until_fitted(page) -> float:
    """Wait until the first iframe is exactly as tall as the page inside it; return that height."""
    inner_frame = page.locator(IFRAME).first.element_handle().content_frame()
    inner = inner_frame.evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)")
    page.wait_for_function(
        "([selector, height]) => Math.abs(document.querySelector(selector).offsetHeight - height) <= 1",
        arg=[IFRAME, inner],
    )
    return inner


def test_reader_logs_in_and_comments_inside_the_iframe(live_server, page, publisher):
    make_user("alice", display_name="Alice Martin")
    base, write_page = publisher
    story = f"{base}/news/harbour-talks"
    url = write_page("story.html", PUBLISHER_PAGE.format(story=story, agora=agora_url(live_server)))

    page.goto(url)
    page.locator(IFRAME).first.wait_for()
    assert page.locator(IFRAME).count() == 2  # several embeds on one page
    frame = page.frame_locator(IFRAME).first
    frame.get_by_role("heading", name="Discussion").wait_for()
    assert frame.get_by_text("No comments yet").is_visible()
    page.frame_locator(IFRAME).nth(1).get_by_role("heading", name="Discussion").wait_for()
    assert dict(Thread.objects.values_list("url", "title")) == {
        story: "Harbour talks resume | The Harbour Gazette",
        f"{story}-follow-up": "Harbour talks: what next",
    }
    before = wait_until_fitted(page)

    frame.get_by_role("link", name="Log in").click()
    frame.get_by_label("Username").fill("alice")
    frame.get_by_label("Password").fill("a-long-test-password-1")
    frame.get_by_role("button", name="Log in").click()
    frame.get_by_text("Signed in as").wait_for()
    assert page.url == url  # the publisher's page never moved

    frame.get_by_label("Your comment").fill("Good to see the **talks** moving again.")
    frame.get_by_role("button", name="Post comment").click()
    comment = frame.locator("article.comment").filter(has_text="Good to see the talks moving again.")
    comment.wait_for()
    assert comment.locator("strong").inner_text() == "talks"
    assert frame.get_by_text("Your comment is published.").is_visible()
    assert Comment.objects.get().author.username == "alice"

    # The iframe grew with the form and the new comment, and still fits: no inner scrollbar.
    after = wait_until_fitted(page)
    assert after > before
    comment.scroll_into_view_if_needed()
    screenshot(page, "embed-publisher-page")


def test_a_page_on_a_site_not_on_the_list_cannot_frame_the_discussion(live_server, page, publisher, settings):
    # Stories on localhost are allowed, but only pages on localhost may frame them.
    settings.EMBED_ALLOWED_DOMAINS = ["localhost"]
    base, write_page = publisher
    html = PUBLISHER_PAGE.format(story="http://localhost/news/harbour-talks", agora=live_server.url)
    url = write_page("story.html", html)
    with page.expect_response(lambda r: "/embed/discussions/threads/" in r.url) as framed:
        page.goto(url)
    assert "frame-ancestors 'self' localhost:*" in framed.value.headers["content-security-policy"]
    frame = page.frames[1]
    for _ in range(100):  # the browser refuses the frame: Chromium shows its error page instead
        if frame.url.startswith("chrome-error://"):
            break
        page.wait_for_timeout(50)
    assert frame.url.startswith("chrome-error://")
    assert frame.locator("#discussion").count() == 0
    # The refusal is the policy's own: the only violations this page may report (tests/browser/plugin).
    assert csp_violations and all("frame-ancestors" in violation for violation in csp_violations)
    csp_violations.clear()
