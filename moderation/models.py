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
    """A moderation target (or fixed thresholds) for one section or one article; blank fields inherit
    (see README, policy table)."""

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
    hold_target = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(50.0)],
        help_text="Hold at most this percentage of civil comments (blank: inherit); the thresholds "
        "follow from it. A hold threshold set here overrides it.",
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
    """A ban (``until`` empty) or a suspension until a time.  Lifting keeps the row.

    When its reader erases their account the row stays, without the user: one still in force keeps
    the keyed fingerprint of their email address (accounts.identity), so that a new account with
    the same address is banned too (moderation.bans).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="bans"
    )
    email_fingerprint = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Kept after erasure only (accounts.identity)."
    )
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
        return f"{kind} of user {self.user_id}" if self.user_id else f"{kind} of an erased account"

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


class ModelVersion(models.Model):
    """One version of the moderation model a site has run or tried (moderation.versions).

    The base version is the shipped artifact (``artifact`` is its digest); a site version adds a
    *layer* fitted on the site's own decisions (moderation.adaptation). Every fitting is recorded,
    adopted or not, with its data counts and figures; exactly one version is active at a time, and
    a moderator can make an earlier adopted one active again (roll back; the audit log keeps who and
    when).
    """

    class Trigger(models.TextChoices):
        BASE = "base", "Shipped model"
        MANUAL = "manual", "Adapted on request"
        SCHEDULE = "schedule", "Adapted by the weekly schedule"

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    artifact = models.CharField(max_length=64, help_text="Digest of the base artifact it builds on.")
    layer = models.BinaryField(null=True, blank=True, help_text="The site layer (empty: the base model).")
    tables = models.JSONField(
        default=dict,
        blank=True,
        help_text="Threshold tables from the site's decisions (empty: the artifact's).",
    )
    counts = models.JSONField(default=dict, blank=True, help_text="Examples it was fitted and checked on.")
    figures = models.JSONField(default=dict, blank=True, help_text="AUCs before and after, per check.")
    adopted = models.BooleanField(default=False)
    is_active = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True, help_text="Why it was adopted or refused.")
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="model_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"Model version {self.pk} ({self.get_trigger_display()})"


class HistoryExample(models.Model):
    """A past moderation decision imported from another system (``import_moderation_history``):
    labelled examples for site adaptation, beside the moderators' own decisions on comments."""

    text = models.TextField()
    label = models.PositiveSmallIntegerField(help_text="1: the moderators took it down; 0: it stayed up.")
    created = models.DateTimeField(null=True, blank=True, help_text="When it was posted, where known.")
    section = models.CharField(max_length=100, blank=True)
    batch = models.CharField(max_length=64, help_text="The import it came with (file name and time).")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(label__in=[0, 1]), name="history_label_0_or_1")
        ]

    def __str__(self) -> str:
        return f"Imported example {self.pk} (label {self.label})"


class SpotCheck(models.Model):
    """A comment the automatic checks published, sampled for a person to look at (moderation.spot_checks).

    A share of automatic publishes (``MODERATION_AUDIT_SHARE``) lands in the Audit queue; the
    moderators' verdicts measure the live leak rate: the share that should have been held.
    """

    class Verdict(models.TextChoices):
        FINE = "fine", "Fine"
        SHOULD_HAVE_HELD = "should_have_held", "Should have been held"

    comment = models.ForeignKey("discussions.Comment", on_delete=models.CASCADE, related_name="spot_checks")
    decision = models.OneToOneField(
        ModerationDecision,
        on_delete=models.CASCADE,
        related_name="spot_check",
        help_text="The publish sampled.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The Audit queue: spot checks without a verdict, oldest first.
            models.Index(
                fields=["created_at", "id"], condition=models.Q(verdict=""), name="spot_check_open_idx"
            ),
            models.Index(
                fields=["decided_at"], condition=~models.Q(verdict=""), name="spot_check_decided_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Spot check of comment {self.comment_id}" + (f" ({self.verdict})" if self.verdict else "")


class Appeal(models.Model):
    """A reader's appeal against the rejection or removal of a comment, or a suspension or ban
    (moderation.appeals).  One per decision: the decision (or ban) is one-to-one with its appeal.

    ``first_decider`` is whoever made the decision appealed (empty: the automatic checks); where the
    site has two or more moderators, someone else decides the appeal.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a moderator"
        UPHELD = "upheld", "Upheld: the decision was reversed"
        REFUSED = "refused", "Refused: the decision stands"

    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="appeals"
    )
    decision = models.OneToOneField(
        ModerationDecision, on_delete=models.CASCADE, null=True, blank=True, related_name="appeal"
    )
    ban = models.OneToOneField(Ban, on_delete=models.CASCADE, null=True, blank=True, related_name="appeal")
    comment = models.ForeignKey(
        "discussions.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="appeals"
    )
    first_decider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    statement = models.TextField(
        blank=True, help_text="The reader's words (emptied if they erase their account)."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = models.CharField(max_length=500, blank=True, help_text="Told to the reader.")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__isnull=False, ban__isnull=True)
                | models.Q(decision__isnull=True, ban__isnull=False),
                name="appeal_one_subject",
                violation_error_message="An appeal is against one decision on a comment, or one ban.",
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at", "id"], condition=models.Q(status="open"), name="appeal_open_idx"
            ),
            models.Index(fields=["decided_at"], name="appeal_decided_idx"),
        ]

    def __str__(self) -> str:
        what = f"comment {self.comment_id}" if self.decision_id else f"ban {self.ban_id}"
        return f"Appeal against {what} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
