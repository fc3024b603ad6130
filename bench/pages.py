"""Page throughput and latency of a real server, page cache on vs off, small vs large archive.

    .venv/bin/python bench/pages.py                      # N = 100 and 100,000, 10 s per measurement
    .venv/bin/python bench/pages.py --duration 5 --n 100 # quicker

For each N: a fresh SQLite database under var/bench/, migrated and seeded with N published
articles (bench/seed_articles.py); then gunicorn (2 sync workers, DEBUG off) on a free
loopback port, measured with wrk twice: with the page cache on (the product's default,
warmed first) and off (PAGE_CACHE_SECONDS=0, every request renders from the database:
the baseline).  Prints the machine, a table and comparisons; writes the same as JSON to
var/bench/pages-<timestamp>.json.  See bench/README.md for how to read it.
"""

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import django

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "var" / "bench"
HOST = "127.0.0.1"  # loopback only: the benchmark never leaves this machine
WORKERS = 2
THREADS = 2
SERVER_START_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30
WARMUP_SECONDS = 3
MIN_SAMPLES = 100  # fewer requests than this and a p99 means little
FLAT_RATIO = 0.75  # large-archive throughput at least this share of the small one counts as flat

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class BenchError(RuntimeError):
    """Something the benchmark cannot measure through: say what, and stop."""


@dataclass
class Result:
    n: int
    page: str
    path: str
    cache: str  # "on" or "off"
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int
    page_bytes: int
    unloaded_ms: float  # median of one-at-a-time requests during warm-up: render time, no queueing


# --- the machine ----------------------------------------------------------------------------


def _first_match(path: str, pattern: str) -> str:
    try:
        match = re.search(pattern, Path(path).read_text(), re.MULTILINE)
    except OSError:
        return "unknown"
    return match.group(1).strip() if match else "unknown"


def tool_version(command: list[str], pattern: str) -> str:
    """The version a command prints, e.g. `wrk -v` (which exits non-zero)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(pattern, done.stdout + done.stderr)
    return match.group(1) if match else "unknown"


def machine_info() -> dict[str, str]:
    """What the figures were measured on; printed first so that nobody compares across machines."""
    mem_kib = _first_match("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpu": _first_match("/proc/cpuinfo", r"^model name\s*:\s*(.+)$"),
        "cores": f"{len(os.sched_getaffinity(0))} usable of {os.cpu_count()}",
        "memory": f"{int(mem_kib) / 1024**2:.1f} GiB" if mem_kib.isdigit() else "unknown",
        "os": f"{_first_match('/etc/os-release', r'^PRETTY_NAME=(.+)$').strip(chr(34))}, "
        f"kernel {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "gunicorn": tool_version([sys.executable, "-m", "gunicorn", "--version"], r"version ([\d.]+)"),
        "wrk": tool_version(["wrk", "-v"], r"wrk (\S+)"),
        "load average at start": load,
    }


# --- database -------------------------------------------------------------------------------


def bench_env(workdir: Path, cache_seconds: int | None) -> dict[str, str]:
    """Environment for manage.py, the seeder and gunicorn: this run's database and cache, nothing else."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PAGE_CACHE_SECONDS"}}
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        AGORA_VAR_DIR=str(workdir / "var"),
        DJANGO_SETTINGS_MODULE="agora.settings",
        AGORA_ENV="development",
        DEBUG="0",
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"http://{HOST}",
    )
    if cache_seconds is not None:
        env["PAGE_CACHE_SECONDS"] = str(cache_seconds)
    return env


def run_step(command: list[str], env: dict[str, str], timeout: float) -> str:
    """Run a setup command to completion; its output on failure, its stdout on success."""
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
        raise BenchError(f"{' '.join(command)} failed ({done.returncode}); the end of its output:\n{tail}")
    return done.stdout


def build_database(workdir: Path, n: int) -> dict:
    """Migrate a fresh database in workdir and seed n articles; returns timings and the middle slug."""
    workdir.mkdir(parents=True)
    env = bench_env(workdir, cache_seconds=None)
    started = time.monotonic()
    run_step([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env, timeout=300)
    migrated = time.monotonic()
    seeded = run_step(
        [sys.executable, "bench/seed_articles.py", "--count", str(n)], env, timeout=120 + n * 0.01
    )
    summary = json.loads(seeded.strip().splitlines()[-1])
    summary["migrate_seconds"] = round(migrated - started, 2)
    return summary


# --- server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET on loopback, redirects not followed; (status, headers, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        conn.request("GET", path, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Server:
    """gunicorn in its own process group; stopped (group and all) when the `with` block ends."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        command = [sys.executable, "-m", "gunicorn", "agora.wsgi", "-w", str(WORKERS)]
        command += ["-b", f"{HOST}:{self.port}", "--error-logfile", str(self.log_path)]
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL
        )
        self.wait_until_up()
        return self

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                get(self.port, "/robots.txt")
                return
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within {SERVER_START_SECONDS} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # our own session: gunicorn's master and workers
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


# --- measuring ------------------------------------------------------------------------------


def check_and_warm(
    port: int, path: str, cache: str, request_headers: dict[str, str] | None = None
) -> tuple[int, float]:
    """Fail unless `path` answers 200; warm it; check the page cache is doing what we claim.

    The API's read cache (header X-Api-Cache) counts as the page cache here.
    Returns the page size in bytes and the median time of the one-at-a-time warm-up requests.
    """
    deadline = time.monotonic() + WARMUP_SECONDS
    status, headers, body = get(port, path, request_headers)
    if status != 200:
        raise BenchError(f"GET {path} answered {status}, not 200; refusing to measure an error page")
    timings = []
    while time.monotonic() < deadline or not timings:  # both workers, imports, SQLite's page cache
        started = time.monotonic()
        status, headers, body = get(port, path, request_headers)
        timings.append((time.monotonic() - started) * 1000)
        if status != 200:
            raise BenchError(f"GET {path} answered {status} during warm-up")
    verdict = headers.get("x-page-cache") or headers.get("x-api-cache")
    if cache == "on" and verdict != "hit":
        raise BenchError(f"GET {path}: page cache is on but the warm request was not a hit ({verdict})")
    if cache == "off" and verdict is not None:
        raise BenchError(f"GET {path}: page cache is off but the response says X-Page-Cache: {verdict}")
    return len(body), statistics.median(timings)


def to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not match:
        raise BenchError(f"cannot read wrk's time {value!r}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> dict[str, float | int]:
    """req/s, p50, p99, request count, non-2xx/3xx and socket errors from `wrk --latency` output."""

    def number(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match:
            return match.group(1)
        if default is None:
            raise BenchError(f"wrk output lacks {pattern!r}:\n{output}")
        return default

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests_per_second": float(number(r"^Requests/sec:\s+([\d.]+)")),
        "p50_ms": to_ms(number(r"^\s+50%\s+(\S+)")),
        "p99_ms": to_ms(number(r"^\s+99%\s+(\S+)")),
        "requests": int(number(r"^\s+(\d+) requests in")),
        "non_2xx_3xx": int(number(r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
    }


def run_wrk(
    url: str, duration: int, connections: int, headers: dict[str, str] | None = None
) -> dict[str, float | int]:
    command = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{duration}s"]
    command += [f"-H{name}: {value}" for name, value in (headers or {}).items()]
    command += [f"--timeout={REQUEST_TIMEOUT_SECONDS}s", "--latency", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr}")
    return parse_wrk(done.stdout)


def measure(
    workdir: Path, n: int, pages: dict[str, str], cache: str, args: argparse.Namespace
) -> list[Result]:
    """Start a server in the given cache mode and measure every page under load."""
    env = bench_env(workdir, cache_seconds=None if cache == "on" else 0)
    results = []
    with Server(env, workdir / f"gunicorn-cache-{cache}.log") as server:
        for page, path in pages.items():
            size, unloaded_ms = check_and_warm(server.port, path, cache)
            figures = run_wrk(f"http://{HOST}:{server.port}{path}", args.duration, args.connections)
            results.append(
                Result(
                    n=n,
                    page=page,
                    path=path,
                    cache=cache,
                    page_bytes=size,
                    unloaded_ms=unloaded_ms,
                    **figures,
                )
            )
            rate = figures["requests_per_second"]
            print(f"  N={n} {page} page, cache {cache}: {rate:.1f} req/s", flush=True)
    return results


# --- report ---------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = f"{'N':>8}  {'page':<8} {'cache':<5} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'1-conn ms':>9}"
    header += f" {'requests':>9} {'non-2xx':>8} {'sock err':>8} {'KB':>6}"
    rows = [header, "-" * len(header)]
    for r in results:
        rows.append(
            f"{r.n:>8}  {r.page:<8} {r.cache:<5} {r.requests_per_second:>9.1f} {r.p50_ms:>9.2f} "
            f"{r.p99_ms:>9.2f} {r.unloaded_ms:>9.2f} {r.requests:>9} {r.non_2xx_3xx:>8} {r.socket_errors:>8} "
            f"{r.page_bytes / 1024:>6.1f}"
        )
    return "\n".join(rows)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b else "∞×"


def comparisons(results: list[Result]) -> list[str]:
    """Cache on vs off for every (N, page); largest vs smallest N, uncached, for every page."""
    by_key = {(r.n, r.page, r.cache): r for r in results}
    lines = []
    for (n, page, cache), on in by_key.items():
        off = by_key.get((n, page, "off"))
        if cache == "on" and off:
            lines.append(
                f"{page} page, N={n}: cached {ratio(on.requests_per_second, off.requests_per_second)} "
                f"the uncached throughput (p50 {on.p50_ms:.2f} ms vs {off.p50_ms:.2f} ms)"
            )
    ns = sorted({r.n for r in results})
    if len(ns) > 1:
        small, large = ns[0], ns[-1]
        for page in dict.fromkeys(r.page for r in results):
            a, b = by_key.get((large, page, "off")), by_key.get((small, page, "off"))
            if not (a and b):
                continue
            share = a.requests_per_second / b.requests_per_second if b.requests_per_second else 0.0
            verdict = "flat: cost does not grow with the archive" if share >= FLAT_RATIO else "GROWS with N"
            lines.append(
                f"{page} page, uncached, N={large} vs N={small}: {share:.2f}× the throughput, "
                f"p50 {a.p50_ms:.2f} ms vs {b.p50_ms:.2f} ms ({verdict})"
            )
    return lines


def problems(results: list[Result]) -> list[str]:
    """Measurements whose figures are not to be trusted: failed requests, or too few to rank."""
    lines = []
    for r in results:
        where = f"WARNING: N={r.n} {r.page} cache {r.cache}:"
        if r.non_2xx_3xx or r.socket_errors:
            lines.append(
                f"{where} {r.non_2xx_3xx} non-2xx/3xx responses, {r.socket_errors} socket errors "
                f"(timeouts included) out of {r.requests} requests"
            )
        if r.requests < MIN_SAMPLES:
            lines.append(
                f"{where} only {r.requests} requests; its p99 is not a percentile (raise --duration)"
            )
    return lines


def print_report(machine: dict, seeds: dict[int, dict], results: list[Result], notes: list[str]) -> None:
    print("\n== Agora page benchmark ==")
    for key, value in machine.items():
        print(f"{key + ':':<24}{value}")
    print(f"{'server:':<24}gunicorn -w {WORKERS} (sync), DEBUG=0, SQLite, diskcache; wrk on loopback")
    for n, seed in seeds.items():
        print(
            f"seed N={n}: {seed['seconds']:.1f} s for {seed['articles']} articles, {seed['blocks']} blocks "
            f"(migrate {seed['migrate_seconds']:.1f} s)"
        )
    print()
    print(table(results))
    print()
    for line in notes:
        print(line)


# --- main -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[100, 100_000], help="archive sizes")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per measurement")
    parser.add_argument("--connections", type=int, default=16, help="wrk's open connections")
    parser.add_argument("--keep", action="store_true", help="keep the databases and server logs")
    args = parser.parse_args()
    if min(args.n) < 1 or args.duration < 1 or args.connections < THREADS:
        parser.error(f"--n and --duration must be positive, --connections at least {THREADS}")
    args.n = list(dict.fromkeys(args.n))  # each size once: one database directory per N
    return args


def bench_one(rundir: Path, n: int, args: argparse.Namespace) -> tuple[dict, list[Result]]:
    print(f"N={n}: building the database ...", flush=True)
    workdir = rundir / f"n{n}"
    seed = build_database(workdir, n)
    print(f"  seeded {n} articles in {seed['seconds']:.1f} s", flush=True)
    pages = {"article": f"/articles/{seed['middle_slug']}/", "home": "/"}
    results = []
    for cache in ("on", "off"):
        results += measure(workdir, n, pages, cache, args)
    return seed, results


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("bench/pages.py needs wrk (HTTP load generator): sudo apt-get install wrk", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below on kill too
    machine = machine_info()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    rundir = BENCH_DIR / f"run-{stamp}"
    seeds, results = {}, []
    try:
        for n in args.n:
            seeds[n], found = bench_one(rundir, n, args)
            results += found
    except BenchError as error:
        print(f"\nbench/pages.py: FAILED: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench/pages.py: interrupted; server stopped", file=sys.stderr)
        return 130
    finally:
        if not args.keep:
            shutil.rmtree(rundir, ignore_errors=True)
    notes = problems(results) + comparisons(results)
    print_report(machine, seeds, results, notes)
    out = BENCH_DIR / f"pages-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine, "args": vars(args), "seeds": seeds, "notes": notes}
    payload["results"] = [asdict(r) for r in results]
    out.write_text(json.dumps(payload, indent=2))
    print(f"\nwritten {out.relative_to(REPO_ROOT)}" + (f"; databases kept in {rundir}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
