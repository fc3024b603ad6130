"""Live events over Server-Sent Events: through the in-process broker, or Redis where REDIS_URL is set."""

import threading
import time

import pytest

from discussions import services
from discussions.live import broker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_streams(settings):
    settings.LIVE_STREAM_SECONDS = 2
    settings.LIVE_KEEPALIVE_SECONDS = 0.2


def read_stream(response, until: str, limit_s: float = 10) -> str:
    seen = ""
    deadline = time.monotonic() + limit_s
    for chunk in response.streaming_content:
        seen += chunk.decode() if isinstance(chunk, bytes) else chunk
        if until in seen or time.monotonic() > deadline:
            break
    return seen


@pytest.mark.usefixtures("short_streams")
def test_new_comment_and_reaction_reach_an_open_stream(client, alice, bob, thread):
    response = client.get(f"/discussions/threads/{thread.pk}/events/")
    assert response["Content-Type"] == "text/event-stream"
    stream = iter(response.streaming_content)
    assert next(stream) == b"retry: 3000\n\n"  # by now the stream is subscribed

    def post_later():
        time.sleep(0.5)
        comment = services.post_comment(alice, thread, "Live one")
        services.react(bob, comment)

    writer = threading.Thread(target=post_later)
    writer.start()
    seen = ""
    deadline = time.monotonic() + 10
    for chunk in stream:
        seen += chunk.decode()
        if "event: reaction" in seen or time.monotonic() > deadline:
            break
    writer.join()
    assert "event: comment" in seen and "event: reaction" in seen
    assert '"count": 1' in seen


@pytest.mark.usefixtures("short_streams")
def test_a_reconnecting_page_is_told_what_it_missed(client, alice, thread):
    first = services.post_comment(alice, thread, "Seen")
    services.post_comment(alice, thread, "Missed 1")
    services.post_comment(alice, thread, "Missed 2")
    response = client.get(f"/discussions/threads/{thread.pk}/events/", HTTP_LAST_EVENT_ID=str(first.pk))
    assert 'event: missed\ndata: {"count": 2}' in read_stream(response, "event: missed")


def test_broker_delivers_only_to_its_channel():
    received = []
    listener = broker().listen("thread:test-a", timeout=0.1)
    broker().publish("thread:test-b", {"type": "comment", "id": 1})
    broker().publish("thread:test-a", {"type": "comment", "id": 2})
    for event in listener:
        if event is not None:
            received.append(event)
            break
    listener.close()
    assert received == [{"type": "comment", "id": 2}]
