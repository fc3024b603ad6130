"""What the after-commit effects have already counted, so that a retried batch counts nothing twice."""

from django.db import models


class Counted(models.Model):
    """One effect that has been applied, by key ("heat:<comment id>"): written in the transaction that
    applies it, so a batch retried after a failure skips what it already did."""

    key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
