"""Readers' accounts.  A custom user model from the start, so profile fields live on the user."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    email = models.EmailField("email address", unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=60, blank=True)
    bio = models.CharField("short bio", max_length=280, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def initials(self) -> str:
        """Up to two letters for the avatar, from the display name or username."""
        words = [w for w in self.public_name.replace("_", " ").replace(".", " ").split() if w]
        letters = "".join(w[0] for w in words[:2]) or self.username[:1]
        return letters.upper()
