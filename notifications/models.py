"""Notifications: what readers are told, in the app and by email.

One row per thing to tell one reader (`key`, unique per recipient, names the event: a retried task
never makes a second row).  Reactions are batched into one row per comment ("12 people respected
your comment"): `actor_ids` holds each reader counted, once.  `email_schedule` says which email will
carry the row's news (immediate, daily or weekly digest), and is emptied once an email holds it,
the reader reads it, or they want no email of its kind.  Emails are rows of `EmailDelivery`, an
outbox the worker sends from, retrying with back-off, and never twice.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    REPLY = "reply", "Replies to your comments"
    MENTION = "mention", "Mentions of you"
    REACTION = "reaction", "Respect for your comments"
    FEATURED = "featured", "Your comments chosen as editor’s picks"
    FOLLOWED = "followed", "New articles in what you follow"
    MODERATION = "moderation", "Moderators’ decisions on your comments and account"
    HEAT = "heat", "Heat-guard alerts (moderators)"


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "At once"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"
    OFF = "off", "No email"


# How often each kind is emailed until the reader chooses otherwise.
DEFAULT_FREQUENCY = {
    Kind.REPLY: Frequency.IMMEDIATE,
    Kind.MENTION: Frequency.IMMEDIATE,
    Kind.REACTION: Frequency.DAILY,
    Kind.FEATURED: Frequency.IMMEDIATE,
    Kind.FOLLOWED: Frequency.DAILY,
    Kind.MODERATION: Frequency.IMMEDIATE,
    Kind.HEAT: Frequency.IMMEDIATE,
}
# Kinds about someone else's comment (or one that may stop being public): shown and emailed only
# while that comment is published.  Moderation notices are about the recipient's own comment, which
# they may always see; heat alerts go to moderators.
NEEDS_PUBLIC_COMMENT = (Kind.REPLY, Kind.MENTION, Kind.REACTION, Kind.FEATURED)
BATCHED = (Kind.REACTION,)  # one row per subject, counting each actor once


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=150, help_text="The event, unique per recipient.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_ids = models.JSONField(default=list, blank=True, help_text="Batched kinds: each reader counted.")
    count = models.PositiveIntegerField(default=1)
    comment = models.ForeignKey(
        "discussions.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.TextField(blank=True, help_text="The message (moderation, heat) or why (followed).")
    url = models.CharField(max_length=500, blank=True, help_text="A path on the site, or an absolute URL.")
    links = models.JSONField(
        default=list,
        blank=True,
        help_text='Further links shown with it, [{"label": …, "url": …}] (an appeal, the guidelines).',
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, help_text="The latest activity it reports.")
    read_at = models.DateTimeField(null=True, blank=True)
    email_schedule = models.CharField(
        max_length=10, blank=True, help_text="The email still to carry it (empty: none)."
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once")]
        indexes = [
            models.Index(fields=["recipient", "-updated_at", "-id"], name="notification_page_idx"),
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread_idx"
            ),
            models.Index(
                fields=["email_schedule", "recipient"],
                condition=~models.Q(email_schedule=""),
                name="notification_email_due_idx",
            ),
            models.Index(fields=["updated_at"], name="notification_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for user {self.recipient_id}"


class EmailPreference(models.Model):
    """A reader's choice for one kind; kinds without a row use DEFAULT_FREQUENCY."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="email_preference_once")]

    def __str__(self) -> str:
        return f"{self.kind} emails for user {self.user_id}: {self.frequency}"


class EmailDelivery(models.Model):
    """One email to send: the notifications it carries, composed when sent (so nothing that stopped
    being public goes out).  Claimed before sending and marked sent after, so a retried task never
    sends it twice; a failure waits `next_attempt_at` (back-off) and the sweep tries again."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        EMPTY = "empty", "Nothing left to tell (not sent)"
        FAILED = "failed", "Refused by the mail server for good"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    notification_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "email deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_due_idx",
            ),
            models.Index(fields=["claim"], condition=~models.Q(claim=""), name="delivery_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} email {self.pk} to user {self.recipient_id}: {self.status}"
