"""Live streams under a flood: with 2,000 open Server-Sent Events streams, do pages keep answering, and do
new comments reach every stream within 2 s?

    .venv/bin/python bench/streams.py                   # 2,000 streams, 10 s of page load per measurement
    .venv/bin/python bench/streams.py --streams 500 --duration 5

One fresh SQLite database (migrated, one article with a few comments and a poster with a bearer token,
through bench/discussions_seed.py), then each server in turn on a free loopback port:

- `wsgi-gthread`: `gunicorn agora.wsgi -k gthread -w 2 --threads 32`, the production command before
  agora.asgi.  Pages only: under a WSGI server the stream endpoints refuse (503) rather than hold a
  thread each.  Its idle page figures are the reference for the others' pages.
- `asgi-1`: `uvicorn agora.asgi:application`, one process, in-process broker (what `make run` serves).
- `asgi-2-redis`: `gunicorn agora.asgi:application -k uvicorn_worker.UvicornWorker -w 2` on a
  redis-server of the benchmark's own (the production set-up, events through Redis pub/sub).

For each: the article page (anonymous, page cache on) under wrk with no stream open (the baseline),
then STREAMS streams opened on that article's thread (each from an X-Forwarded-For address of its own,
TRUSTED_PROXIES=127.0.0.1, so the per-address cap applies as to real readers), the page under wrk again
with them all open, three comments posted through the API (after four unmeasured warm-up posts) with the
time from sending each until each stream shows it,
the server's threads and memory with and without the streams, and 100 streams from ONE address (the cap).
Prints the machine, the figures and whether each target is met; writes them to var/bench/streams-<stamp>.json.
"""

import argparse
import asyncio
import http.client
import json
import re
import shutil
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import pages
from pages import BENCH_DIR, HOST, REPO_ROOT, BenchError
from processes import AppServer, RedisProcess, free_port

from discussions import agora_env  # bench/discussions.py (this folder comes first on the path)

PAGE_P99_TARGET_MS = 200
DELIVERY_TARGET_S = 2.0
OPEN_CONCURRENCY = 100  # streams being opened at once
CAP_PROBE = 100  # streams one address asks for
POSTS = 3
WARM_UP_POSTS = 4  # not measured: a worker's first post loads the moderation model (seconds)
EVENT_ID = re.compile(rb"id: (\d+)\n")


@dataclass
class StreamClient:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    seen: dict[int, float] = field(default_factory=dict)  # comment id: when it arrived (loop time)


@dataclass
class DesignResult:
    design: str
    command: str
    idle: dict
    loaded: dict | None = None
    streams_opened: int = 0
    streams_refused: int = 0
    open_seconds: float = 0.0
    delivery: list[dict] = field(default_factory=list)
    threads_idle: int = 0
    threads_streaming: int = 0
    rss_mb_idle: float = 0.0
    rss_mb_streaming: float = 0.0
    cap: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# --- the server's processes -----------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return pids


def threads_and_rss(pid: int) -> tuple[int, float]:
    """Threads and resident memory (MB) of the server: the process and its children, added up."""
    threads, rss_kb = 0, 0
    for member in process_tree(pid):
        status = Path(f"/proc/{member}/status").read_text()
        threads += int(re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE).group(1))
        rss_kb += int(re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE).group(1))
    return threads, rss_kb / 1024


# --- streams ----------------------------------------------------------------------------------------


async def open_stream(port: int, path: str, address: str) -> tuple[int, StreamClient | None]:
    reader, writer = await asyncio.open_connection(HOST, port, limit=2**20)
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-For: {address}\r\n"
    writer.write((request + "Accept: text/event-stream\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
    status = int(head.split()[1])
    if status != 200:
        writer.close()
        return status, None
    return status, StreamClient(reader, writer)


async def follow(client: StreamClient) -> None:
    loop = asyncio.get_running_loop()
    while data := await client.reader.read(65536):
        for match in EVENT_ID.finditer(data):
            client.seen.setdefault(int(match.group(1)), loop.time())


async def open_many(port: int, path: str, addresses: list[str]) -> tuple[list[StreamClient], list[int]]:
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(address: str) -> tuple[int, StreamClient | None]:
        async with gate:
            try:
                return await open_stream(port, path, address)
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                return 0, None

    results = await asyncio.gather(*(one(a) for a in addresses))
    return [c for _, c in results if c is not None], [s for s, c in results if c is None]


def post_comment(port: int, seed: dict, body: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        payload = json.dumps({"body": body, "client_key": f"streams-{time.time_ns()}"})
        headers = {"Authorization": f"Bearer {seed['token']}", "Content-Type": "application/json"}
        connection.request("POST", f"/api/v1/threads/{seed['thread_id']}/comments", payload, headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 201:
            raise BenchError(f"posting answered {response.status}: {answer}")
        return int(answer["id"])
    finally:
        connection.close()


async def measure_delivery(port: int, seed: dict, clients: list[StreamClient]) -> dict:
    loop = asyncio.get_running_loop()
    sent = loop.time()
    comment_id = await asyncio.to_thread(post_comment, port, seed, f"Live comment at {time.time():.6f}.")
    answered = loop.time()
    deadline = sent + 10
    while loop.time() < deadline and sum(comment_id in c.seen for c in clients) < len(clients):
        await asyncio.sleep(0.05)
    latencies = sorted(c.seen[comment_id] - sent for c in clients if comment_id in c.seen)
    return {
        "comment": comment_id,
        "post_s": round(answered - sent, 3),  # the POST's own round trip, included in the latencies
        "streams": len(clients),
        "received": len(latencies),
        "within_target": sum(1 for t in latencies if t <= DELIVERY_TARGET_S),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p99_s": round(latencies[int(len(latencies) * 0.99) - 1 if len(latencies) > 1 else 0], 3)
        if latencies
        else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
    }


async def close_all(clients: list[StreamClient]) -> None:
    for client in clients:
        client.writer.close()
    await asyncio.sleep(0.5)


# --- one design --------------------------------------------------------------------------------------


async def measure_streams(result: DesignResult, server: AppServer, seed: dict, args) -> None:
    path = f"/discussions/threads/{seed['thread_id']}/events/"
    page_url = f"http://{HOST}:{server.port}{seed['article_path']}"
    addresses = [f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}" for i in range(1, args.streams + 1)]
    started = time.monotonic()
    clients, refused = await open_many(server.port, path, addresses)
    result.open_seconds = round(time.monotonic() - started, 2)
    result.streams_opened, result.streams_refused = len(clients), len(refused)
    if refused:
        result.notes.append(f"{len(refused)} streams not opened (statuses {sorted(set(refused))})")
    followers = [asyncio.create_task(follow(c)) for c in clients]
    await asyncio.sleep(1)
    result.threads_streaming, result.rss_mb_streaming = threads_and_rss(server.process.pid)
    result.loaded = await asyncio.to_thread(pages.run_wrk, page_url, args.duration, args.connections)
    for number in range(WARM_UP_POSTS):  # each worker loads the moderation model on its first post
        await asyncio.to_thread(post_comment, server.port, seed, f"Warm-up post {number} at {time.time()}.")
    for _ in range(POSTS):
        result.delivery.append(await measure_delivery(server.port, seed, clients))
        await asyncio.sleep(1)
    crowd, crowd_refused = await open_many(server.port, path, ["192.0.2.1"] * CAP_PROBE)
    result.cap = {"asked": CAP_PROBE, "opened": len(crowd), "refused_429": crowd_refused.count(429)}
    await close_all(clients + crowd)
    for task in followers:
        task.cancel()


def run_design(
    design: str, command: list[str], env: dict, port: int, seed: dict, workdir: Path, args
) -> DesignResult:
    server = AppServer(command, env, port, workdir / f"{design}.log")
    server.start()
    try:
        pages.check_and_warm(port, seed["article_path"], "on")
        idle = pages.run_wrk(f"http://{HOST}:{port}{seed['article_path']}", args.duration, args.connections)
        result = DesignResult(design, " ".join(command[1:]), idle)
        result.threads_idle, result.rss_mb_idle = threads_and_rss(server.process.pid)
        if design != "wsgi-gthread":
            asyncio.run(measure_streams(result, server, seed, args))
        return result
    finally:
        server.stop()


def designs(workdir: Path, redis: RedisProcess) -> list[tuple[str, list[str], dict, int]]:
    """(name, command, environment, port) of each server measured."""
    base = agora_env(workdir)
    base.update(TRUSTED_PROXIES="127.0.0.1", LOG_LEVEL="ERROR")
    gunicorn = [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", "2"]
    wsgi, asgi_1, asgi_2 = (free_port() for _ in range(3))
    return [
        (
            "wsgi-gthread",
            [*gunicorn, "agora.wsgi", "-k", "gthread", "--threads", "32", "-b", f"{HOST}:{wsgi}"],
            base,
            wsgi,
        ),
        (
            "asgi-1",
            [sys.executable, "-m", "uvicorn", "agora.asgi:application", "--port", str(asgi_1)],
            base,
            asgi_1,
        ),
        (
            "asgi-2-redis",
            [
                *gunicorn,
                "agora.asgi:application",
                "-k",
                "uvicorn_worker.UvicornWorker",
                "-b",
                f"{HOST}:{asgi_2}",
            ],
            {**base, "REDIS_URL": redis.url, "CACHE_KEY_PREFIX": "bench-streams"},
            asgi_2,
        ),
    ]


# --- report ------------------------------------------------------------------------------------------


def report(machine: dict, results: list[DesignResult], args) -> list[str]:
    lines = ["", "machine: " + ", ".join(f"{k} {v}" for k, v in machine.items())]
    lines.append(
        f"streams: {args.streams}; wrk: {args.connections} connections, {args.duration} s per measurement"
    )
    header = f"{'design':<14} {'streams':>8} {'page p50':>9} {'page p99':>9} {'req/s':>8}"
    header += f" {'threads':>8} {'RSS MB':>8}"
    lines += ["", header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.design:<14} {0:>8} {r.idle['p50_ms']:>9.1f} {r.idle['p99_ms']:>9.1f} "
            f"{r.idle['requests_per_second']:>8.0f} {r.threads_idle:>8} {r.rss_mb_idle:>8.0f}"
        )
        if r.loaded:
            lines.append(
                f"{'':<14} {r.streams_opened:>8} {r.loaded['p50_ms']:>9.1f} {r.loaded['p99_ms']:>9.1f} "
                f"{r.loaded['requests_per_second']:>8.0f} {r.threads_streaming:>8} {r.rss_mb_streaming:>8.0f}"
            )
    lines.append("")
    for r in results:
        if not r.loaded:
            lines.append(
                f"{r.design}: pages only (a WSGI server refuses streams with 503 instead of holding a thread)"
            )
            continue
        for d in r.delivery:
            lines.append(
                f"{r.design}: comment {d['comment']} reached {d['received']}/{d['streams']} streams, "
                f"{d['within_target']} within {DELIVERY_TARGET_S:.0f} s "
                f"(p50 {d['p50_s']} s, p99 {d['p99_s']} s, max {d['max_s']} s; "
                f"the POST itself {d['post_s']} s)"
            )
        lines.append(
            f"{r.design}: {r.streams_opened} streams opened in {r.open_seconds} s; one address asking for "
            f"{r.cap['asked']} got {r.cap['opened']} (429 for {r.cap['refused_429']})"
        )
        page_ok = (
            r.loaded["p99_ms"] < PAGE_P99_TARGET_MS
            and not r.loaded["non_2xx_3xx"] + r.loaded["socket_errors"]
        )
        delivered = all(d["within_target"] == d["streams"] == args.streams for d in r.delivery)
        lines.append(
            f"{r.design}: target page p99 < {PAGE_P99_TARGET_MS} ms with {args.streams} streams: "
            f"{'MET' if page_ok else 'MISSED'}; every stream within {DELIVERY_TARGET_S:.0f} s: "
            f"{'MET' if delivered else 'MISSED'}"
        )
        lines += [f"{r.design}: NOTE {note}" for note in r.notes]
    return lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per measurement")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (readers loading pages)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the servers' logs")
    return parser.parse_args()


def seed_database(workdir: Path) -> dict:
    workdir.mkdir(parents=True)
    env = agora_env(workdir)
    corpus = workdir / "corpus.json"
    corpus.write_text(
        json.dumps([{"author": f"reader{i}", "text": f"Comment {i}.", "parent": None} for i in range(5)])
    )
    pages.run_step([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env, timeout=300)
    seeded = pages.run_step(
        [sys.executable, "bench/discussions_seed.py", "--comments", str(corpus)], env, 300
    )
    return json.loads(seeded.strip().splitlines()[-1])


def main() -> int:
    args = parse_args()
    if not shutil.which("wrk"):
        print("bench/streams.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    if not RedisProcess.available():
        print("bench/streams.py needs redis-server (apt-get install redis-server)", file=sys.stderr)
        return 2
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = BENCH_DIR / f"streams-run-{stamp}"
    machine = pages.machine_info()
    results: list[DesignResult] = []
    with ExitStack() as stack:
        redis = RedisProcess()
        redis.start()
        stack.callback(redis.kill)
        seed = seed_database(workdir)
        for design, command, env, port in designs(workdir, redis):
            print(f"== {design}: {' '.join(command[1:])}", flush=True)
            results.append(run_design(design, command, env, port, seed, workdir, args))
    lines = report(machine, results, args)
    print("\n".join(lines))
    out = BENCH_DIR / f"streams-{stamp}.json"
    out.write_text(
        json.dumps(
            {"machine": machine, "args": vars(args), "results": [asdict(r) for r in results]}, indent=2
        )
    )
    print(f"\nwritten: {out.relative_to(REPO_ROOT)}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
