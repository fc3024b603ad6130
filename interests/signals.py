"""Keeping readers' feeds and follows in step with the newsroom, and telling followers of new articles."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from articles.events import article_stored
from articles.models import Article, Section, Topic
from interests import services, tasks
from interests.events import article_announced
from interests.followables import section_key, topic_key
from interests.models import Follow


@receiver(article_stored, sender=Article)
def article_was_stored(article: Article, **kwargs: object) -> None:
    """Index it for feeds, and announce it to its followers if it is newly out."""
    services.index_article(article)
    services.announce_if_new(article)


@receiver(article_announced, sender=Article)
def tell_followers(article: Article, **kwargs: object) -> None:
    """Its followers hear of it from a background task (the follower query and the fan-out)."""
    tasks.announce_article.delay(article.pk)


@receiver(post_save, sender=Topic)
def topic_renamed(instance: Topic, created: bool, **kwargs: object) -> None:
    if not created:
        Follow.objects.filter(key=topic_key(instance.pk)).exclude(label=instance.name).update(
            label=instance.name
        )


@receiver(post_save, sender=Section)
def section_renamed(instance: Section, created: bool, **kwargs: object) -> None:
    if not created:
        Follow.objects.filter(key=section_key(instance.pk)).exclude(label=instance.name).update(
            label=instance.name
        )
