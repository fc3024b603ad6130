"""Moderation settings, each with a default, so the app works with no configuration at all.

A value is read from Django settings first, then from an environment variable of the same name
(so a deployment can set, say, ``MODERATION_WEBHOOK_URL`` without editing ``agora/settings.py``),
then the default below.  Read at call time, so tests can override any of them.
"""

import json
import os

from django.conf import settings

DEFAULTS: dict[str, object] = {
    # Site-wide score above which the model alone rejects (None: the model only ever holds).
    # The hold threshold is the classifier's own (MODERATION_HOLD_THRESHOLD, else the artifact's).
    "MODERATION_REJECT_THRESHOLD": None,
    # New accounts are pre-moderated until this many of their comments have been approved.
    "MODERATION_PREMODERATE_FIRST": 3,
    # Trust score (approved comments count +1, rejections -5) from which reports count.
    "MODERATION_TRUSTED_SCORE": 10,
    # More links than this in one comment are held, from anyone; new accounts' links always are.
    "MODERATION_MAX_LINKS": 2,
    # Repeated text: compared over this window, for texts at least this long once normalised.
    "MODERATION_SPAM_WINDOW_SECONDS": 24 * 3600,
    "MODERATION_SPAM_MIN_CHARS": 20,
    # The same text from this many other authors in the window is held as a copy-paste campaign.
    "MODERATION_SPAM_OTHER_AUTHORS": 2,
    # Comments (and, separately, edits) per user per period, by trust level; and per client IP.
    "MODERATION_RATE_PERIOD": 60,
    "MODERATION_RATE_LIMITS": {"new": 3, "member": 10, "trusted": 30},
    "MODERATION_IP_RATE_LIMIT": 30,
    # Reports from this many distinct trusted readers hold a published comment.
    "MODERATION_REPORTS_TO_HOLD": 3,
    "MODERATION_REPORTS_PER_HOUR": 20,
    # Optional external check (see provider.py); empty URL: no external step.
    "MODERATION_WEBHOOK_URL": "",
    "MODERATION_WEBHOOK_TIMEOUT": 2.0,
    "MODERATION_WEBHOOK_TOKEN": "",
}


def get(name: str):  # type: ignore[no-untyped-def]
    """The configured value of one moderation setting."""
    default = DEFAULTS[name]
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int | float):
        return type(default)(raw)
    if isinstance(default, dict) or default is None:
        return json.loads(raw)
    return raw
