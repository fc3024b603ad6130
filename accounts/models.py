"""Readers' accounts.  A custom user model from the start, so profile fields live on the user."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    email = models.EmailField("email address", blank=True)
    display_name = models.CharField(max_length=60, blank=True)
    bio = models.CharField("short bio", max_length=280, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    show_follows = models.BooleanField(
        "show what I follow on my profile",
        default=False,
        help_text="Lists the topics, sections and authors you follow on your public profile.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # One account per address, whatever its case; accounts made without one are allowed.
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="accounts_user_email_ci_unique"
            )
        ]

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def initials(self) -> str:
        """Up to two letters for the avatar, from the display name or username."""
        words = [w for w in self.public_name.replace("_", " ").replace(".", " ").split() if w]
        letters = "".join(w[0] for w in words[:2]) or self.username[:1]
        return letters.upper()


class Mute(models.Model):
    """One reader muting another: the muted reader's comments collapse for the muter, and nothing they
    do reaches the muter as a notification.  The muted reader is never told."""

    muter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mutes")
    muted = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="mute_once"),
            models.CheckConstraint(condition=~models.Q(muter=models.F("muted")), name="mute_not_self"),
        ]

    def __str__(self) -> str:
        return f"User {self.muter_id} muted user {self.muted_id}"
