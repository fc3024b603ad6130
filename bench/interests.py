"""'For you' at 100,000 articles, and the follower selection of an article with 100,000 followers.

    .venv/bin/python bench/interests.py                        # SQLite under var/bench/, 100,000 of each
    .venv/bin/python bench/interests.py --articles 10000 --followers 10000 --runs 100
    DATABASE_URL=postgres://… .venv/bin/python bench/interests.py   # an EMPTY database of your own

A fresh database is migrated and seeded with bench/seed_articles.py (N published articles, one every
25 minutes, 6 sections, 50 topics, 1-3 topics each, four bylines and two agencies), then indexed for
feeds as interests.services.index_article would (the same keys, in bulk; topics with saliences
drawn from 0.2-1.0).  Readers: one following 1 topic, one following 50 things (44 topics, the 6
sections), one following nothing, and --followers readers following one topic.

1. For you, in this process against the real database, each reader's feed --runs times after a
   warm-up: the selector alone (interests.selectors.for_you: follows, the index statement, the
   articles) and the whole page (GET /for-you/ through Django's test client: session, middleware,
   template).  p50 and p95 in ms.  Targets: the 50-follow reader's p50 under 50 ms and within 1.5x
   of the 1-follow reader's.  The new reader's (most discussed) is printed beside them.
2. Follower selection: interests.selectors.followers_of(article) for an article on the topic the
   --followers readers follow (one indexed query on (key, user), streamed), p50 over 5 runs;
   baseline, same run: reading just the user ids of that one key (the least any selection must do).
   Delivering the notifications is bench/notifications.py's (the notify side's) measure.
"""

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
# This run's folder (its database unless DATABASE_URL names one, e.g. an earlier run's with --reuse;
# the task queue's folders); delete it when done.
WORKDIR = REPO_ROOT / "var" / "bench" / f"interests-{datetime.now():%Y%m%d-%H%M%S}"
WORKDIR.mkdir(parents=True, exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORKDIR / 'bench.sqlite3'}")
os.environ["AGORA_VAR_DIR"] = str(WORKDIR)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
os.environ["PAGE_CACHE_SECONDS"] = "0"  # signed-in pages are never cached anyway
os.environ["DEBUG"] = "0"  # compiled templates cached, no query log

import django  # noqa: E402

django.setup()

import seed_articles  # noqa: E402  (bench/seed_articles.py, beside this script)
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from articles.models import Article, ArticleTopic, Section, Topic  # noqa: E402
from interests import selectors, services  # noqa: E402
from interests.followables import (  # noqa: E402
    Kind,
    name_key,
    of_section,
    of_topic,
    section_key,
    topic_key,
)
from interests.models import ArticleInterest, Follow  # noqa: E402

BATCH = 5000


def database_version() -> str:
    if connection.vendor == "sqlite":
        return f"sqlite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        return cursor.fetchone()[0].split(" on ")[0]


def machine() -> list[str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        "unknown",
    )  # fmt: skip
    return [
        f"cpu: {cpu}; cores {len(os.sched_getaffinity(0))} usable of {os.cpu_count()}",
        f"python {platform.python_version()}, django {django.get_version()}, {database_version()}",
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


def index_for_feeds() -> int:
    """ArticleInterest rows for every seeded article, with the keys selectors.article_keys gives."""
    rng = random.Random(7)
    rows, total = [], 0
    articles = Article.objects.values_list("id", "section_id", "byline", "source", "published_at")
    topics: dict[int, list[int]] = {}
    for article_id, topic_id in ArticleTopic.objects.values_list("article_id", "topic_id").iterator(BATCH):
        topics.setdefault(article_id, []).append(topic_id)
    for article_id, section_id, byline, source, published_at in articles.iterator(BATCH):
        keys = {topic_key(t): rng.uniform(0.2, 1.0) for t in topics.get(article_id, [])}
        keys[section_key(section_id)] = 1.0
        if byline:
            keys[name_key(Kind.AUTHOR, byline)] = 1.0
        if source:
            keys[name_key(Kind.AGENCY, source)] = 1.0
        rows += [
            ArticleInterest(article_id=article_id, key=k, weight=w, published_at=published_at)
            for k, w in keys.items()
        ]
        if len(rows) >= BATCH:
            total += len(ArticleInterest.objects.bulk_create(rows))
            rows = []
    return total + len(ArticleInterest.objects.bulk_create(rows))


def seed_readers(followers: int, followed: Topic) -> dict[str, User]:
    readers = {
        name: User.objects.create_user(name, password="bench-password-1") for name in ("one", "fifty", "new")
    }
    services.follow(readers["one"], of_topic(followed))
    for topic in Topic.objects.order_by("id")[:44]:
        services.follow(readers["fifty"], of_topic(topic))
    for section in Section.objects.all():
        services.follow(readers["fifty"], of_section(section))
    key, label = topic_key(followed.pk), followed.name
    for start in range(0, followers, BATCH):
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(username=f"follower{i}", password="!")
                for i in range(start, min(followers, start + BATCH))
            )
            Follow.objects.bulk_create(
                Follow(user=u, kind=Kind.TOPIC, key=key, label=label, topic=followed) for u in users
            )


def time_runs(work, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each of `runs` calls, after a warm-up."""
    for _ in range(5):
        work()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def ms(samples: list[float], quantile: float = 0.5) -> float:
    return sorted(samples)[max(0, int(len(samples) * quantile) - (quantile > 0.5))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="measure a database an earlier run seeded")
    args = parser.parse_args()
    for line in machine():
        print(line)
    print(f"database: {os.environ['DATABASE_URL'].split('@')[-1]}")

    started = time.perf_counter()
    followed = Topic.objects.order_by("id").first() if args.reuse else None
    if followed is None:
        call_command("migrate", verbosity=0)
        seed_articles.seed(args.articles, 20240601)
        index_for_feeds()
        followed = Topic.objects.order_by("id").first()
        assert followed is not None
        seed_readers(args.followers, followed)
    readers = {name: User.objects.get(username=name) for name in ("one", "fifty", "new")}
    print(f"{Article.objects.count()} articles, {ArticleInterest.objects.count()} feed index rows, "
          f"{Follow.objects.filter(topic=followed).count()} readers following {followed} "
          f"(seeded or found in {time.perf_counter() - started:.0f} s)")  # fmt: skip

    columns = "selector: wall p50  p95   CPU p50   page: wall p50  p95   CPU p50  items"
    print(f"\nFor you, {args.runs} runs each (ms)  {columns}")
    figures: dict[str, dict[str, float]] = {}
    for name in ("one", "fifty", "new"):
        reader = readers[name]
        client = Client()
        client.force_login(reader)
        selector_wall, selector_cpu = time_runs(lambda reader=reader: selectors.for_you(reader), args.runs)
        page_wall, page_cpu = time_runs(lambda client=client: client.get("/for-you/"), args.runs)
        figures[name] = {
            "selector wall": ms(selector_wall),
            "selector CPU": ms(selector_cpu),
            "page wall": ms(page_wall),
            "page CPU": ms(page_cpu),
        }
        print(
            f"  reader following {Follow.objects.filter(user=reader).count():>2}          "
            f"{ms(selector_wall):8.1f} {ms(selector_wall, 0.95):5.1f} {ms(selector_cpu):8.1f}"
            f"          {ms(page_wall):8.1f} {ms(page_wall, 0.95):5.1f} {ms(page_cpu):8.1f}"
            f"  {len(selectors.for_you(reader)):5}"
        )
    for measure in ("page wall", "page CPU", "selector wall", "selector CPU"):
        fifty, one = figures["fifty"][measure], figures["one"][measure]
        verdict = "met" if fifty < 50 and fifty <= 1.5 * one else "MISSED"
        print(f"  {measure:13}: 50 follows p50 {fifty:5.1f} ms, {fifty / one:4.2f}x the 1-follow p50 "
              f"(targets < 50 ms, <= 1.5x): {verdict}")  # fmt: skip
    if connection.vendor != "sqlite":
        print("  (CPU: this process only; the database server's own work is not in it)")

    article = Article.objects.filter(articletopic__topic=followed).order_by("-published_at").first()
    assert article is not None
    one_key = Follow.objects.filter(key=topic_key(followed.pk)).values_list("user_id", flat=True)
    selection, _ = time_runs(lambda: sum(1 for _ in selectors.followers_of(article)), 5)
    floor, _ = time_runs(lambda: len(list(one_key.all())), 5)
    count = sum(1 for _ in selectors.followers_of(article))
    print(f"\nfollowers_of(article): {count} readers, p50 {ms(selection):.0f} ms "
          f"({count / statistics.median(selection):,.0f} readers/s); baseline, the ids of one key alone: "
          f"p50 {ms(floor):.0f} ms")  # fmt: skip
    keys = list(selectors.follow_keys_of(article))
    plan = Follow.objects.filter(key__in=keys).values_list("user_id", "key").explain()
    print("its plan:", " | ".join(line.strip() for line in plan.splitlines()))


if __name__ == "__main__":
    main()
