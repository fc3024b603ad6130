"""Open queue pages hear of new items over Server-Sent Events from agora.asgi (in-process or Redis)."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from moderation import services as moderation
from posting import actions

pytestmark = pytest.mark.django_db(transaction=True)
EVENTS = reverse("moderation:queue-events")


@pytest.fixture
def short_streams(settings):
    settings.LIVE_STREAM_SECONDS = 5
    settings.LIVE_KEEPALIVE_SECONDS = 0.2


def _listen(asgi_server, client):
    """An open queue stream of the moderator `client` is logged in as, subscribed (its first line is out)."""
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    stream = asgi_server.stream(EVENTS, {"Cookie": f"{django_settings.SESSION_COOKIE_NAME}={session}"})
    assert stream.status == 200 and stream.headers["content-type"] == "text/event-stream"
    assert "retry: 3000" in stream.read_until("retry: 3000")
    return stream


@pytest.mark.usefixtures("short_streams")
def test_a_held_comment_and_a_report_reach_an_open_queue(
    asgi_server, client, moderator, newcomer, member, alice, thread
):
    client.force_login(moderator)
    stream = _listen(asgi_server, client)
    actions.post_comment(newcomer, thread, "My first comment here.")  # held
    assert "event: queue" in stream.read_until("event: queue")
    stream.close()

    comment = actions.post_comment(alice, thread, "A published comment.")
    stream = _listen(asgi_server, client)
    moderation.report(member, comment, "spam")
    assert "event: queue" in stream.read_until("event: queue")
    stream.close()


def test_only_moderators_may_listen(client, alice):
    assert client.get(EVENTS).status_code == 302  # to the login page
    client.force_login(alice)
    assert client.get(EVENTS).status_code == 403


def test_the_queue_page_listens_and_its_poll_answers_the_stream(client, moderator, thread):
    client.force_login(moderator)
    page = client.get(reverse("moderation:queue", args=["pending"])).text
    assert f'data-queue-events-url="{EVENTS}"' in page
    assert 'hx-trigger="every 15s, queue-changed from:body"' in page
