"""What readers follow, and the index that finds articles (and followers) by it.

Everything a reader can follow has a *key*: ``topic:<id>``, ``section:<id>``, ``author:<slug>``,
``agency:<slug>`` or ``discussion:<thread id>`` (interests.followables).  A Follow row holds the key
beside a foreign key where the target is a row (topics, sections, discussions; authors and agencies
are names on articles), so one indexed ``key IN (...)`` finds every follower of an article through
all of its topics, section, authors, agency and discussion at once, and an article's keys find its
place in every reader's feed (ArticleInterest).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from articles.models import Article, Section, Topic
from discussions.models import Thread


class Follow(models.Model):
    class Kind(models.TextChoices):
        TOPIC = "topic", "Topic"
        SECTION = "section", "Section"
        AUTHOR = "author", "Author"
        AGENCY = "agency", "Agency"
        DISCUSSION = "discussion", "Discussion"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=120)
    label = models.CharField(max_length=300, help_text="What the reader follows, as pages name it.")
    # A topic, section or discussion with followers cannot be deleted: merge a topic instead.
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, null=True, blank=True, related_name="follows")
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, related_name="follows"
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.PROTECT, null=True, blank=True, related_name="follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="follow_once"),
            models.CheckConstraint(
                condition=(
                    Q(kind="topic", topic__isnull=False, section=None, thread=None)
                    | Q(kind="section", section__isnull=False, topic=None, thread=None)
                    | Q(kind="discussion", thread__isnull=False, topic=None, section=None)
                    | Q(kind__in=["author", "agency"], topic=None, section=None, thread=None)
                ),
                name="follow_target_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["key", "user"], name="follow_key_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.label}"


class ArticleInterest(models.Model):
    """One row per published article and key it can be found by (its topics, section, authors,
    agency), newest first per key: a reader's feed is the newest rows of each key they follow."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    weight = models.FloatField(help_text="How much the article is about it: a topic's salience, else 1.")
    published_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "key"], name="article_interest_once")]
        indexes = [
            # weight last: the feed's per-key scans read the index alone (interests.selectors.ranked_by_keys)
            models.Index(
                fields=["key", "-published_at", "-article", "weight"], name="article_interest_newest_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.key}"


class Announcement(models.Model):
    """An article whose followers were told it is out: at most once per article, whatever edits and
    re-ingests follow."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"announced {self.article_id}"
