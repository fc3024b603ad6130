"""Spot checks: a share of what the automatic checks publish goes to the Audit queue for a person.

`after_checks` runs on every decision the checks record (moderation.pipeline.record): a comment they
published is sampled with probability ``MODERATION_AUDIT_SHARE`` (default 1 %), deterministically
from a keyed hash of its id (the same comment always gets the same answer, and authors cannot tell
which comments will be looked at); a comment they rejected gets its notice, with the statement of
reasons and the appeal link (moderation.notices).

Moderators' verdicts there ("fine", or "should have been held", which takes it down with a reason)
measure the live leak rate: the share of automatically published comments that should have been held
(moderation.review.judge records them).  Imported by the pipeline: nothing here may import
discussions.services at import time.
"""

import hashlib
import hmac

from django.conf import settings

from moderation import conf, notices, queues
from moderation.models import ModerationDecision, SpotCheck

Action = ModerationDecision.Action
Source = ModerationDecision.Source
Trigger = ModerationDecision.Trigger
SCALE = 2**64


def share() -> float:
    """The configured share of automatic publishes to sample, clamped to [0, 1]."""
    return min(max(float(conf.get("MODERATION_AUDIT_SHARE")), 0.0), 1.0)


def is_sampled(comment_id: int, rate: float) -> bool:
    """Whether a comment falls in the sample: a keyed hash of its id, read as a fraction of 1."""
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"spot-check:{comment_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / SCALE < rate


def after_checks(decision: ModerationDecision) -> SpotCheck | None:
    """Called for each decision the automatic checks record, inside its transaction."""
    if decision.action == Action.REJECT:
        notices.automatic_rejection(decision)
        return None
    if decision.action != Action.PUBLISH or decision.trigger != Trigger.POST:
        return None
    if not is_sampled(decision.comment_id, share()):
        return None
    queues.announce_change()
    return SpotCheck.objects.create(comment_id=decision.comment_id, decision=decision)
