"""Live events over Server-Sent Events, served by agora.asgi over real HTTP (in-process broker, or Redis
where REDIS_URL is set): events arrive, open streams hold no thread, and each address has a cap."""

import threading
import time

import pytest
from django.conf import settings as django_settings

from articles.tests.conftest import build_article
from discussions import services
from discussions.live import hub
from posting import actions

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_streams(settings):
    """Keep-alives slower than any wait in these tests: what arrives, arrives because it happened."""
    settings.LIVE_STREAM_SECONDS = 30
    settings.LIVE_KEEPALIVE_SECONDS = 30


def events_path(thread) -> str:
    return f"/discussions/threads/{thread.pk}/events/"


def open_streams_settle(expected: int, limit_s: float = 5) -> int:
    deadline = time.monotonic() + limit_s
    while hub().open_streams() != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return hub().open_streams()


@pytest.mark.usefixtures("short_streams")
def test_new_comment_and_reaction_reach_an_open_stream(asgi_server, alice, bob, thread):
    stream = asgi_server.stream(events_path(thread))
    assert stream.status == 200 and stream.headers["content-type"] == "text/event-stream"
    assert "retry: 3000" in stream.read_until("retry: 3000")  # by now the stream is subscribed

    comment = actions.post_comment(alice, thread, "Live one")
    services.react(bob, comment)
    seen = stream.read_until('"count": 1')
    stream.close()
    assert f"id: {comment.pk}\nevent: comment" in seen and "event: reaction" in seen


@pytest.mark.usefixtures("short_streams")
def test_a_reconnecting_page_is_told_what_it_missed(asgi_server, alice, thread):
    first = actions.post_comment(alice, thread, "Seen")
    actions.post_comment(alice, thread, "Missed 1")
    actions.post_comment(alice, thread, "Missed 2")
    stream = asgi_server.stream(events_path(thread), {"Last-Event-ID": str(first.pk)})
    assert 'event: missed\ndata: {"count": 2}' in stream.read_until("event: missed")
    stream.close()


def test_open_streams_hold_no_thread_and_pages_keep_answering(asgi_server, thread, settings):
    """More open streams than the server has threads: pages still answer; no thread is added per stream."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # each stream from an address of its own (X-Forwarded-For)
    assert open_streams_settle(0) == 0  # the streams earlier tests closed are gone
    count = django_settings.APP_THREADS + 8
    threads_before = threading.active_count()
    streams = [
        asgi_server.stream(events_path(thread), {"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(count)
    ]
    try:
        assert [s.status for s in streams] == [200] * count
        assert open_streams_settle(count) == count
        status, _ = asgi_server.get("/robots.txt", timeout=5)
        assert status == 200
        # The worker pool may grow to APP_THREADS; the streams themselves add nothing.
        assert threading.active_count() - threads_before <= django_settings.APP_THREADS
    finally:
        for stream in streams:
            stream.close()
    assert open_streams_settle(0) == 0  # a client that leaves frees its place at once


@pytest.mark.usefixtures("short_streams")
def test_streams_per_address_are_capped_and_a_closed_one_frees_its_place(asgi_server, thread, settings):
    settings.LIVE_STREAMS_PER_ADDRESS = 3
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert open_streams_settle(0) == 0
    crowd = {"X-Forwarded-For": "203.0.113.7"}
    streams = [asgi_server.stream(events_path(thread), crowd) for _ in range(3)]
    refused = asgi_server.stream(events_path(thread), crowd)
    other = asgi_server.stream(events_path(thread), {"X-Forwarded-For": "203.0.113.8"})
    try:
        assert [s.status for s in streams] == [200, 200, 200]
        assert refused.status == 429 and refused.headers["retry-after"]
        assert "Too many live updates" in refused.read_until("Too many live updates")
        assert other.status == 200
        streams.pop().close()
        assert open_streams_settle(3) == 3
        again = asgi_server.stream(events_path(thread), crowd)
        streams.append(again)
        assert again.status == 200
    finally:
        for stream in [*streams, other, refused]:
            stream.close()


def test_an_idle_stream_is_kept_alive_and_ends_after_its_time(asgi_server, thread, settings):
    settings.LIVE_STREAM_SECONDS = 1
    settings.LIVE_KEEPALIVE_SECONDS = 0.2
    stream = asgi_server.stream(events_path(thread))
    seen = stream.read_until("\r\n0\r\n\r\n")  # the end of the chunked body: the browser reconnects
    stream.close()
    assert ": keep-alive" in seen and seen.endswith("\r\n0\r\n\r\n")


def test_a_server_that_cannot_hold_streams_says_so(client, thread):
    """Under a WSGI server (here Django's test client) a stream would hold a thread: refused, clearly."""
    response = client.get(events_path(thread))
    assert response.status_code == 503
    assert "ASGI server" in response.text


@pytest.mark.usefixtures("short_streams")
def test_events_reach_only_their_channel(asgi_server, alice, thread):
    elsewhere = services.thread_for_article(build_article("Ferry timetable changes"))
    stream = asgi_server.stream(events_path(thread))
    stream.read_until("retry: 3000")
    not_ours = actions.post_comment(alice, elsewhere, "Elsewhere")
    ours = actions.post_comment(alice, thread, "Here")
    seen = stream.read_until(f"id: {ours.pk}")
    stream.close()
    assert f"id: {ours.pk}" in seen and f"id: {not_ours.pk}" not in seen
