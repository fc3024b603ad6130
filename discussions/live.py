"""Live events for open thread pages: an in-process broker, or Redis pub/sub when REDIS_URL is set.

In-process delivery reaches the readers connected to the same app process (runserver,
or one gunicorn process with threads); Redis reaches every process of a deployment.
Events are hints ("comment 42 was published", "comment 7 now has 5 reactions"): a page
that missed some catches up from the database, so nothing depends on delivery.
"""

import json
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import connection as db_connection
from django.http import StreamingHttpResponse


class Broker(Protocol):
    def publish(self, channel: str, event: dict) -> None: ...

    def listen(self, channel: str, timeout: float) -> Iterator[dict | None]:
        """Subscribe now; the iterator yields events as they come, and None after `timeout` idle seconds."""
        ...


class InProcessBroker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[queue.SimpleQueue[dict]]] = {}

    def publish(self, channel: str, event: dict) -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(channel, ()))
        for inbox in subscribers:
            inbox.put(event)

    def listen(self, channel: str, timeout: float) -> Iterator[dict | None]:
        inbox: queue.SimpleQueue[dict] = queue.SimpleQueue()
        with self._lock:
            self._subscribers.setdefault(channel, set()).add(inbox)
        return self._drain(channel, inbox, timeout)

    def _drain(self, channel: str, inbox: "queue.SimpleQueue[dict]", timeout: float) -> Iterator[dict | None]:
        try:
            while True:
                try:
                    yield inbox.get(timeout=timeout)
                except queue.Empty:
                    yield None
        finally:
            with self._lock:
                self._subscribers[channel].discard(inbox)
                if not self._subscribers[channel]:
                    del self._subscribers[channel]


class RedisBroker:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def publish(self, channel: str, event: dict) -> None:
        self._redis.publish(f"agora:{channel}", json.dumps(event))

    def listen(self, channel: str, timeout: float) -> Iterator[dict | None]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(f"agora:{channel}")
        return self._drain(pubsub, timeout)

    @staticmethod
    def _drain(pubsub, timeout: float) -> Iterator[dict | None]:
        try:
            while True:
                yield RedisBroker._next_event(pubsub, timeout)
        finally:
            pubsub.close()

    @staticmethod
    def _next_event(pubsub, timeout: float) -> dict | None:
        """The next event, or None after `timeout` idle seconds.

        get_message answers None early for the subscription's own confirmation (which it
        skips), so it is asked again until the time is up.
        """
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = pubsub.get_message(timeout=left)
            if message:
                return json.loads(message["data"])
        return None


@cache
def broker() -> Broker:
    if settings.REDIS_URL:
        return RedisBroker(settings.REDIS_URL)
    return InProcessBroker()


def event_stream(channel: str, preface: Iterable[str] = ()) -> StreamingHttpResponse:
    """A Server-Sent Events response relaying `channel`'s events for up to LIVE_STREAM_SECONDS.

    `preface`: events (already formatted) to send first, once subscribed.  Events of type
    "comment" carry their id as the SSE id, so a reconnecting page says where it was.
    """
    response = StreamingHttpResponse(_event_lines(channel, preface), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _event_lines(channel: str, preface: Iterable[str]) -> Iterator[str]:
    # A stream lasts minutes and never queries: give its database connection back now,
    # or every open page would hold one.
    db_connection.close()
    # Subscribe before the first byte goes out, so nothing published after it is missed.
    events = broker().listen(channel, timeout=settings.LIVE_KEEPALIVE_SECONDS)
    yield "retry: 3000\n\n"
    yield from preface
    deadline = time.monotonic() + settings.LIVE_STREAM_SECONDS
    for event in events:
        if event is None:
            yield ": keep-alive\n\n"
        else:
            event_id = f"id: {event['id']}\n" if event["type"] == "comment" else ""
            yield f"{event_id}event: {event['type']}\ndata: {json.dumps(event)}\n\n"
        if time.monotonic() > deadline:
            return
