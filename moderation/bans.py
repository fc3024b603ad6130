"""Bans outlive the erasure of their account: a new account with the same address is banned too.

Erasure (accounts.services.erase_account) deletes the address.  What stays, on each ban still in
force, is the keyed fingerprint of that address (accounts.identity), never the address; a new
account whose address has that fingerprint gets the same ban, until the same end, and the audit log
says why.  Connected in moderation.apps.
"""

from accounts.identity import email_fingerprint
from moderation import audit
from moderation.models import Ban
from moderation.selectors import bans_in_force, strongest


def keep_bans_of_erased_account(sender: object, user, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
    """Before the account goes: its bans in force keep the fingerprint of its address."""
    fingerprint = email_fingerprint(user.email)
    if fingerprint:
        bans_in_force().filter(user=user).update(email_fingerprint=fingerprint)


def ban_new_account_of_banned_address(sender: object, instance, created: bool, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
    """A new account with the address of an erased, banned one: the same ban applies to it."""
    if not created or kwargs.get("raw") or not instance.email:
        return
    earlier = bans_in_force().filter(user__isnull=True, email_fingerprint=email_fingerprint(instance.email))
    ban = strongest(earlier)
    if ban is None:
        return
    carried = Ban.objects.create(user=instance, until=ban.until, reason=ban.reason)
    audit.record(
        None,
        "carry_ban",
        instance,
        "A new account with the address of an erased account that was banned.",
        ban_id=carried.pk,
        erased_ban_id=ban.pk,
    )
