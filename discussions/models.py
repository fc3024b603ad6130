"""Threads of reader comments, one per article (or per embedded story on a publisher's page).

The comment lifecycle is a status; only PUBLISHED comments are public.  Nothing is
destroyed by deleting, rejecting or removing: the status changes and the thread shows a
tombstone where replies hang off it.  Only an author's own erasure clears text.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts import roles
from articles.models import Article

if TYPE_CHECKING:
    from moderation.models import ModerationDecision


class Thread(models.Model):
    article = models.OneToOneField(
        Article, on_delete=models.PROTECT, null=True, blank=True, related_name="thread"
    )
    # For stories embedded on a publisher's own site: their canonical URL and title.
    URL_MAX_LENGTH = 500
    url = models.URLField(max_length=URL_MAX_LENGTH, unique=True, null=True, blank=True)
    title = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Denormalised: published comments in the thread, kept by discussions.services.
    comment_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        if self.title:
            return self.title
        # A thread without an article has no article_id: Django answers None without a query.
        return self.article.headline if self.article is not None else self.url or "thread"

    def get_absolute_url(self) -> str:
        if self.article is not None:
            return self.article.get_absolute_url() + "#discussion"
        return reverse("discussions:thread", args=[self.pk])

    @property
    def is_public(self) -> bool:
        """Readers may see it: an embedded story's, or a published article's (not a draft, not embargoed).

        Pages, actions and streams of any other thread answer as for one that does not exist.
        """
        return self.article is None or self.article.is_published


class Comment(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        HELD = "held", "Held for review"
        REJECTED = "rejected", "Rejected"
        DELETED = "deleted", "Deleted by its author"
        REMOVED = "removed", "Removed by a moderator"

    # Replies are shown nested to this depth; deeper ones are flattened under their
    # ancestor at this depth with "replying to @name".
    MAX_VISUAL_DEPTH = 3

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    root = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="descendants"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    # Sort key giving depth-first reading order inside a root's replies (see services._path_for).
    path = models.CharField(max_length=64, blank=True, db_index=False)
    body = models.TextField(help_text="What the author wrote (limited markdown-like formatting).")
    body_html = models.TextField(help_text="The sanitised HTML shown to readers.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    is_featured = models.BooleanField(default=False)
    # Denormalised counts, maintained with F() updates inside the writing transaction.
    reaction_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(
        default=0,
        help_text="Published replies below this comment in the reading tree (for a root: all its replies).",
    )
    # Idempotency: a retried post with the same key from the same author returns the first comment.
    client_key = models.CharField(max_length=64, null=True, blank=True)
    # Not stored: posting.actions.post_comment sets it True on a comment it returns for a retried client_key.
    replayed = False
    # Not stored: the decision the moderation pipeline took on the post or edit that returned it.
    moderation: "ModerationDecision | None"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["thread", "depth", "status", "-created_at", "-id"], name="comment_top_newest_idx"
            ),
            models.Index(
                fields=["thread", "depth", "status", "created_at", "id"], name="comment_top_oldest_idx"
            ),
            models.Index(
                fields=["thread", "depth", "status", "-reaction_count", "-id"], name="comment_top_reacted_idx"
            ),
            models.Index(fields=["root", "path"], name="comment_replies_idx"),
            models.Index(fields=["thread", "-id"], name="comment_thread_latest_idx"),
            models.Index(fields=["author", "-created_at"], name="comment_author_idx"),
        ]
        permissions = [("feature_comment", "Can feature comments as editor's picks")]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_key"],
                condition=models.Q(client_key__isnull=False),
                name="comment_unique_client_key",
            )
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.thread_id}"

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_tombstone(self) -> bool:
        return self.status in (self.Status.DELETED, self.Status.REMOVED)

    def is_readable_by(self, user) -> bool:
        """Whether `user` may read this comment's words: anyone once it is published, and its author
        while it waits for review.  Everywhere else a comment is shown, its `placeholder` stands in."""
        if self.status == self.Status.PUBLISHED:
            return True
        return self.status == self.Status.HELD and user is not None and user.pk == self.author_id

    @property
    def placeholder(self) -> str:
        """What readers who may not read the comment see in its place (it holds published replies)."""
        return PLACEHOLDERS.get(self.status, "")

    @property
    def author_badge(self) -> str:
        """ "Staff", "Journalist", "Moderator" or "": from `author_role`, which discussions.selectors
        annotates (without it only superusers get one)."""
        return roles.badge_for(getattr(self, "author_role", None), self.author)

    @property
    def ancestor_ids(self) -> list[int]:
        """The comments above this one in the reading tree: its root, then the replies its path names."""
        if self.root_id is None:
            return []
        return [self.root_id, *(int(segment) for segment in self.path.split(".")[:-1])]


PLACEHOLDERS: dict[str, str] = {
    Comment.Status.HELD: "This comment is awaiting review.",
    Comment.Status.REJECTED: "[removed]",
    Comment.Status.REMOVED: "[removed by a moderator]",
    Comment.Status.DELETED: "[deleted]",
}


class CommentRevision(models.Model):
    """Earlier wording of an edited comment, kept for moderators."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Revision of comment {self.comment_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Reaction(models.Model):
    """One "Respect" per reader per comment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="reaction_one_per_user")]

    def __str__(self) -> str:
        return f"Respect from {self.user_id} for comment {self.comment_id}"


class Mention(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="mention_once")]

    def __str__(self) -> str:
        return f"Mention of {self.user_id} in comment {self.comment_id}"


class CommentingPolicy(models.Model):
    """How commenting works at one level: site-wide (one row), a section, an article, or an embedded thread.

    The effective state of a thread combines its site, section and article (or thread) rows:
    the most restrictive wins (see discussions.commenting).  Closing or suspending never
    touches a comment; reopening restores everything as it was.
    """

    class Scope(models.TextChoices):
        SITE = "site", "Site-wide"
        SECTION = "section", "Section"
        ARTICLE = "article", "Article"
        THREAD = "thread", "Embedded thread"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SLOW = "slow", "Slow mode"
        PREMODERATED = "premoderated", "Pre-moderated"
        CLOSED = "closed", "Closed"
        SUSPENDED = "suspended", "Suspended with a notice"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    section = models.ForeignKey(
        "articles.Section", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    slow_mode_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Slow mode: one comment per reader per this many minutes."
    )
    auto_close_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Close commenting this many days after publication (blank: never), whatever the status.",
    )
    notice = models.TextField(
        blank=True, help_text="Shown to readers with the status; required when suspending."
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(
        blank=True, help_text="Why it was set: for the audit log, not shown to readers."
    )

    class Meta:
        verbose_name = "commenting policy"
        verbose_name_plural = "commenting policies"
        constraints = [
            models.UniqueConstraint(
                fields=["scope"], condition=models.Q(scope="site"), name="commenting_one_site"
            ),
            models.UniqueConstraint(
                fields=["section"], condition=models.Q(section__isnull=False), name="commenting_section"
            ),
            models.UniqueConstraint(
                fields=["article"], condition=models.Q(article__isnull=False), name="commenting_article"
            ),
            models.UniqueConstraint(
                fields=["thread"], condition=models.Q(thread__isnull=False), name="commenting_thread"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(scope="site", section__isnull=True, article__isnull=True, thread__isnull=True)
                    | models.Q(
                        scope="section", section__isnull=False, article__isnull=True, thread__isnull=True
                    )
                    | models.Q(
                        scope="article", section__isnull=True, article__isnull=False, thread__isnull=True
                    )
                    | models.Q(
                        scope="thread", section__isnull=True, article__isnull=True, thread__isnull=False
                    )
                ),
                name="commenting_scope_target",
                violation_error_message="Choose exactly the target its scope names (none for site-wide).",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="slow") | models.Q(slow_mode_minutes__gte=1),
                name="commenting_slow_minutes",
                violation_error_message="Slow mode needs a number of minutes.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_label}: {self.get_status_display()}"

    @property
    def target(self) -> models.Model | None:
        return self.section or self.article or self.thread

    @property
    def target_label(self) -> str:
        if self.scope == self.Scope.SITE:
            return "Site-wide"
        return f"{self.get_scope_display()} “{self.target}”"


class Nudge(models.Model):
    """A warning shown before posting: the draft looked like it may break the community guidelines.

    One row per draft, from the first warning until the author posts (an edited draft that no
    longer trips it, or the same one "anyway": held for review).  The draft's text is never
    stored, only the scores and the categories named to the author (moderation.nudge).
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"  # warned, not posted (yet): abandoned once it is old
        EDITED = "edited", "Edited, then posted"
        POSTED_ANYWAY = "posted_anyway", "Posted anyway"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="nudges"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="nudges")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    scores = models.JSONField(default=dict, help_text="The classifier's scores of the latest warned draft.")
    categories = models.JSONField(default=list, help_text="The kinds named to the author, strongest first.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="nudges"
    )

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="nudge_created_idx")]

    def __str__(self) -> str:
        return f"Nudge {self.pk} on thread {self.thread_id}: {self.outcome}"
