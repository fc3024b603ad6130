"""Isso 0.14, the baseline of bench/discussions.py: its own virtualenv, config, server and seeding.

Isso (https://isso-comments.de) runs from `var/bench/isso-venv`, a virtualenv made here when
missing, with the exact versions in ISSO_PINS.  It is served by the same gunicorn version as
Agora (`isso.run:application`, the WSGI entry point Isso ships, configured by ISSO_SETTINGS).

Isso checks at start-up that its configured `host` answers, and fetches a thread's page (for
its title) when the first comment of the thread is posted, so a tiny "publisher" site runs on
another loopback port for the whole benchmark: `/story` is the article the thread belongs to.
"""

import http.client
import http.server
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pages

PYTHON = "python3.11"
# Everything the Isso virtualenv holds, pinned (isso 0.14.0 and what pip resolved for it).
ISSO_PINS = [
    "isso==0.14.0",
    "gunicorn==27.0.1",
    "bleach==6.4.0",
    "cffi==2.1.1",
    "html5lib==1.1",
    "itsdangerous==2.2.0",
    "Jinja2==3.1.6",
    "MarkupSafe==3.0.4",
    "misaka==2.1.1",
    "mistune==3.4.0",
    "pycparser==3.12",
    "six==1.17.0",
    "webencodings==0.6.1",
    "Werkzeug==3.1.9",
]
STORY_URI = "/story"
STORY_PAGE = b"""<!doctype html>
<html><head><title>Harbour talks resume after a long night</title></head>
<body><h1>Harbour talks resume after a long night</h1>
<section id="isso-thread" data-title="Harbour talks resume after a long night"></section></body></html>
"""
# What the config changes from Isso's defaults, and why (printed with the results).
GUARD_LIMIT = 1_000_000
CONFIG_NOTES = [
    f"Isso [guard] ratelimit = {GUARD_LIMIT:,} (default 2 new comments per minute per IP) and "
    f"direct-reply = {GUARD_LIMIT:,} (default 3 top-level comments per IP per thread): every comment "
    "of the seeding and the load test comes from 127.0.0.1. The guard stays enabled, so its queries "
    "still run on every post.",
    "Isso [guard] reply-to-self = true (default false): seeding posts replies from the same IP to "
    "comments less than max-age (15 min) old, which the default refuses.",
    "Isso: moderation off (its default), markup mistune (default), notify stdout (default), "
    "gravatar off (default); [general] dbpath and host are the only other settings.",
]


class IssoUnavailable(RuntimeError):
    """Isso cannot be installed or run here; the message says which command failed and how."""


# --- the virtualenv ---------------------------------------------------------------------------


def _run(command: list[str], timeout: float) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise IssoUnavailable(f"`{' '.join(command)}` failed: {error}") from error
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise IssoUnavailable(f"`{' '.join(command)}` exited {done.returncode}:\n{tail}")
    return done.stdout


def _installed(python: Path) -> dict[str, str]:
    frozen = _run([str(python), "-m", "pip", "freeze", "--all"], timeout=120)
    pairs = (line.split("==", 1) for line in frozen.splitlines() if "==" in line)
    return {name.lower(): version for name, version in pairs}


def _missing_pins(installed: dict[str, str]) -> list[str]:
    wanted = (pin.split("==", 1) for pin in ISSO_PINS)
    return [f"{name}=={version}" for name, version in wanted if installed.get(name.lower()) != version]


def ensure_venv(venv: Path) -> dict[str, str]:
    """Create the Isso virtualenv if missing and install the pins if they differ; the versions in it."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"  creating {venv} ({PYTHON} -m venv) ...", flush=True)
        _run([PYTHON, "-m", "venv", str(venv)], timeout=300)
    missing = _missing_pins(_installed(python))
    if missing:
        print(f"  pip install {' '.join(ISSO_PINS)} ...", flush=True)
        _run([str(python), "-m", "pip", "install", "--quiet", *ISSO_PINS], timeout=900)
        missing = _missing_pins(_installed(python))
        if missing:
            raise IssoUnavailable(f"after pip install, the Isso virtualenv still lacks {missing}")
    check = "import platform, isso, gunicorn; print(platform.python_version())"
    versions = _installed(python)
    versions["python"] = _run([str(python), "-c", check], timeout=60).strip()
    return versions


# --- the publisher's site ---------------------------------------------------------------------


class _StoryHandler(http.server.BaseHTTPRequestHandler):
    """Every path answers the story page (Isso only reads its <title>)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(STORY_PAGE)))
        self.end_headers()
        if body:
            self.wfile.write(STORY_PAGE)

    def log_message(self, *args: object) -> None:
        pass


class Publisher:
    """The publisher's site Isso belongs to, on a free loopback port, in a thread of this process."""

    def __enter__(self) -> "Publisher":
        self.server = http.server.ThreadingHTTPServer((pages.HOST, 0), _StoryHandler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- configuration and server -----------------------------------------------------------------


def write_config(path: Path, dbpath: Path, publisher_port: int) -> None:
    """Isso's defaults, plus the database, the publisher's address and the guard limits (CONFIG_NOTES)."""
    path.write_text(
        "# bench/discussions.py: Isso defaults except what is listed in the benchmark's notes.\n"
        "[general]\n"
        f"dbpath = {dbpath}\n"
        f"host = http://{pages.HOST}:{publisher_port}/\n"
        "\n[guard]\n"
        f"ratelimit = {GUARD_LIMIT}\n"
        f"direct-reply = {GUARD_LIMIT}\n"
        "reply-to-self = true\n"
    )


def server_env(config: Path) -> dict[str, str]:
    """Isso's environment: its settings file and nothing of Agora's."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(Path.home()),
        "LANG": "C.UTF-8",
        "ISSO_SETTINGS": str(config),
    }


# --- seeding ----------------------------------------------------------------------------------


def post(port: int, body: dict) -> tuple[int, dict]:
    """One POST /new?uri=/story; (status, answer)."""
    conn = http.client.HTTPConnection(pages.HOST, port, timeout=pages.REQUEST_TIMEOUT_SECONDS)
    try:
        conn.request(
            "POST",
            f"/new?uri={quote(STORY_URI)}",
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Host": pages.HOST},
        )
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, {"raw": raw[:300].decode(errors="replace")}


def seed(port: int, corpus: list[dict]) -> dict:
    """Every corpus comment through Isso's own API, in order; replies name their parent's Isso id."""
    started = time.monotonic()
    ids: list[int] = []
    for item in corpus:
        body = {"text": item["text"], "author": item["author"]}
        if item["parent"] is not None:
            body["parent"] = ids[item["parent"]]
        status, answer = post(port, body)
        if status != 201 or answer.get("mode") != 1:
            raise pages.BenchError(f"Isso refused seed comment {len(ids) + 1} ({status}): {answer}")
        ids.append(answer["id"])
    return {"comments": len(ids), "seconds": round(time.monotonic() - started, 2), "via": "HTTP POST /new"}


def whole_thread_path() -> str:
    return f"/?uri={quote(STORY_URI)}"


def first_page_path() -> str:
    """Twenty top-level comments with three replies each, newest first: Agora's first page."""
    return f"/?uri={quote(STORY_URI)}&limit=20&nested_limit=3&sort=newest"


def comment_ids(answer: dict) -> list[int]:
    """Every comment id in a GET /?uri= answer (top level and nested)."""
    ids = []
    for top in answer.get("replies", []):
        ids.append(top["id"])
        ids += [reply["id"] for reply in top.get("replies", [])]
    return ids


if __name__ == "__main__":
    sys.exit("bench/discussions_isso.py is a helper of bench/discussions.py")
