"""Moderation records.  The audit log is append-only: rows are written, never changed or deleted."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs):  # type: ignore[no-untyped-def, override]
        raise PermissionError("The audit log is append-only.")

    def delete(self):  # type: ignore[no-untyped-def, override]
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """Who did what to what, when and why: every moderator and editor action."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept even if the account is later erased, so the log still says who acted.
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"], name="audit_target_idx")]

    def __str__(self) -> str:
        who = self.actor_name or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M} {who} {self.action} {self.target_type} {self.target_id}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("The audit log is append-only.")


class ModerationRule(models.Model):
    """A word or phrase the pipeline looks for in the normalised text of every comment.

    Matched on whole words (``idiot`` does not match ``idiotic``); a trailing ``*`` also matches
    longer words (``idiot*`` matches ``idiots`` and ``idiotic``).  Edited in the admin.
    """

    class Kind(models.TextChoices):
        BANNED = "banned", "Banned: the comment is rejected"
        SUSPECT = "suspect", "Suspect: the comment is held for review"

    phrase = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, help_text="Why it is on the list.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "phrase"]

    def __str__(self) -> str:
        return f"{self.phrase} ({self.kind})"


class ModerationPolicy(models.Model):
    """Model thresholds for one section or one article; blank fields inherit (see README, policy table)."""

    section = models.OneToOneField(
        "articles.Section", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    hold_threshold = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Toxicity from which a comment is held (blank: inherit).",
    )
    reject_threshold = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Toxicity from which a comment is rejected (blank: inherit).",
    )
    sensitive = models.BooleanField(
        default=False,
        help_text="Sensitive stories: the strictest threshold of site, section and article applies.",
    )
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "moderation policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(section__isnull=True, article__isnull=False)
                | models.Q(section__isnull=False, article__isnull=True),
                name="moderation_policy_one_target",
                violation_error_message="A policy is for one section or one article.",
            )
        ]

    def __str__(self) -> str:
        target = f"article “{self.article}”" if self.article_id else f"section “{self.section}”"
        return f"Moderation policy for {target}"


class ModerationDecision(models.Model):
    """What the pipeline (or a moderator, or readers' reports) decided about a comment, and why.

    One row per decision: posting, each edit, each report hold and each moderator action add one,
    and only the newest is ``is_current``, so a queue lists held or unreviewed comments from one
    partial index.  ``steps`` holds ``[{step, outcome, reason, details}]`` in the order they ran.
    No text of the comment is stored here (an erased account's words must go with it).
    """

    class Action(models.TextChoices):
        PUBLISH = "publish", "Publish"
        HOLD = "hold", "Hold for review"
        REJECT = "reject", "Reject"

    class Source(models.TextChoices):
        PIPELINE = "pipeline", "Automatic checks"
        REPORTS = "reports", "Readers' reports"
        MODERATOR = "moderator", "A moderator"

    class Trigger(models.TextChoices):
        POST = "post", "Posted"
        EDIT = "edit", "Edited"
        REPORT = "report", "Reported"
        REVIEW = "review", "Reviewed"

    comment = models.ForeignKey("discussions.Comment", on_delete=models.CASCADE, related_name="decisions")
    # Denormalised from the comment, for repeat detection and per-reader history without a join.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PIPELINE)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.POST)
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(max_length=300, blank=True, help_text="Told to the author, in plain words.")
    steps = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    text_hash = models.CharField(max_length=64, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("moderate_comments", "Can approve, reject and remove comments and handle reports"),
            ("ban_users", "Can warn, suspend, ban readers and lift bans"),
        ]
        indexes = [
            models.Index(fields=["comment", "-created_at"], name="decision_comment_idx"),
            models.Index(fields=["text_hash", "created_at"], name="decision_text_hash_idx"),
            models.Index(fields=["author", "-created_at"], name="decision_author_idx"),
            # The queues: held comments, and ones published by the checks no person has looked at.
            models.Index(
                fields=["action", "source", "-created_at"],
                condition=models.Q(is_current=True),
                name="decision_queue_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["comment"], condition=models.Q(is_current=True), name="decision_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} comment {self.comment_id} ({self.get_source_display()})"

    @property
    def message(self) -> str:
        """What the author is told."""
        if self.action == self.Action.PUBLISH:
            return "Your comment is published."
        if self.action == self.Action.HOLD:
            return f"Thanks — your comment is waiting for review by a moderator ({self.reason})."
        return f"Your comment was not published: {self.reason}."


class Report(models.Model):
    """A reader telling the moderators that a comment breaks the rules."""

    class Reason(models.TextChoices):
        ABUSE = "abuse", "Abusive or hateful"
        SPAM = "spam", "Spam or advertising"
        OFF_TOPIC = "off_topic", "Off-topic"
        MISINFORMATION = "misinformation", "False or misleading"
        OTHER = "other", "Something else"

    class Resolution(models.TextChoices):
        UPHELD = "upheld", "Upheld: the comment was taken down"
        DISMISSED = "dismissed", "Dismissed: the comment stays"

    comment = models.ForeignKey("discussions.Comment", on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    # The reporter's trust when reporting: only trusted readers' reports hold a comment.
    reporter_trusted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="report_once_per_reader")]
        indexes = [
            # The open-reports queue, and counting a comment's open reports.
            models.Index(
                fields=["comment", "created_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="report_open_idx",
            ),
            models.Index(
                fields=["-created_at"], condition=models.Q(resolved_at__isnull=True), name="report_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Report of comment {self.comment_id} ({self.reason})"


class UserTrust(models.Model):
    """How far the moderators can trust a reader: grows with approved comments, drops with rejections."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="moderation_trust"
    )
    score = models.IntegerField(default=0)
    approved_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "reader trust"
        verbose_name_plural = "reader trust"

    def __str__(self) -> str:
        return f"Trust of user {self.user_id}: {self.score}"


class Ban(models.Model):
    """A ban (``until`` empty) or a suspension until a time.  Lifting keeps the row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bans")
    until = models.DateTimeField(null=True, blank=True, help_text="Blank: permanent.")
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "until"], condition=models.Q(lifted_at__isnull=True), name="ban_active_idx"
            )
        ]

    def __str__(self) -> str:
        kind = "Ban" if self.until is None else f"Suspension until {self.until:%Y-%m-%d %H:%M}"
        return f"{kind} of user {self.user_id}"

    @property
    def is_permanent(self) -> bool:
        return self.until is None


class HeatGuard(models.Model):
    """The heat guard of one discussion (moderation.heat): its sliding-window counters and its switch.

    One row per thread, created by its first comment.  The counters are two consecutive buckets,
    each one window long (`window_start` opens the current one), so the figures over the last
    window cost one row, not a count over the thread.  The history of switches is the audit log
    (``heat_guard_on`` / ``heat_guard_off``); this row only holds the present.
    """

    class Mode(models.TextChoices):
        PREMODERATED = "premoderated", "Pre-moderation"
        SLOW = "slow", "Slow mode"

    thread = models.OneToOneField(
        "discussions.Thread", on_delete=models.CASCADE, primary_key=True, related_name="heat_guard"
    )
    window_start = models.DateTimeField(null=True, blank=True)
    posts = models.PositiveIntegerField(default=0, help_text="New comments in the current bucket.")
    flagged = models.PositiveIntegerField(
        default=0, help_text="Comments held, rejected or reported in the current bucket."
    )
    previous_posts = models.PositiveIntegerField(default=0)
    previous_flagged = models.PositiveIntegerField(default=0)
    engaged = models.BooleanField(default=False)
    mode = models.CharField(max_length=12, choices=Mode.choices, blank=True, help_text="The last one used.")
    slow_mode_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    engaged_at = models.DateTimeField(null=True, blank=True)
    last_heated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the figures were last over a threshold: calm is counted from it.",
    )
    released_at = models.DateTimeField(null=True, blank=True)
    figures = models.JSONField(default=dict, blank=True, help_text="The window's figures at the last switch.")

    class Meta:
        indexes = [
            # The sweep: engaged guards, calm for longest first.
            models.Index(fields=["last_heated_at"], condition=models.Q(engaged=True), name="heat_engaged_idx")
        ]

    def __str__(self) -> str:
        state = f"engaged ({self.get_mode_display()})" if self.engaged else "off"
        return f"Heat guard of thread {self.thread_id}: {state}"
