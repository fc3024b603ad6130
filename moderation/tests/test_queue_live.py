"""Open queue pages hear of new items over Server-Sent Events (in-process broker, or Redis in CI)."""

import threading
import time

import pytest
from django.urls import reverse

from discussions import services
from moderation import services as moderation

pytestmark = pytest.mark.django_db(transaction=True)
EVENTS = reverse("moderation:queue-events")


@pytest.fixture
def short_streams(settings):
    settings.LIVE_STREAM_SECONDS = 3
    settings.LIVE_KEEPALIVE_SECONDS = 0.2


def _listen(client):
    """An open queue stream, subscribed (its first line is out)."""
    stream = iter(client.get(EVENTS).streaming_content)
    assert next(stream) == b"retry: 3000\n\n"
    return stream


def _read_until(stream, until: str, limit_s: float = 10) -> str:
    seen, deadline = "", time.monotonic() + limit_s
    for chunk in stream:
        seen += chunk.decode()
        if until in seen or time.monotonic() > deadline:
            break
    return seen


def _later(action) -> threading.Thread:
    def run():
        time.sleep(0.5)
        action()

    worker = threading.Thread(target=run)
    worker.start()
    return worker


@pytest.mark.usefixtures("short_streams")
def test_a_held_comment_and_a_report_reach_an_open_queue(client, moderator, newcomer, member, alice, thread):
    client.force_login(moderator)
    assert client.get(EVENTS)["Content-Type"] == "text/event-stream"
    stream = _listen(client)
    worker = _later(lambda: services.post_comment(newcomer, thread, "My first comment here."))  # held
    assert "event: queue" in _read_until(stream, "event: queue")
    worker.join()

    comment = services.post_comment(alice, thread, "A published comment.")
    stream = _listen(client)
    worker = _later(lambda: moderation.report(member, comment, "spam"))
    assert "event: queue" in _read_until(stream, "event: queue")
    worker.join()


def test_only_moderators_may_listen(client, alice):
    assert client.get(EVENTS).status_code == 302  # to the login page
    client.force_login(alice)
    assert client.get(EVENTS).status_code == 403


def test_the_queue_page_listens_and_its_poll_answers_the_stream(client, moderator, thread):
    client.force_login(moderator)
    page = client.get(reverse("moderation:queue", args=["pending"])).text
    assert f'data-queue-events-url="{EVENTS}"' in page
    assert 'hx-trigger="every 15s, queue-changed from:body"' in page
