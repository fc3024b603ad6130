"""Signals other apps listen to, so that accounts needs to know nothing about them."""

from django.dispatch import Signal

# Sent by services.erase_account inside its transaction, before the user row is deleted
# (argument: user): receivers keep what they must keep of the account (moderation: its bans).
account_erasing = Signal()
