"""The bell, the notifications page, email settings and the live stream, through the test client."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions.tests.conftest import make_user
from notifications import live, selectors
from notifications import services as notifications
from notifications.models import Frequency, Kind, Notification
from notifications.tests.conftest import notes
from posting import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(alice, thread, committed):
    with committed():
        return actions.post_comment(alice, thread, "The harbour deal looks fragile to me.")


def replies(root, count: int, committed) -> None:
    with committed():
        for _ in range(count):
            n = next(_serial)
            actions.post_comment(make_user(f"replier{n}"), root.thread, f"Reply {n}", parent=root)


_serial = itertools.count()


def test_the_bell_shows_the_unread_count_to_its_reader_only(client, alice, bob, root, committed, settings):
    settings.PAGE_CACHE_SECONDS = 300
    replies(root, 2, committed)
    anonymous = client.get("/")  # cached for every anonymous reader
    assert anonymous["X-Page-Cache"] == "miss" and "data-bell-stream" not in anonymous.text
    client.force_login(alice)
    mine = client.get("/")
    assert 'data-bell-count>2</span><span class="visually-hidden" data-bell-label> unread</span>' in mine.text
    assert "X-Page-Cache" not in mine  # signed-in pages are never cached, nor served from the cache
    client.force_login(bob)
    assert "data-bell-count hidden>0</span>" in client.get("/").text
    client.logout()
    again = client.get("/")
    assert again["X-Page-Cache"] == "hit" and "data-bell" not in again.text


def test_the_notifications_page_marks_read_and_opens_links(client, alice, root, committed):
    replies(root, 3, committed)
    client.force_login(alice)
    page = client.get("/notifications/").text
    assert page.count('class="notification notification--unread"') == 3 and "Mark all as read" in page
    assert "replier2 replied to your comment" in page and "Reply 2" in page
    first = notes(alice)[0]
    response = client.get(f"/notifications/{first.pk}/")
    assert response.status_code == 302 and response["Location"] == first.url
    assert selectors.unread_count(alice) == 2
    response = client.post("/notifications/read/")
    assert response.status_code == 302 and selectors.unread_count(alice) == 0
    assert "Mark all as read" not in client.get("/notifications/").text


def test_a_reader_cannot_open_someone_elses(client, bob, alice, root, committed):
    replies(root, 1, committed)
    client.force_login(bob)
    assert client.get(f"/notifications/{notes(alice)[0].pk}/").status_code == 404
    assert client.get("/notifications/").status_code == 200
    client.logout()
    assert client.get("/notifications/").status_code == 302  # to the login page


def test_only_site_links_are_followed(client, alice):
    evil = Notification.objects.create(recipient=alice, kind=Kind.MODERATION, key="x", url="//evil.example/")
    heat = Notification.objects.create(
        recipient=alice, kind=Kind.HEAT, key="y", url="http://127.0.0.1:8000/2026/12/03/story/"
    )
    client.force_login(alice)
    assert client.get(f"/notifications/{evil.pk}/")["Location"] == "/notifications/"
    assert client.get(f"/notifications/{heat.pk}/")["Location"] == "/2026/12/03/story/"


def test_the_page_costs_the_same_with_5_and_50_notifications(client, alice, root, committed):
    """Session, user, the bell's count, mutes, the page of notifications with their people and comments."""
    client.force_login(alice)
    used = []
    for count in (5, 45):
        replies(root, count, committed)
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/notifications/")
        assert page.status_code == 200
        used.append(len(captured))
    assert used[0] == used[1] <= 8
    assert 'rel="next"' in page.text and page.text.count('class="notification ') == 30


def test_keyset_pages_walk_everything_once(alice, root, committed):
    replies(root, 7, committed)
    seen, cursor = [], None
    while True:
        page = selectors.page(alice, cursor, size=3)
        seen += [n.pk for n in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(n.pk for n in notes(alice)) and len(seen) == len(set(seen)) == 7


def test_email_settings(client, alice, bob):
    client.force_login(alice)
    page = client.get("/notifications/settings/").text
    assert "Replies to your comments" in page and "Heat-guard alerts" not in page  # for moderators only
    choices = {kind.value: "daily" for kind in Kind if kind != Kind.HEAT}
    response = client.post("/notifications/settings/", {**choices, "reply": "off"})
    assert response.status_code == 302
    assert selectors.preferences(alice)[Kind.REPLY] == Frequency.OFF
    assert selectors.preferences(alice)[Kind.MENTION] == Frequency.DAILY
    assert client.post("/notifications/settings/", {**choices, "reply": "hourly"}).status_code == 400


@pytest.mark.django_db(transaction=True)  # committed: the server's own connection reads the rows
def test_the_stream_starts_with_the_count_and_follows_it(client, asgi_server, alice, bob, thread, settings):
    settings.LIVE_STREAM_SECONDS, settings.LIVE_KEEPALIVE_SECONDS = 3, 0.2
    root = actions.post_comment(alice, thread, "Root")
    actions.post_comment(bob, thread, "First reply", parent=root)
    client.force_login(alice)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    stream = asgi_server.stream("/notifications/stream/", {"Cookie": cookie})
    assert stream.status == 200 and stream.headers["content-type"] == "text/event-stream"
    assert 'event: unread\ndata: {"type": "unread", "count": 1}' in stream.read_until('"count": 1}')
    actions.post_comment(bob, thread, "Second reply", parent=root)
    seen = stream.read_until('"count": 2}', limit_s=5)
    stream.close()
    assert 'event: unread\ndata: {"type": "unread", "count": 2}' in seen


def test_the_relay_publishes_what_another_process_wrote(alice, bob, live_listener):
    """On the embedded default the worker (another process) writes rows; the relay tells this one."""
    relay = live.Relay()
    assert relay.tick() == []
    events = live_listener(live.channel(alice.pk))
    Notification.objects.create(recipient=alice, kind=Kind.MODERATION, key="from-the-worker", text="Hello")
    assert relay.tick() == [alice.pk]
    assert events.next(timeout=5) == {"type": "unread", "count": 1}
    assert relay.tick() == []  # told once


def test_marking_read_updates_open_bells(
    alice, root, committed, live_listener, django_capture_on_commit_callbacks
):
    replies(root, 2, committed)
    events = live_listener(live.channel(alice.pk))
    with django_capture_on_commit_callbacks(execute=True):
        notifications.mark_read(alice)
    assert events.next(timeout=5) == {"type": "unread", "count": 0}
