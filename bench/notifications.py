"""Notification fan-out and the digest run, through the real broker and ONE worker process.

    .venv/bin/python bench/notifications.py                  # 100,000 readers, embedded default
    .venv/bin/python bench/notifications.py --readers 10000  # quicker
    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/notifications.py

A fresh database (SQLite under var/bench/ unless DATABASE_URL is given) is migrated and seeded with N
readers with confirmed addresses.  One Celery worker (`--pool solo`, one process) runs on the broker the
settings choose: the embedded filesystem broker, or Redis with REDIS_URL.  Emails go to an SMTP server
on loopback (aiosmtpd, in this process) that counts what it accepts.

1. Fan-out: `notify_followers(article, <N ids>, "Syria")`, as the interests app calls it after an
   ingest; timed from the call until every reader has the in-app notification (counted in the database).
   Baseline, same run: the same rows written one INSERT each (a sample of 5,000, scaled to N).
2. Digest: `compose_digests("daily")` queued as the scheduler would; timed until every reader's digest
   has been accepted by the SMTP server (each carries the article, and the baseline's row for 5,000).
Prints the machine and the figures against the targets (60 s and 5 minutes at 100,000 readers).
"""

import argparse
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BASELINE_SAMPLE = 5_000
FAN_OUT_TARGET_S = 60.0
DIGEST_TARGET_S = 300.0


class SinkHandler:
    """Accepts every message and counts it."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self._lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(workdir: Path, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    env.update(
        AGORA_VAR_DIR=str(workdir),
        DJANGO_SETTINGS_MODULE="agora.settings",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        CACHE_KEY_PREFIX=f"bench-{os.getpid()}",
        DEBUG="0",  # as in production: compiled templates are cached
        LOG_LEVEL="ERROR",
    )
    return env


def machine() -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import django

    return [
        f"cpu: {cpu}",
        f"cores: {len(os.sched_getaffinity(0))} usable of {os.cpu_count()}",
        f"python {platform.python_version()}, django {django.get_version()}, sqlite {sqlite3.sqlite_version}",
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


def seed_readers(count: int) -> None:
    from django.utils import timezone

    from accounts.models import User

    now = timezone.now()
    for start in range(0, count, 5_000):
        User.objects.bulk_create(
            User(
                username=f"reader{i}",
                email=f"reader{i}@example.org",
                password="!",  # unusable: nobody logs in
                email_verified_at=now,
            )
            for i in range(start, min(count, start + 5_000))
        )


def start_worker(env: dict[str, str], pool: str, concurrency: int) -> subprocess.Popen:
    options = ["--pool", pool] + ([] if pool == "solo" else ["--concurrency", str(concurrency)])
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "agora", "worker", *options, "--loglevel", "INFO"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert worker.stdout is not None
    for line in worker.stdout:
        if " ready." in line:
            threading.Thread(target=lambda: [None for _ in worker.stdout], daemon=True).start()  # type: ignore[union-attr]
            return worker
    raise RuntimeError("the worker stopped before it was ready")


def wait_until(count_now, target: int, limit_s: float) -> float:
    started = time.perf_counter()
    while (done := count_now()) < target:
        if time.perf_counter() - started > limit_s:
            raise RuntimeError(f"only {done:,} of {target:,} after {limit_s:.0f} s")
        time.sleep(0.25)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database and the broker's folders")
    parser.add_argument(
        "--pool",
        choices=["solo", "threads", "prefork"],
        default="solo",
        help="the worker's pool (default solo)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=2, help="threads or processes of a threads or prefork pool"
    )
    args = parser.parse_args()

    workdir = REPO_ROOT / "var" / "bench" / f"notifications-{datetime.now():%Y%m%d-%H%M%S}"
    workdir.mkdir(parents=True)
    from aiosmtpd.controller import Controller

    sink = SinkHandler()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = environment(workdir, smtp.port)
    os.environ.update(env)
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()
    from django.conf import settings

    from accounts.models import User
    from articles.tests.conftest import build_article
    from notifications import services, tasks
    from notifications.models import EmailDelivery, Kind, Notification

    print("== notifications benchmark")
    for line in machine():
        print(line)
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    pool = (
        "solo pool: one task at a time" if args.pool == "solo" else f"{args.pool} pool of {args.concurrency}"
    )
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    print(f"database: {database}; broker: {broker}; one worker process ({pool})")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO_ROOT, env=env, check=True)
    seeded = time.perf_counter()
    seed_readers(args.readers)
    print(f"seeded {args.readers:,} readers in {time.perf_counter() - seeded:.1f} s")
    worker = start_worker(env, args.pool, args.concurrency)
    try:
        article = build_article("Idlib ceasefire holds as talks resume")
        reader_ids = list(User.objects.order_by("pk").values_list("pk", flat=True))

        # Baseline: one INSERT per notification, for a sample, scaled to N.
        other = build_article("Baseline: the same rows one INSERT at a time")
        started = time.perf_counter()
        for reader_id in reader_ids[:BASELINE_SAMPLE]:
            Notification.objects.create(
                recipient_id=reader_id,
                kind=Kind.FOLLOWED,
                key=f"article:{other.pk}",
                article=other,
                text="Syria",
                url=other.get_absolute_url(),
                email_schedule="daily",
            )
        per_row = (time.perf_counter() - started) / BASELINE_SAMPLE
        scaled = per_row * args.readers
        print(
            f"baseline, one INSERT per row: {per_row * 1e3:.2f} ms a row, {scaled:.1f} s for {args.readers:,}"
        )

        started = time.perf_counter()
        batches = services.notify_followers(article, reader_ids, because="Syria")
        queued = time.perf_counter() - started
        rows = Notification.objects.filter(key=f"article:{article.pk}")
        fan_out = queued + wait_until(rows.count, args.readers, limit_s=900)
        verdict = "within" if fan_out <= FAN_OUT_TARGET_S else "OVER"
        print(
            f"fan-out: {args.readers:,} in-app notifications in {fan_out:.1f} s ({batches} tasks queued in "
            f"{queued:.1f} s; {args.readers / fan_out:,.0f} a second): {verdict} the "
            f"{FAN_OUT_TARGET_S:.0f} s target"
        )

        started = time.perf_counter()
        tasks.compose_digests.delay("daily")
        composed = wait_until(EmailDelivery.objects.count, args.readers, limit_s=1800)
        digest = composed + wait_until(lambda: sink.count, args.readers, limit_s=3600)
        verdict = "within" if digest <= DIGEST_TARGET_S else "OVER"
        print(
            f"digest: {args.readers:,} daily digests composed in {composed:.1f} s, all accepted by the SMTP "
            f"server in {digest:.1f} s ({sink.count / digest:,.0f} a second): {verdict} the "
            f"{DIGEST_TARGET_S:.0f} s target"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        smtp.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
