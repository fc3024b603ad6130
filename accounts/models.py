"""Readers' accounts.  A custom user model from the start, so profile fields live on the user."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    email = models.EmailField("email address", blank=True)
    display_name = models.CharField(max_length=60, blank=True)
    bio = models.CharField("short bio", max_length=280, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)

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
