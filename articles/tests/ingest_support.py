"""Helpers for the ingest tests: fixture paths, a real HTTP server on loopback, dead ports."""

import contextlib
import hashlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

from django.core.management import call_command

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
LAST_MODIFIED = "Mon, 01 Apr 2024 08:00:00 GMT"


def fixture(name: str) -> Path:
    return FIXTURES / name


def ingest(target: str | Path, *args: str, **options: object) -> tuple[str, str]:
    """Run `manage.py ingest` in-process; return what it printed on stdout and stderr."""
    out, err = StringIO(), StringIO()
    call_command("ingest", str(target), *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@dataclass
class Route:
    """What the server answers on one path.

    The n-th GET gets bodies[n] (the last one once they run out).  With conditional=True
    each body has an ETag (and the route a Last-Modified date), and a request whose
    If-None-Match matches the ETag gets a 304.
    """

    bodies: list[bytes]
    content_type: str = "text/plain; charset=utf-8"
    status: int = 200
    conditional: bool = False
    location: str = ""  # a redirect target, with status 301/302
    hits: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def etag(self, body: bytes) -> str:
        return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path)
        if route is None:
            self._answer(404, b"not here", {"Content-Type": "text/plain"})
            return
        route.requests.append(dict(self.headers))
        body = route.bodies[min(route.hits, len(route.bodies) - 1)]
        route.hits += 1
        headers = {"Content-Type": route.content_type}
        if route.location:
            headers["Location"] = route.location
        if route.conditional:
            headers["ETag"] = route.etag(body)
            headers["Last-Modified"] = LAST_MODIFIED
            if self.headers.get("If-None-Match") == headers["ETag"]:
                route.statuses.append(304)
                self._answer(304, b"", headers)
                return
        route.statuses.append(route.status)
        self._answer(route.status, body, headers)

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[str]:
    """Serve `routes` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes = routes
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def garbage_port() -> Iterator[int]:
    """A loopback port whose server answers every connection with something that is not HTTP."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)

        def answer() -> None:
            with contextlib.suppress(OSError), sock.accept()[0] as conn:
                conn.recv(4096)
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        yield sock.getsockname()[1]
        thread.join(timeout=5)


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers (for timeouts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]
