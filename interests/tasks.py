"""The interests layer's background work, run by the task engine (agora/celery.py)."""

from celery import shared_task

from articles.models import Article
from interests import selectors, services
from notifications import services as notifications


@shared_task(name="interests.announce_article")
def announce_article(article_id: int) -> int:
    """Tell every follower of a newly published article, once, why ("New in Syria: ..."): one
    follower query, then notification batches grouped by the reason.  Returns the batches queued."""
    article = Article.objects.select_related("section").filter(pk=article_id).first()
    if article is None or not article.is_published:
        return 0
    by_reason: dict[str, list[int]] = {}
    for follower in selectors.followers_of(article):
        by_reason.setdefault(follower.label, []).append(follower.user_id)
    return sum(
        notifications.notify_followers(article, ids, because=label) for label, ids in by_reason.items()
    )


@shared_task(name="interests.announce_due")
def announce_due() -> int:
    """Announce scheduled articles whose time has come (the scheduler runs it every minute)."""
    return services.announce_due()
