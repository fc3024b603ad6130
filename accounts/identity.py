"""Keyed fingerprints of email addresses: what may be kept of an address once its account is erased.

A fingerprint is an HMAC of the normalised address under a key derived from SECRET_KEY: it tells
whether a new account uses the same address as an erased one, and nothing else (it cannot be
reversed without the key, and the key never leaves the server).  Changing SECRET_KEY makes the
fingerprints kept so far unmatchable.
"""

from django.utils.crypto import salted_hmac

# Providers that ignore dots in the local part (and all of them ignore case and "+tags").
_DOTLESS_DOMAINS = {"gmail.com", "googlemail.com"}


def normalise_email(email: str) -> str:
    """The mailbox an address delivers to: lower case, no "+tag", no dots where the provider drops them."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def email_fingerprint(email: str) -> str:
    """The keyed fingerprint of an address ("" for none)."""
    if not email.strip():
        return ""
    return salted_hmac(
        "agora.accounts.email-fingerprint", normalise_email(email), algorithm="sha256"
    ).hexdigest()
