"""The newsroom's background work, run by the task engine (agora/celery.py)."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from articles import services
from articles.ingest.pipeline import Ingestor, Options
from articles.ingest.sources import IngestError
from articles.models import Article

log = logging.getLogger(__name__)


def _ingestor_key(url: str) -> str:
    return f"ingest:feed:{url}"


@shared_task(name="articles.poll_feed")
def poll_feed(url: str) -> dict[str, int]:
    """Poll one feed of settings.INGEST_FEEDS (the scheduler runs it every INGEST_FEED_INTERVAL seconds).

    The ingestor is kept in the cache between polls, so its HTTP validators (a conditional GET) and the
    fingerprints of what it stored (unchanged items are not rewritten) carry over, as with `--watch`.
    """
    ingestor = cache.get(_ingestor_key(url)) or Ingestor(url, Options(), topics_later=queue_topics)
    counts = {"created": 0, "updated": 0, "problems": 0}
    try:
        items = ingestor.poll() or []
    except IngestError as error:
        log.warning("feed %s: %s", url, error)  # tried again at the next poll
        counts["problems"] += 1
        return counts
    for item in items:
        outcome = ingestor.store(item)
        if outcome.problem:
            log.warning("feed %s: %s: %s", url, outcome.label, outcome.problem)
            counts["problems"] += 1
        elif outcome.article is not None:
            counts["created" if outcome.created else "updated"] += 1
    cache.set(_ingestor_key(url), ingestor, timeout=None)
    return counts


@shared_task(name="articles.derive_topics")
def derive_topics(article_id: int) -> int:
    """Extract a bulk-ingested article's topics and related articles; the number of topics it has."""
    article = Article.objects.select_related("section").filter(pk=article_id).first()
    if article is None:  # deleted since
        return 0
    services.derive_topics(article)
    return article.topics.count()


def queue_topics(article_id: int) -> None:
    """Derive an article's topics in the background, once the transaction that stored it commits."""
    transaction.on_commit(lambda: derive_topics.delay(article_id), robust=True)
