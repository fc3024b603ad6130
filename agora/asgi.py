"""The application server's entry point: `uvicorn agora.asgi:application` (`make run`), or in
production `gunicorn agora.asgi:application -k uvicorn_worker.UvicornWorker` (README).

Every request goes through Django's WSGI handler in a pool of APP_THREADS threads (`ThreadedWSGI`),
as under a threaded WSGI server: middleware, database connections, caches and signals behave exactly
as they do there.  A live stream (discussions.live.event_stream) is the one exception: once its view
has answered, the connection comes back here and its events are relayed from the event loop, so
thousands of open streams hold no thread and ordinary pages keep their threads.

Why not Django's own ASGI handler: it runs each request's synchronous middleware and views in a thread
of that request's own (asgiref's ThreadSensitiveContext), kept until the response ends, so every open
stream would still hold a thread, and every page would open a new database connection.  Why not
a2wsgi's WSGIMiddleware alone: it runs each request in a copy of the event loop's context, where
Django's per-context caches (django.core.cache.caches) start empty, so every request built its cache
backend again (SQLite connections to each diskcache shard, or a new Redis connection pool), and it
waits on the event loop for every chunk: pages were five times slower than under gunicorn's threads.
"""

import asyncio
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from a2wsgi.wsgi import build_environ
from django.conf import settings
from django.core.wsgi import get_wsgi_application

from agora import warmup
from discussions import live

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")

SPOOL_BYTES = 2**20  # request bodies up to this stay in memory, larger ones go to a temporary file
CHUNKS_AHEAD = 16  # response chunks a worker thread may be ahead of the client


class ThreadedWSGI:
    """An ASGI application running a WSGI one in a pool of threads, each request in its thread's own
    context (as a threaded WSGI server does), the response handed to the event loop without waiting."""

    def __init__(self, app: Callable[..., Iterable[bytes]], threads: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="agora-wsgi")

    async def __call__(self, scope: dict, receive: live.Receive, send: live.Send) -> None:
        body = await self._read_body(receive)
        loop = asyncio.get_running_loop()
        messages: asyncio.Queue[dict | BaseException | None] = asyncio.Queue()
        ahead = threading.BoundedSemaphore(CHUNKS_AHEAD)
        abandoned = threading.Event()  # the loop stopped reading (an error): the thread stops waiting

        def hand_over(message: dict | BaseException | None) -> None:
            while not ahead.acquire(timeout=1):
                if abandoned.is_set():
                    return
            loop.call_soon_threadsafe(messages.put_nowait, message)

        # a2wsgi types the scope as its own TypedDict and the body as its own reader: any dict and file do.
        environ = dict(build_environ(scope, body))  # type: ignore[arg-type]
        worker = loop.run_in_executor(self.executor, self._run, environ, hand_over)
        try:
            while (message := await messages.get()) is not None:
                ahead.release()
                if isinstance(message, BaseException):
                    raise message
                await send(message)
        finally:
            abandoned.set()
            await worker
            body.close()

    @staticmethod
    async def _read_body(receive: live.Receive) -> Any:
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by __call__)
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            body.write(message.get("body", b""))
            more = message.get("more_body", False)
        body.seek(0)
        return body

    def _run(self, environ: dict, hand_over: Callable[[dict | BaseException | None], None]) -> None:
        """In a worker thread: the WSGI call, its response passed on message by message."""

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            encoded = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
            hand_over({"type": "http.response.start", "status": int(status[:3]), "headers": encoded})

        try:
            result = self.app(environ, start_response)
            try:
                for chunk in result:
                    if chunk:
                        hand_over({"type": "http.response.body", "body": chunk, "more_body": True})
                hand_over({"type": "http.response.body", "body": b"", "more_body": False})
            finally:
                getattr(result, "close", lambda: None)()  # Django's request_finished, in this thread
        except BaseException as error:  # handed to the event loop, which raises it there
            hand_over(error)
        finally:
            hand_over(None)


# Django types its WSGIHandler as returning an HttpResponseBase, the iterable of bytes WSGI wants.
pages = ThreadedWSGI(get_wsgi_application(), threads=settings.APP_THREADS)  # type: ignore[arg-type]
warmup.settle()


async def application(scope: dict, receive: live.Receive, send: live.Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":  # websockets: Agora has none
        return
    live.hub().start()  # servers run without lifespan events too
    hold = live.Hold()
    await pages({**scope, live.HOLD_KEY: hold}, receive, hold.wrap(send))
    if hold.relaying and hold.stream is not None:
        await live.relay(hold.stream, receive, send)
    elif hold.stream is not None:  # opened, but the response was not the stream (an error)
        live.hub().close(hold.stream)


async def _lifespan(receive: live.Receive, send: live.Send) -> None:
    """Start the live hub with the process, so that its Redis subscription is up before the first stream."""
    while (await receive())["type"] != "lifespan.shutdown":
        live.hub().start()
        await send({"type": "lifespan.startup.complete"})
    await send({"type": "lifespan.shutdown.complete"})
