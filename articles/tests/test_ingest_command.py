"""`manage.py ingest`: bad input is refused with a message and nothing written; --watch polls."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.base import CommandError

from articles.models import Article
from articles.tests.ingest_support import (
    LAST_MODIFIED,
    Route,
    closed_port,
    fixture,
    garbage_port,
    ingest,
    serve,
    silent_port,
)

RSS = "application/rss+xml"


@pytest.fixture
def existing(article_factory) -> Article:
    """An article already in the newsroom, to show that a failed ingest leaves it alone."""
    return article_factory("Harbour wall repairs begin")


def assert_refused(source: str | Path, problem: str) -> None:
    with pytest.raises(CommandError, match=problem) as raised:
        ingest(source)
    assert str(raised.value).startswith(f"{source}: ")
    assert raised.value.returncode == 1
    assert Article.objects.count() == 1, "nothing is written"


# --- Bad files ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_missing_file(existing, tmp_path) -> None:
    assert_refused(tmp_path / "nope.txt", "no such file")


@pytest.mark.django_db
@pytest.mark.parametrize("content", [b"", b"  \n\n\t \n"])
def test_empty_file(existing, tmp_path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert_refused(path, "the file is empty")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",  # an image with a .txt name
        "Headline\n\nBody text in Latin-1: caf\xe9 \xe0 la cr\xe8me.".encode("latin-1")[:10]
        + bytes(range(128, 256)),
    ],
)
def test_binary_file(existing, tmp_path, content: bytes) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(content)
    assert_refused(path, "binary data, not text")


@pytest.mark.django_db
def test_binary_file_posing_as_a_feed(existing, tmp_path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"<rss>\x00\x01\x02")
    assert_refused(path, "binary data")


@pytest.mark.django_db
def test_html_without_an_article(existing) -> None:
    assert_refused(fixture("no-article.html"), "no article found in this HTML page")


@pytest.mark.django_db
def test_malformed_feed(existing) -> None:
    assert_refused(fixture("feed-malformed.xml"), "malformed feed")


@pytest.mark.django_db
def test_file_over_the_size_limit(existing, settings) -> None:
    settings.INGEST_MAX_BYTES = 100
    assert_refused(fixture("wire-flattened.txt"), "too large: 3036 bytes, the limit is 100")


@pytest.mark.django_db
def test_other_url_schemes_are_refused(existing) -> None:
    assert_refused("ftp://files.example.org/story.txt", r"only http:// and https:// URLs")


# --- Bad URLs (real sockets on 127.0.0.1) -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.network
def test_unreachable_url(existing) -> None:
    assert_refused(f"http://127.0.0.1:{closed_port()}/feed.xml", "unreachable: connection refused")


@pytest.mark.django_db
@pytest.mark.network
def test_url_that_times_out(existing, settings) -> None:
    settings.INGEST_HTTP_TIMEOUT = 0.3
    with silent_port() as port:
        assert_refused(f"http://127.0.0.1:{port}/slow", "unreachable: timed out after 0.3 seconds")


@pytest.mark.django_db
@pytest.mark.network
def test_server_that_does_not_speak_http(existing) -> None:
    with garbage_port() as port:
        assert_refused(f"http://127.0.0.1:{port}/feed.xml", "unreachable: the server did not answer in HTTP")


@pytest.mark.django_db
@pytest.mark.network
def test_unknown_host(existing) -> None:
    assert_refused("http://no-such-host.invalid/feed.xml", "unreachable: the host name could not be resolved")


@pytest.mark.django_db
@pytest.mark.network
@pytest.mark.parametrize(("status", "words"), [(404, "Not Found"), (500, "Internal Server Error")])
def test_http_error_status(existing, status: int, words: str) -> None:
    with serve({"/story": Route([b"gone"], status=status)}) as base:
        assert_refused(f"{base}/story", f"the server answered HTTP {status} {words}")


@pytest.mark.django_db
@pytest.mark.network
def test_empty_and_oversized_http_responses(existing, settings) -> None:
    settings.INGEST_MAX_BYTES = 100
    routes = {"/empty": Route([b""]), "/big": Route([b"x" * 101])}
    with serve(routes) as base:
        assert_refused(f"{base}/empty", "the server sent an empty response")
        assert_refused(f"{base}/big", "too large: 101 bytes, the limit is 100")


# --- Good sources and output --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.network
def test_wire_copy_over_http_keeps_its_url(existing) -> None:
    copy = fixture("wire-paragraphs.txt").read_bytes()
    with serve({"/wire/ferry.txt": Route([copy])}) as base:
        out, err = ingest(f"{base}/wire/ferry.txt", "--section", "islands")
    article = Article.objects.get(canonical_url=f"{base}/wire/ferry.txt")
    assert article.section.slug == "islands"
    assert out == f"created: {article.headline} ({article.get_absolute_url()})\n"
    assert err == ""


def test_command_line_prints_error_and_exits_1(tmp_path) -> None:
    missing = tmp_path / "missing.txt"
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest", str(missing)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {missing}: no such file (for a URL, start it with http:// or https://)"
    )


# --- --watch ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.network
def test_watch_sends_a_conditional_get_and_skips_a_304() -> None:
    route = Route([fixture("feed-rss.xml").read_bytes()], content_type=RSS, conditional=True)
    with serve({"/feed.xml": route}) as base:
        out, _ = ingest(f"{base}/feed.xml", "--watch", "--interval", "0", "--max-polls", "2", verbosity=2)
    assert route.statuses == [200, 304]
    assert "If-None-Match" not in route.requests[0]
    assert route.requests[1]["If-None-Match"] == route.etag(route.bodies[0])
    assert route.requests[1]["If-Modified-Since"] == LAST_MODIFIED
    assert out.count("created: ") == 3
    assert "updated: " not in out
    assert out.endswith(f"not modified: {base}/feed.xml\n")


@pytest.mark.django_db
@pytest.mark.network
def test_watch_picks_up_a_changed_feed_and_leaves_unchanged_items_alone() -> None:
    first = fixture("feed-rss.xml").read_bytes()
    second = first.replace(b"Lifeboat crew honoured", b"Lifeboat crew decorated")
    route = Route([first, second], content_type=RSS)
    with serve({"/feed.xml": route}) as base:
        out, _ = ingest(f"{base}/feed.xml", "--watch", "--interval", "0", "--max-polls", "2", verbosity=2)
    assert route.hits == 2
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["created"] * 3 + ["unchanged", "unchanged", "updated"]
    assert lines[-1].startswith("updated: Lifeboat crew decorated for winter rescue")
    assert Article.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.network
def test_watch_reports_each_failed_poll_and_exits_1_at_the_end() -> None:
    url = f"http://127.0.0.1:{closed_port()}/feed.xml"
    with pytest.raises(CommandError, match="2 failures"):
        ingest(url, "--watch", "--interval", "0", "--max-polls", "2")


def test_watch_options_are_validated() -> None:
    with pytest.raises(CommandError, match="--interval"):
        ingest("feed.xml", "--watch", "--interval", "-1")
    with pytest.raises(CommandError, match="--max-polls"):
        ingest("feed.xml", "--watch", "--max-polls", "0")
