"""Servers and load for bench/discussions.py: gunicorn for either side, wrk posting, a thread walker.

GETs are measured with bench/pages.py's `run_wrk`; posts with wrk and a generated Lua script
that numbers every body (and Agora's client_key) per wrk thread, so no two requests are
alike, and counts the responses by status.  A whole thread is fetched by a small Python
client: 2 worker threads, one keep-alive http.client connection each (gunicorn's sync
workers close it after every response, and http.client reopens it), looping until the
deadline and checking every walk returned every comment.
"""

import http.client
import json
import os
import re
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pages
from pages import HOST, REQUEST_TIMEOUT_SECONDS, BenchError

WALKERS = 2  # client threads fetching whole threads
FAILURE_SHARE = 0.01  # more failed requests than this and a measurement does not count


# --- servers ----------------------------------------------------------------------------------


# Process groups of the servers started (each gunicorn runs in a session of its own), for wait_until_idle.
SERVER_GROUPS: list[int] = []
IDLE_CPU_SECONDS = 0.03  # at most this much CPU over IDLE_WINDOW_SECONDS counts as idle
IDLE_WINDOW_SECONDS = 1.0


def _group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by the processes of one process group."""
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name: state, ppid, pgrp, ...
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_until_idle(timeout: float = 120.0) -> float:
    """Wait until every server is idle, so no measurement shares the CPU with the previous one's
    backlog (requests wrk gave up on at its deadline are still being answered).  Seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = sum(_group_cpu_seconds(g) for g in SERVER_GROUPS)
        time.sleep(IDLE_WINDOW_SECONDS)
        if sum(_group_cpu_seconds(g) for g in SERVER_GROUPS) - before <= IDLE_CPU_SECONDS:
            break
    return time.monotonic() - started


class Gunicorn(pages.Server):
    """`python -m gunicorn APP -w 2` from a given interpreter, its output in a log file.

    pages.Server's start-up wait and process-group shutdown; the control socket (new in
    gunicorn 27, one path per user by default) is off so that two servers do not share it.
    """

    def __init__(self, python: str, app: str, env: dict[str, str], log_path: Path, cwd: Path) -> None:
        super().__init__(env, log_path)
        self.python, self.app, self.cwd = python, app, cwd

    def __enter__(self) -> "Gunicorn":
        command = [self.python, "-m", "gunicorn", self.app, "-w", str(pages.WORKERS)]
        command += ["-b", f"{HOST}:{self.port}", "--no-control-socket"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.cwd, env=self.env, start_new_session=True, stdout=log, stderr=log
            )
        SERVER_GROUPS.append(self.process.pid)  # start_new_session: the master leads its group
        try:
            self.wait_until_up()
        except BaseException:
            self.__exit__()
            raise
        return self


def count_rows(database: Path, table: str, column: str) -> dict[str, int]:
    """Rows of a table in a SQLite file by the value of a column, read-only (the servers keep writing)."""
    sql = f"SELECT {column}, COUNT(*) FROM {table} GROUP BY {column}"  # our own table and column names
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
        return {str(value): n for value, n in conn.execute(sql).fetchall()}


# --- one request ------------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh loopback connection; (status, headers, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def get_json(port: int, path: str) -> dict:
    status, _, body = request(port, "GET", path)
    if status != 200:
        raise BenchError(f"GET {path} answered {status}: {body[:300]!r}")
    return json.loads(body)


# --- posting with wrk ---------------------------------------------------------------------------

LUA = r"""-- generated by bench/discussions.py: unique bodies, responses counted by status
local counter = 0
local threads = {}
statuses = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local n = string.format("%d-%d", thread_number, counter)
  local body = string.gsub(BODY, "{n}", n)
  return wrk.format("POST", nil, HEADERS, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  for status, n in pairs(totals) do
    io.write(string.format("status %d %d\n", status, n))
  end
end
"""


def lua_string(text: str) -> str:
    """A Lua long-bracket literal holding text verbatim."""
    level = "=" * 4
    if f"]{level}]" in text:
        raise BenchError("cannot quote this text for Lua")
    return f"[{level}[{text}]{level}]"


def post_script(body_template: str, headers: dict[str, str]) -> str:
    """The Lua for `wrk -s`: `{n}` in body_template becomes '<wrk thread>-<counter>'."""
    lua_headers = ", ".join(f"[ {lua_string(k)} ] = {lua_string(v)}" for k, v in headers.items())
    return f"BODY = {lua_string(body_template)}\nHEADERS = {{{lua_headers}}}\n{LUA}"


def parse_statuses(output: str) -> dict[int, int]:
    return {int(code): int(n) for code, n in re.findall(r"^status (\d+) (\d+)$", output, re.MULTILINE)}


def run_wrk_post(url: str, script: str, duration: int, connections: int) -> dict:
    """wrk with the Lua script: pages.parse_wrk's figures plus `statuses` and `non_2xx` from Lua."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        command = ["wrk", f"-t{pages.THREADS}", f"-c{connections}", f"-d{duration}s", "-s", file.name]
        command += [f"--timeout={REQUEST_TIMEOUT_SECONDS}s", "--latency", url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    finally:
        os.unlink(file.name)
    # wrk carries on with plain GETs when its script fails to load: refuse to count those.
    if done.returncode != 0 or done.stderr.strip():
        raise BenchError(f"wrk -s failed ({done.returncode}): {done.stderr.strip()}")
    figures = pages.parse_wrk(done.stdout)
    statuses = parse_statuses(done.stdout)
    if sum(statuses.values()) < figures["requests"]:
        raise BenchError(
            f"the wrk script counted {statuses} for {figures['requests']} requests:\n{done.stdout}"
        )
    figures["statuses"] = statuses
    failed = sum(n for code, n in statuses.items() if not 200 <= code < 300)
    figures["non_2xx_3xx"] = max(failed, figures["non_2xx_3xx"])
    return figures


# --- whole threads ------------------------------------------------------------------------------


class Client:
    """One keep-alive connection per walker; http.client reconnects when the server closes it."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
        self.requests = 0

    def get_json(self, path: str) -> dict:
        self.conn.request("GET", path, headers={"Host": HOST})
        response = self.conn.getresponse()
        body = response.read()
        self.requests += 1
        if response.status != 200:
            raise BenchError(f"GET {path} answered {response.status}: {body[:300]!r}")
        return json.loads(body)

    def close(self) -> None:
        self.conn.close()


Walk = Callable[[Client], list[int]]  # fetches one whole thread; the comment ids it saw


def agora_walk(thread_id: int, limit: int) -> Walk:
    """Every page of the thread through the API, and every root's further replies pages, `limit` a page
    and up to `limit` replies under each comment (?limit= and ?replies=, as a client fetching a whole
    thread would ask, like Isso's limit and nested_limit)."""

    def walk(client: Client) -> list[int]:
        ids: list[int] = []
        cursor = None
        while True:
            path = f"/api/v1/threads/{thread_id}/comments?limit={limit}&replies={limit}"
            page = client.get_json(path + (f"&cursor={quote(cursor)}" if cursor else ""))
            for node in page["comments"]:
                ids.append(node["id"])
                ids += [reply["id"] for reply in node["replies"]]
                ids += _more_replies(client, node["id"], node["replies_cursor"], limit)
            cursor = page["next_cursor"]
            if not cursor:
                return ids

    return walk


def _more_replies(client: Client, root_id: int, cursor: str | None, limit: int) -> list[int]:
    ids: list[int] = []
    while cursor:
        page = client.get_json(f"/api/v1/comments/{root_id}/replies?limit={limit}&cursor={quote(cursor)}")
        ids += [reply["id"] for reply in page["replies"]]
        cursor = page["next_cursor"]
    return ids


def isso_walk(path: str, ids_of: Callable[[dict], list[int]]) -> Walk:
    """Isso's one GET that answers the whole thread."""

    def walk(client: Client) -> list[int]:
        return ids_of(client.get_json(path))

    return walk


@dataclass
class WalkResult:
    threads_per_second: float
    p50_ms: float
    p99_ms: float
    walks: int
    requests: int
    comments_per_walk: int
    requests_per_walk: float
    unloaded_ms: float  # median of the one-at-a-time warm-up walks: the walk's own cost, no queueing


def check_walk(port: int, walk: Walk, expected: int) -> tuple[int, int]:
    """One walk, alone: every comment exactly once, or an error.  (comments, requests)."""
    client = Client(port)
    try:
        ids = walk(client)
    finally:
        client.close()
    if len(ids) != expected or len(set(ids)) != expected:
        raise BenchError(
            f"a whole-thread walk saw {len(ids)} comments ({len(set(ids))} distinct), not {expected}"
        )
    return len(ids), client.requests


def warm_walks(port: int, walk: Walk, expected: int) -> tuple[int, int, float]:
    """Walk alone, checked, for pages.WARMUP_SECONDS (once at least); (comments, requests, median ms)."""
    deadline = time.monotonic() + pages.WARMUP_SECONDS
    timings: list[float] = []
    while time.monotonic() < deadline or not timings:
        started = time.monotonic()
        comments, requests = check_walk(port, walk, expected)
        timings.append((time.monotonic() - started) * 1000)
    return comments, requests, statistics.median(timings)


def _walker(port: int, walk: Walk, expected: int, deadline: float, out: dict) -> None:
    client = Client(port)
    try:
        while time.monotonic() < deadline:
            started = time.monotonic()
            seen = len(walk(client))
            if seen != expected:
                raise BenchError(f"a whole-thread walk saw {seen} comments, not {expected}")
            out["latencies"].append((time.monotonic() - started) * 1000)
    except Exception as error:  # reported by walk_for, which re-raises it in the main thread
        out["error"] = error
    finally:
        out["requests"] = client.requests
        client.close()


def walk_for(port: int, walk: Walk, expected: int, duration: int) -> WalkResult:
    """WALKERS threads walking the whole thread over and over for `duration` seconds."""
    comments, per_walk, unloaded_ms = warm_walks(port, walk, expected)
    started = time.monotonic()
    outs = [{"latencies": [], "requests": 0} for _ in range(WALKERS)]
    workers = [
        threading.Thread(target=_walker, args=(port, walk, expected, started + duration, out), daemon=True)
        for out in outs
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=duration + REQUEST_TIMEOUT_SECONDS * 3)
    elapsed = time.monotonic() - started
    for out in outs:
        if "error" in out:
            raise BenchError(f"whole-thread walker failed: {out['error']}")
    latencies = sorted(ms for out in outs for ms in out["latencies"])
    if not latencies:
        raise BenchError("no whole-thread walk finished within the duration")
    return WalkResult(
        threads_per_second=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies),
        p99_ms=percentile(latencies, 99),
        walks=len(latencies),
        requests=sum(out["requests"] for out in outs),
        comments_per_walk=comments,
        requests_per_walk=per_walk,
        unloaded_ms=unloaded_ms,
    )


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
