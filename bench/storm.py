"""A posting storm through crashes: is every acknowledged comment stored, and none stored twice?

    .venv/bin/python bench/storm.py                                   # SQLite, embedded cache, 30 s
    .venv/bin/python bench/storm.py --db postgres://USER@HOST:5432/DB # PostgreSQL, with a Redis of its own

20 clients post comments through the JSON API, each with a client_key of its own, for --duration
seconds, against the production server (`gunicorn agora.asgi:application -k
uvicorn_worker.UvicornWorker -w 2`), while the script kills (SIGKILL) a gunicorn worker every
--kill-every seconds, the master once (then, as systemd would, what is left of its workers, and starts
gunicorn again), and, with PostgreSQL, the Redis server once (started again 3 s later).  Every failed
request (a refused connection, a reset, a 5xx, a 429, a timeout) is retried with the same body and
client_key until it is acknowledged (201, or 200 for a retry the server had already stored); posts
in flight when the time is up are still retried to an answer.

Then it counts the run's comments in the database and prints: posts acknowledged, stored, lost
(acknowledged but not stored: must be 0), duplicated (one post stored twice: must be 0), stored but
never acknowledged, and the 5xx, 429 and connection errors seen.  Exit status 1 when anything was lost
or duplicated.  --json FILE writes the figures.  SQLite runs on a fresh database under var/bench/;
PostgreSQL runs on the database given (migrated first), counting only this run's readers' comments.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pages
from pages import BENCH_DIR, HOST, REPO_ROOT
from processes import AppServer, RedisProcess, free_port, wait_until

from discussions import agora_env  # bench/discussions.py (this folder comes first on the path)

RETRY_PAUSE = 0.2  # seconds between tries of a failed post
DRAIN_LIMIT = 120  # seconds the clients get to have their last posts acknowledged
REDIS_DOWN = 3.0  # seconds Redis stays stopped


@dataclass
class Tally:
    acknowledged: set[str] = field(default_factory=set)
    unanswered: set[str] = field(default_factory=set)  # started, never acknowledged (drain limit)
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Chaos:
    workers_killed: int = 0
    masters_killed: int = 0
    redis_killed: int = 0
    restarts: list[str] = field(default_factory=list)


class Gunicorn(AppServer):
    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def kill_master(self) -> None:
        """SIGKILL the master; then, as a service manager would, its orphaned workers (its session)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        wait_until(lambda: not _session_alive(self.process.pid), 10, "the old workers to go")


def _session_alive(sid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # session id, and not a zombie
            return True
    return False


def post_until_acknowledged(
    port: int, token: str, thread_id: int, key: str, body: str, tally: Tally, give_up: float
) -> None:
    payload = json.dumps({"body": body, "client_key": key})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while time.monotonic() < give_up:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            connection.request("POST", f"/api/v1/threads/{thread_id}/comments", payload, headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
        finally:
            connection.close()
        with tally.lock:
            if status == 0:
                tally.connection_errors += 1
            else:
                tally.statuses[status] += 1
            if status in (200, 201):
                tally.acknowledged.add(key)
                return
        time.sleep(RETRY_PAUSE)
    with tally.lock:
        tally.unanswered.add(key)


def client(number: int, port: int, token: str, thread_id: int, run: str, stop: float, tally: Tally) -> None:
    sequence = 0
    while time.monotonic() < stop:
        key = f"{run}-{number}-{sequence}"
        body = f"Storm {run}: client {number}, post {sequence}, {random.random():.6f}."
        post_until_acknowledged(port, token, thread_id, key, body, tally, stop + DRAIN_LIMIT)
        sequence += 1


def storm_env(args, workdir: Path, redis: RedisProcess | None) -> dict[str, str]:
    env = agora_env(workdir)
    env.update(LOG_LEVEL="ERROR")
    if args.db != "sqlite":
        env.update(DATABASE_URL=args.db)
    if redis is not None:
        env.update(REDIS_URL=redis.url, CACHE_KEY_PREFIX=f"storm-{workdir.name}")
    return env


def run_db(env: dict[str, str], *arguments: str) -> dict:
    output = pages.run_step([sys.executable, "bench/storm_db.py", *arguments], env, timeout=300)
    return json.loads(output.strip().splitlines()[-1])


def chaos(server: Gunicorn, redis: RedisProcess | None, args, started: float, record: Chaos) -> None:
    """Kill a worker every --kill-every s; the master at 60 % of the run; Redis at 30 %."""
    master_at, redis_at = started + args.duration * 0.6, started + args.duration * 0.3
    next_kill = started + args.kill_every
    end = started + args.duration
    while time.monotonic() < end:
        now = time.monotonic()
        if redis is not None and not record.redis_killed and now >= redis_at:
            redis.kill()
            record.redis_killed += 1
            threading.Timer(REDIS_DOWN, redis.start).start()
        if not record.masters_killed and now >= master_at:
            server.kill_master()
            record.masters_killed += 1
            began = time.monotonic()
            server.start()
            record.restarts.append(
                f"gunicorn back {time.monotonic() - began:.1f} s after its master was killed"
            )
        elif now >= next_kill and (workers := server.worker_pids()):
            os.kill(random.choice(workers), signal.SIGKILL)
            record.workers_killed += 1
            next_kill = now + args.kill_every
        time.sleep(0.1)


def storm(args) -> dict:
    run = datetime.now().strftime("%Y%m%d%H%M%S")
    workdir = BENCH_DIR / f"storm-run-{run}"
    workdir.mkdir(parents=True)
    redis = RedisProcess() if args.db != "sqlite" else None
    if redis is not None:
        redis.start()
    env = storm_env(args, workdir, redis)
    pages.run_step([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env, timeout=300)
    seed = run_db(env, "seed", run, str(args.clients))
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "agora.asgi:application",
        "-k",
        "uvicorn_worker.UvicornWorker",
    ]
    command += [
        "-w",
        str(args.workers),
        "-b",
        f"{HOST}:{port}",
        "--no-control-socket",
        "--graceful-timeout",
        "5",
    ]
    server = Gunicorn(command, env, port, workdir / "gunicorn.log")
    server.start()
    tally, record = Tally(), Chaos()
    try:
        started = time.monotonic()
        stop = started + args.duration
        clients = [
            threading.Thread(target=client, args=(n, port, token, seed["thread_id"], run, stop, tally))
            for n, token in enumerate(seed["tokens"])
        ]
        for thread in clients:
            thread.start()
        chaos(server, redis, args, started, record)
        for thread in clients:
            thread.join()
    finally:
        server.stop()
        if redis is not None:
            redis.kill()
    stored = run_db(env, "count", run)
    stored_keys = set(stored["keys"])
    return {
        "database": "sqlite (embedded cache)" if args.db == "sqlite" else "postgresql + redis",
        "duration_s": args.duration,
        "clients": args.clients,
        "acknowledged": len(tally.acknowledged),
        "stored": stored["stored"],
        "lost": len(tally.acknowledged - stored_keys),
        "duplicated": stored["duplicated"],
        "stored_not_acknowledged": len(stored_keys - tally.acknowledged),
        "never_answered": len(tally.unanswered),
        "5xx": sum(n for status, n in tally.statuses.items() if status >= 500),
        "statuses": dict(sorted(tally.statuses.items())),
        "connection_errors": tally.connection_errors,
        "workers_killed": record.workers_killed,
        "masters_killed": record.masters_killed,
        "redis_killed": record.redis_killed,
        "notes": record.restarts,
        "workdir": str(workdir),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite", help="'sqlite' (a fresh file) or a postgres:// URL")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between worker kills")
    parser.add_argument("--json", type=Path, help="write the figures to this file too")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.db != "sqlite" and not RedisProcess.available():
        print(
            "bench/storm.py on PostgreSQL needs redis-server (apt-get install redis-server)", file=sys.stderr
        )
        return 2
    print("machine: " + ", ".join(f"{k} {v}" for k, v in pages.machine_info().items()), flush=True)
    result = storm(args)
    print(
        f"{result['database']}: {result['clients']} clients for {result['duration_s']} s; killed "
        f"{result['workers_killed']} workers, the master {result['masters_killed']}x, "
        f"Redis {result['redis_killed']}x"
    )
    for name in ("acknowledged", "stored", "lost", "duplicated", "stored_not_acknowledged", "never_answered"):
        print(f"  posts {name.replace('_', ' ')}: {result[name]}")
    print(
        f"  5xx seen: {result['5xx']}; statuses {result['statuses']}; "
        f"connection errors {result['connection_errors']}"
    )
    for note in result["notes"]:
        print(f"  {note}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if result["lost"] or result["duplicated"] else 0


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    sys.exit(main())
