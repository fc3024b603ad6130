"""The names readers go by may not pass for someone else's.

Comments show a display name beside the unique @username; a display name is refused when it reads
as another reader's username, or as the newsroom's voice (the site's name, "Moderator", "Admin"...)
unless its owner has a newsroom role.  Usernames are held to the second rule at sign-up.  Names
are compared by a key that ignores case, spacing, punctuation, compatibility forms and digits
standing in for letters ("M0d-erator" reads as "moderator").
"""

import re
import unicodedata

from django.conf import settings
from django.db.models.functions import Lower

from accounts.models import User
from accounts.roles import BADGES

_LOOKALIKE_DIGITS = str.maketrans(
    {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a"}
)
# Long enough to be refused anywhere in a name; the short ones only as a word of their own.
_RESERVED_ANYWHERE = ("moderator", "moderation", "administrator", "journalist", "official")
_RESERVED_WORDS = ("admin", "mod", "mods", "staff", "editor", "editors", "team", "support", "newsroom")


def _words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKC", name).casefold().translate(_LOOKALIKE_DIGITS)
    return [w for w in re.split(r"[^\w]+|_", text) if w]


def name_key(name: str) -> str:
    """The name with case, spacing, punctuation and look-alike digits taken out."""
    return "".join(_words(name))


def _speaks_for_the_site(user: User | None) -> bool:
    return (
        user is not None
        and user.pk is not None
        and (user.is_staff or user.is_superuser or user.groups.filter(name__in=list(BADGES)).exists())
    )


def impersonation(name: str, user: User | None = None) -> str:
    """Why `name` would pass for the newsroom ("" when it would not); `user` is who wants it."""
    words, key = _words(name), name_key(name)
    site = name_key(settings.SITE_NAME)
    reserved = any(r in key for r in _RESERVED_ANYWHERE) or any(w in _RESERVED_WORDS for w in words)
    if (reserved or (site and site in words)) and not _speaks_for_the_site(user):
        return (
            f"“{name}” reads as a name of {settings.SITE_NAME}'s moderators or staff. "
            "Choose a name of your own: staff get a badge beside theirs."
        )
    return ""


def someone_elses_username(name: str, user: User | None = None) -> str:
    """Why `name` would pass for another reader, by their username ("" when it would not)."""
    candidates = {name.strip().casefold(), "".join(name.split()).casefold(), name_key(name)}
    others = User.objects.annotate(username_lower=Lower("username")).filter(username_lower__in=candidates)
    if user is not None and user.pk is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        return f"“{name}” is another reader's username. Choose a name of your own."
    return ""
