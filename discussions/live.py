"""Live events for open pages over Server-Sent Events, with no thread held per open stream.

Publishing, from any process and thread: `broker().publish(channel, event)` — a Redis PUBLISH when
REDIS_URL is set, otherwise straight to this process's hub.

Listening, in the processes served by agora.asgi: one `Hub` per process, on the server's event loop,
fans each event out to the queues of the streams open on its channel.  With Redis the hub holds one
pattern subscription for the whole process (not one connection per stream), and reconnects after an
outage, so events flow again when Redis returns.

A stream request goes through Django like any other (middleware, authentication, the view's own
checks) in one of agora.asgi's worker threads.  The view answers `event_stream(request, channel)`,
which registers the stream with the hub and hands the connection back to agora.asgi; `relay` then
writes the channel's events from the event loop.  The thread is free as soon as the view returns: an
open stream costs a socket and a queue.  Streams per client address are capped
(LIVE_STREAMS_PER_ADDRESS, in each app process).

Events are hints ("comment 42 was published", "comment 7 now has 5 reactions"): a page that missed
some catches up from the database, so nothing depends on delivery.
"""

import asyncio
import json
import logging
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from agora.client_address import client_address

logger = logging.getLogger(__name__)

# The ASGI scope entry agora.asgi adds to every request, read back by event_stream through
# the WSGI environ (a2wsgi passes the scope as environ["asgi.scope"]): only agora.asgi can set it.
HOLD_KEY = "agora.live"
QUEUE_LIMIT = 100  # events waiting for one slow stream; past it that stream misses hints
REDIS_TIMEOUT = 0.5  # seconds a publish waits for Redis before giving up on the hint
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)  # seconds between tries while Redis is away

ASGIMessage = dict[str, Any]
Receive = Callable[[], Awaitable[ASGIMessage]]
Send = Callable[[ASGIMessage], Awaitable[None]]


class Broker(Protocol):
    def publish(self, channel: str, event: dict) -> None: ...


class TooManyStreams(Exception):
    """This client address already has LIVE_STREAMS_PER_ADDRESS streams open in this process."""


class Stream:
    """One open stream: its channel's events, queued on the hub's event loop."""

    def __init__(self, channel: str, address: str) -> None:
        self.channel = channel
        self.address = address
        self.events: asyncio.Queue[dict] = asyncio.Queue(maxsize=QUEUE_LIMIT)


class Hub:
    """The open streams of this process, by channel, and the one feed of events into them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # streams are opened in worker threads, fed on the loop
        self._streams: dict[str, set[Stream]] = {}
        self._per_address: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()
        self.following_redis = threading.Event()  # set while the Redis subscription is up

    def start(self) -> None:
        """Bind to the running event loop (once), and subscribe to Redis when REDIS_URL is set."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        if settings.REDIS_URL:
            task = self._loop.create_task(self._follow_redis(settings.REDIS_URL))
            self._tasks.add(task)  # a reference, so the task is not collected

    def open(self, channel: str, address: str) -> Stream:
        limit = settings.LIVE_STREAMS_PER_ADDRESS
        with self._lock:
            if self._per_address[address] >= limit:
                raise TooManyStreams(address)
            stream = Stream(channel, address)
            self._streams.setdefault(channel, set()).add(stream)
            self._per_address[address] += 1
        return stream

    def close(self, stream: Stream) -> None:
        with self._lock:
            listeners = self._streams.get(stream.channel)
            if listeners is None or stream not in listeners:
                return
            listeners.discard(stream)
            if not listeners:
                del self._streams[stream.channel]
            self._per_address[stream.address] -= 1
            if self._per_address[stream.address] <= 0:
                del self._per_address[stream.address]

    def open_streams(self) -> int:
        with self._lock:
            return sum(len(listeners) for listeners in self._streams.values())

    def deliver(self, channel: str, event: dict) -> None:
        """Queue `event` for every stream open on `channel` (on the event loop)."""
        with self._lock:
            listeners = list(self._streams.get(channel, ()))
        for stream in listeners:
            # A stream that stopped reading loses hints past QUEUE_LIMIT; its page catches up on reconnect.
            with suppress(asyncio.QueueFull):
                stream.events.put_nowait(event)

    def deliver_from_any_thread(self, channel: str, event: dict) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.deliver, channel, event)

    async def _follow_redis(self, url: str) -> None:
        """Relay every live event published on Redis, reconnecting for as long as the process lives."""
        prefix = channel_prefix(url)
        failures = 0
        while True:
            client = aioredis.Redis.from_url(url, health_check_interval=10)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.psubscribe(f"{prefix}*")
                    self.following_redis.set()
                    if failures:
                        logger.warning("live events: Redis is back, streams receive events again")
                    failures = 0
                    while True:
                        message = await pubsub.get_message(timeout=5.0)
                        if message is not None and message["type"] == "pmessage":
                            channel = message["channel"].decode()[len(prefix) :]
                            self.deliver(channel, json.loads(message["data"]))
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                if not failures:
                    logger.warning("live events: Redis unavailable (%s); open streams wait for it", error)
                failures += 1
            finally:
                self.following_redis.clear()
                await client.aclose()
            await asyncio.sleep(RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS)) - 1])


@cache
def hub() -> Hub:
    return Hub()


def channel_prefix(url: str) -> str:
    """Redis channels are not per database number: the number goes into the name, so that
    deployments (and test runs) sharing one Redis under different numbers never hear each other."""
    database = redis.Redis.from_url(url).connection_pool.connection_kwargs.get("db", 0)
    return f"agora:{database}:live:"


class InProcessBroker:
    """Events for the streams of this process only (one app process, no Redis: `make run`)."""

    def publish(self, channel: str, event: dict) -> None:
        hub().deliver_from_any_thread(channel, event)


class RedisBroker:
    """Events for every app process of a deployment, through Redis pub/sub."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        self._prefix = channel_prefix(url)

    def publish(self, channel: str, event: dict) -> None:
        """Publish, or log and drop the hint while Redis is away: a stored change never fails for it."""
        try:
            self._redis.publish(f"{self._prefix}{channel}", json.dumps(event))
        except (redis.ConnectionError, redis.TimeoutError) as error:
            logger.warning("live event on %s not sent, Redis unavailable: %s", channel, error)


@cache
def broker() -> Broker:
    if settings.REDIS_URL:
        return RedisBroker(settings.REDIS_URL)
    return InProcessBroker()


# --- The stream: a view's answer (in a worker thread), then agora.asgi's relay (on the loop) ---------


@dataclass
class Hold:
    """What a request's view asked of agora.asgi: the stream to relay once the view has answered."""

    stream: Stream | None = None
    relaying: bool = field(default=False, init=False)

    def wrap(self, send: Send) -> Send:
        """`send` for the view's response: a 200 answer that opened a stream stays open after its body."""

        async def send_held(message: ASGIMessage) -> None:
            if message["type"] == "http.response.start":
                self.relaying = self.stream is not None and message["status"] == 200
                if self.relaying:  # the body goes on after the view's part: no length
                    headers = [(k, v) for k, v in message["headers"] if k.lower() != b"content-length"]
                    message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and self.relaying:
                message = {**message, "more_body": True}
            await send(message)

        return send_held


def event_stream(
    request: HttpRequest, channel: str, preface: Callable[[], Iterable[str]] = tuple
) -> HttpResponse:
    """A Server-Sent Events stream of `channel`'s events for up to LIVE_STREAM_SECONDS.

    `preface()`: events (already formatted) to send first; it is called once the stream is
    subscribed, so nothing published while it reads the database is missed.  Events of type
    "comment" carry their id as the SSE id, so a reconnecting page says where it was.
    Only agora.asgi serves streams; another server (runserver, a WSGI server) gets a 503.
    """
    hold = request.META.get("asgi.scope", {}).get(HOLD_KEY)
    if not isinstance(hold, Hold):
        return _plain(503, "Live updates need the ASGI server (agora.asgi); the page works without them.")
    try:
        hold.stream = hub().open(channel, client_address(request))
    except TooManyStreams:
        response = _plain(429, "Too many live updates are open from your address: close a few pages.")
        response["Retry-After"] = str(settings.LIVE_STREAM_SECONDS)
        return response
    response = HttpResponse("retry: 3000\n\n" + "".join(preface()), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _plain(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def format_event(event: dict) -> str:
    event_id = f"id: {event['id']}\n" if event["type"] == "comment" else ""
    return f"{event_id}event: {event['type']}\ndata: {json.dumps(event)}\n\n"


async def relay(stream: Stream, receive: Receive, send: Send) -> None:
    """Write `stream`'s events (and a keep-alive when idle) until LIVE_STREAM_SECONDS or the client leaves."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.LIVE_STREAM_SECONDS
    gone = loop.create_task(_disconnected(receive))
    try:
        while not gone.done() and (left := deadline - loop.time()) > 0:
            waiting = loop.create_task(stream.events.get())
            await asyncio.wait(
                {waiting, gone},
                timeout=min(left, settings.LIVE_KEEPALIVE_SECONDS),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if waiting.done():
                chunk = format_event(waiting.result())
            else:
                waiting.cancel()
                chunk = ": keep-alive\n\n"
            if not gone.done():
                await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})
        if not gone.done():
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        gone.cancel()
        hub().close(stream)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
