"""Keep cached pages honest, and give editors their role."""

from django.db import connections
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import Signal, receiver

from agora.page_cache import bump_generation
from articles.events import ALIAS_SCOPE
from articles.models import Article, ArticleBlock, ArticleTopic, Section, Topic, TopicAlias
from articles.search_index import ensure_search_index

EDITORS_GROUP = "Editors"

# Sent by `manage.py load_demo` once the demo newsroom is in place, so the apps built on articles add
# demo data of their own (posting.demo: readers and their discussions) without articles knowing
# them.  Each receiver returns what it wants printed.
demo_loaded = Signal()


@receiver(post_save, sender=Article)
@receiver(post_delete, sender=Article)
@receiver(post_save, sender=ArticleBlock)
@receiver(post_delete, sender=ArticleBlock)
@receiver(post_save, sender=Section)
@receiver(post_delete, sender=Section)
@receiver(post_save, sender=Topic)
@receiver(post_delete, sender=Topic)
@receiver(post_save, sender=ArticleTopic)
@receiver(post_delete, sender=ArticleTopic)
def invalidate_pages(**kwargs: object) -> None:
    bump_generation()


@receiver(post_save, sender=TopicAlias)
@receiver(post_delete, sender=TopicAlias)
@receiver(post_save, sender=Topic)
def aliases_changed(created: bool = False, **kwargs: object) -> None:
    """Extraction rebuilds its alias table (an alias carries its topic's name and kind); a new topic
    has no alias yet, and extraction creates many."""
    if not created:
        bump_generation(ALIAS_SCOPE)


@receiver(post_migrate)
def after_migrate(sender: object, using: str = "default", **kwargs: object) -> None:
    if getattr(sender, "name", None) != "articles":
        return
    ensure_search_index(connections[using])
    ensure_editors_group()


def ensure_editors_group() -> None:
    """Editors may write and edit articles, sections and topics in the admin."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    perms = Permission.objects.filter(
        content_type__app_label="articles",
        content_type__model__in=[
            "article",
            "articleblock",
            "articletopic",
            "section",
            "topic",
            "topicalias",
            "topicexclusion",
        ],
    )
    group.permissions.add(*perms)
