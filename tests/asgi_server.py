"""Agora's application server (agora.asgi under uvicorn) in a thread of the test process, on the test
database, and a small Server-Sent Events client for it (a pytest plugin, loaded by the root conftest).

In the same process, so settings changed by a test apply to it, and without REDIS_URL the in-process
broker carries the events a test's posts publish; with REDIS_URL (CI) they go through Redis.
"""

import asyncio
import gc
import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn


def database_url() -> str:
    """The test database as a DATABASE_URL, for a server started as a child process (it sees the rows a
    transactional test commits)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Server:
    def __init__(self, port: int, loop: asyncio.AbstractEventLoop) -> None:
        self.host, self.port = "127.0.0.1", port
        self.url = f"http://127.0.0.1:{port}"
        self.loop = loop  # the server's event loop, where the live hub runs

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def stream(self, path: str, headers: dict[str, str] | None = None) -> "EventStream":
        return EventStream(self.host, self.port, path, headers or {})


class EventStream:
    """One open stream over a raw socket: `status` and `headers`, then `read_until(text)` collects
    what has arrived (each event is one chunk of the chunked body, so searching the raw text finds it)."""

    def __init__(self, host: str, port: int, path: str, headers: dict[str, str]) -> None:
        self.socket = socket.create_connection((host, port), timeout=10)
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.seen = ""
        self.read_until("\r\n\r\n")
        head, _, self.seen = self.seen.partition("\r\n\r\n")
        status_line, *header_lines = head.split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}

    def read_until(self, text: str, limit_s: float = 10) -> str:
        deadline = time.monotonic() + limit_s
        self.socket.settimeout(0.2)
        while text not in self.seen and time.monotonic() < deadline:
            try:
                chunk = self.socket.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            self.seen += chunk.decode()
        return self.seen

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="session")
def _asgi_server(django_db_setup, django_db_blocker) -> Iterator[Server]:
    from agora.asgi import application, pages

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(application, lifespan="off", log_level="warning"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(server.serve(sockets=[listener]),), daemon=True
    )
    with django_db_blocker.unblock():
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        yield Server(listener.getsockname()[1], loop)
        server.should_exit = True
        thread.join(timeout=10)
        # The worker threads' database connections go with their threads, before the test database is dropped.
        pages.executor.shutdown(wait=True)
        gc.collect()


def _start_hub(server: Server) -> None:
    from django.conf import settings

    from discussions.live import hub

    server.get("/robots.txt")  # the first request starts the hub
    if settings.REDIS_URL:
        assert hub().following_redis.wait(10), "the live hub did not subscribe to Redis"


@pytest.fixture
def asgi_server(_asgi_server: Server, transactional_db) -> Server:
    """The server, for a test whose rows it must see (a transactional test, as live_server's are)."""
    _start_hub(_asgi_server)
    return _asgi_server


class Listener:
    """A stream opened on the server's hub directly, for tests of what is published on a channel."""

    def __init__(self, server: Server, channel: str) -> None:
        from discussions.live import hub

        self.loop = server.loop
        self.stream = hub().open(channel, "test-listener")

    def next(self, timeout: float = 10) -> dict:
        waiting = asyncio.wait_for(self.stream.events.get(), timeout)
        return asyncio.run_coroutine_threadsafe(waiting, self.loop).result()

    def close(self) -> None:
        from discussions.live import hub

        hub().close(self.stream)


@pytest.fixture
def live_listener(_asgi_server: Server) -> Iterator[Callable[[str], Listener]]:
    """listen(channel): the events published on `channel` from now on, as the server's hub receives them."""
    _start_hub(_asgi_server)
    opened: list[Listener] = []

    def listen(channel: str) -> Listener:
        opened.append(Listener(_asgi_server, channel))
        return opened[-1]

    yield listen
    for listener in opened:
        listener.close()
