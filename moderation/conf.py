"""Moderation settings, each with a default, so the app works with no configuration at all.

A value is read from Django settings first, then from an environment variable of the same name
(so a deployment can set, say, ``MODERATION_WEBHOOK_URL`` without editing ``agora/settings.py``),
then the default below.  Read at call time, so tests can override any of them.
"""

import json
import os

from django.conf import settings

DEFAULTS: dict[str, object] = {
    # The site's policy (moderation.policy): hold at most this share of civil comments; the model's
    # thresholds follow from it.  MODERATION_HOLD_THRESHOLD, when set, fixes the toxicity threshold
    # instead.  Sections and articles override both (ModerationPolicy).
    "MODERATION_HOLD_TARGET": 0.05,
    "MODERATION_HOLD_THRESHOLD": None,
    # Site-wide score above which the model alone rejects (None: the model only ever holds).
    "MODERATION_REJECT_THRESHOLD": None,
    # Drafts are nudged before posting (moderation.nudge) from the threshold that would nudge this
    # share of civil drafts (or the thread's hold threshold, if lower).  MODERATION_NUDGE_THRESHOLD:
    # "target" follows the target, a number fixes the threshold, None turns nudges off.
    "MODERATION_NUDGE_TARGET": 0.05,
    "MODERATION_NUDGE_THRESHOLD": "target",
    # Site adaptation (moderation.adaptation): the folder of the public data sets whose validation
    # rows an adapted model must not get worse on (default: ../shared/data/moderation), the labelled
    # examples needed to try (and of each class), and the site's own civil / toxic examples needed
    # before its thresholds come from its decisions rather than from the validation data.
    "MODERATION_BASE_DATA_DIR": "",
    "MODERATION_ADAPT_MIN_EXAMPLES": 200,
    "MODERATION_ADAPT_MIN_PER_CLASS": 20,
    "MODERATION_SITE_MIN_CIVIL": 1000,
    "MODERATION_SITE_MIN_TOXIC": 50,
    # Spot checks (moderation.spot_checks): this share of the comments the automatic checks publish
    # goes to the Audit queue, where moderators' verdicts measure the live leak rate.
    "MODERATION_AUDIT_SHARE": 0.01,
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
    # Drafts checked (posts and edits screened, nudges, the API's check) per user per period: a
    # generous cap against abuse of the checks, apart from the posting limits above.
    "MODERATION_CHECK_RATE_LIMIT": 120,
    # Reports from this many distinct trusted readers hold a published comment.
    "MODERATION_REPORTS_TO_HOLD": 3,
    "MODERATION_REPORTS_PER_HOUR": 20,
    # Optional external check (see provider.py): a webhook when its URL is set, else Google's
    # Perspective API when its key is set; neither: no external step.  The timeout bounds both.
    "MODERATION_WEBHOOK_URL": "",
    "MODERATION_WEBHOOK_TIMEOUT": 2.0,
    "MODERATION_WEBHOOK_TOKEN": "",
    "MODERATION_PERSPECTIVE_API_KEY": "",
    "MODERATION_PERSPECTIVE_URL": "https://commentanalyzer.googleapis.com/v1alpha1/comments:analyze",
    "MODERATION_PERSPECTIVE_HOLD": 0.8,
    "MODERATION_PERSPECTIVE_REJECT": None,
    # Heat guard (heat.py): per discussion, over the last WINDOW minutes, at least MIN_COMMENTS new
    # comments of which FLAGGED_SHARE or more were held, rejected or reported, or more than
    # RATE_PER_MINUTE new comments a minute (0: the rate alone never engages it), switch the
    # discussion to MODE ("premoderated" or "slow", one comment per reader per SLOW_MINUTES) until
    # it has been calm for CALM_MINUTES.  ENABLED False: no guard engages (engaged ones still lift).
    "MODERATION_HEAT_ENABLED": True,
    "MODERATION_HEAT_WINDOW_MINUTES": 10,
    "MODERATION_HEAT_MIN_COMMENTS": 10,
    "MODERATION_HEAT_FLAGGED_SHARE": 0.5,
    "MODERATION_HEAT_RATE_PER_MINUTE": 20.0,
    "MODERATION_HEAT_MODE": "premoderated",
    "MODERATION_HEAT_SLOW_MINUTES": 2,
    "MODERATION_HEAT_CALM_MINUTES": 30,
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
