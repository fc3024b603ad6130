"""Writes: following and unfollowing, indexing stored articles, announcing them to their followers,
and the editors' topic merges and renames (which move followers with the topic)."""

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from articles import services as articles_services
from articles.models import Article, Topic
from interests import selectors
from interests.events import article_announced
from interests.followables import Followable, topic_key
from interests.models import Announcement, ArticleInterest, Follow
from moderation import audit


def follow(user: User, followable: Followable) -> Follow:
    """`user` follows `followable` (again: nothing changes)."""
    found, _ = Follow.objects.get_or_create(
        user=user,
        key=followable.key,
        defaults={
            "kind": followable.kind,
            "label": followable.label[:300],
            "topic": followable.topic,
            "section": followable.section,
            "thread": followable.thread,
        },
    )
    return found


def unfollow(user: User, key: str) -> None:
    Follow.objects.filter(user=user, key=key).delete()


# --- The feed index -------------------------------------------------------------------------------


def index_article(article: Article) -> None:
    """Bring the article's ArticleInterest rows in line with its keys: all of them while it is
    published (a scheduled one is indexed at its time, and feeds skip it until then), none otherwise."""
    wanted = selectors.article_keys(article) if article.status == Article.Status.PUBLISHED else {}
    stored = {row.key: row for row in ArticleInterest.objects.filter(article=article)}
    ArticleInterest.objects.filter(article=article).exclude(key__in=wanted).delete()
    ArticleInterest.objects.bulk_create(
        ArticleInterest(article=article, key=key, weight=weight, published_at=article.published_at)
        for key, (weight, _) in wanted.items()
        if key not in stored
    )
    for key, (weight, _) in wanted.items():
        row = stored.get(key)
        if row is not None and (row.weight, row.published_at) != (weight, article.published_at):
            ArticleInterest.objects.filter(pk=row.pk).update(weight=weight, published_at=article.published_at)


# --- Announcing new articles to their followers ---------------------------------------------------


def announce_if_new(article: Article) -> bool:
    """Announce a published, visible article once (an Announcement row is the proof), by sending
    `article_announced` after the transaction commits; True if it did.

    A scheduled article is announced by `announce_due` once its time has come.
    """
    if not article.is_published:
        return False
    _, created = Announcement.objects.get_or_create(article=article)
    if created:
        transaction.on_commit(lambda: article_announced.send(sender=Article, article=article))
    return created


def announce_due(limit: int = 500) -> int:
    """Announce scheduled articles whose publication time has passed (run periodically)."""
    due = (
        Article.objects.published()
        .filter(published_at__gte=timezone.now() - selectors.FEED_WINDOW)
        .exclude(pk__in=Announcement.objects.values("article_id"))
        .order_by("published_at")[:limit]
    )
    return sum(announce_if_new(article) for article in due)


# --- Editors' topic curation ----------------------------------------------------------------------


@transaction.atomic
def merge_topics(editor: User, sources: Sequence[Topic], target: Topic) -> int:
    """Merge `sources` into `target`: their articles, aliases, feed entries and followers move to it,
    they redirect to it, and extraction files their names under it.  Returns the followers moved
    (a reader who followed both keeps one follow).  Written to the audit log."""
    moved = 0
    for source in sources:
        if source.pk == target.pk:
            continue
        articles_services.merge_topic(source, target)
        followers = _move_key(topic_key(source.pk), target)
        audit.record(
            editor, "merge_topic", target, merged=source.name, merged_id=source.pk, followers_moved=followers
        )
        moved += followers
    return moved


def _move_key(old: str, target: Topic) -> int:
    new = topic_key(target.pk)
    following_both = Follow.objects.filter(key=new).values("user_id")
    Follow.objects.filter(key=old, user_id__in=following_both).delete()
    moved = Follow.objects.filter(key=old).update(key=new, topic=target, label=target.name)
    indexed_both = ArticleInterest.objects.filter(key=new).values("article_id")
    ArticleInterest.objects.filter(key=old, article_id__in=indexed_both).delete()
    ArticleInterest.objects.filter(key=old).update(key=new)
    return moved


@transaction.atomic
def rename_topic(editor: User, topic: Topic, name: str) -> Topic:
    """Rename a topic; its old name stays an alias, and followers see the new name.  Audited."""
    old_name = topic.name
    topic = articles_services.rename_topic(topic, name)  # followers' labels follow (interests.signals)
    audit.record(editor, "rename_topic", topic, old_name=old_name, new_name=topic.name)
    return topic
