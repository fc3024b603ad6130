"""The design agora/asgi.py replaced, measured: Django's own ASGI handler holding open streams.

    .venv/bin/python bench/streams_django_asgi.py --streams 500

Serves Agora's settings and middleware through `django.core.asgi.get_asgi_application()` (uvicorn, in
this process) with one extra, truly asynchronous view that keeps a Server-Sent Events stream open
(an async generator waiting on an asyncio event, as a redis.asyncio subscriber would), opens
--streams of them, and prints the process's threads before and with them open (300 streams on the
2-core development machine: 2 threads before, 302 with them open).  Django runs each
request's synchronous middleware in a thread of that request's own (asgiref's ThreadSensitiveContext),
kept until the response ends: the thread count grows by one per open stream, which is why agora/asgi.py
runs the middleware and view in a pool and relays streams itself.  A fresh SQLite database (migrated)
under var/bench/ serves the sessions the middleware reads.
"""

import argparse
import asyncio
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO_ROOT)
WORKDIR = Path(tempfile.mkdtemp(prefix="django-asgi-", dir=REPO_ROOT / "var"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="agora.settings",
    DATABASE_URL=f"sqlite:///{WORKDIR / 'db.sqlite3'}",
    AGORA_VAR_DIR=str(WORKDIR / "var"),
    DEBUG="0",
    LOG_LEVEL="ERROR",
)

import django  # noqa: E402

django.setup()

import uvicorn  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import StreamingHttpResponse  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402

import agora.urls  # noqa: E402

never = asyncio.Event()


async def open_stream(request):  # type: ignore[no-untyped-def]
    async def events():  # type: ignore[no-untyped-def]
        yield "retry: 3000\n\n"
        await never.wait()

    return StreamingHttpResponse(events(), content_type="text/event-stream")


def threads() -> int:
    return threading.active_count()


async def threads_with_streams_open(port: int, count: int) -> int:
    held = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /bench-stream/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await reader.readuntil(b"retry: 3000")
        held.append(writer)
    await asyncio.sleep(1)
    with_streams = threads()
    for writer in held:
        writer.close()
    return with_streams


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=500)
    args = parser.parse_args()
    call_command("migrate", "--noinput", verbosity=0)
    agora.urls.urlpatterns.insert(0, path("bench-stream/", open_stream))
    clear_url_caches()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(get_asgi_application(), lifespan="off", log_level="error"))
    threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    before = threads()
    started = time.monotonic()
    with_streams = asyncio.run(threads_with_streams_open(listener.getsockname()[1], args.streams))
    took = time.monotonic() - started
    print(f"Django's ASGI handler, {args.streams} open async streams (opened in {took:.1f} s):")
    print(f"  threads in the process: {before} before, {with_streams} with the streams open")
    server.should_exit = True
    shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
