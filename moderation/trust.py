"""Readers' trust: how much of their posting the moderators need to see.

Levels, from the reader's ``UserTrust`` record (none yet: all zeros):

* ``new``: fewer than MODERATION_PREMODERATE_FIRST approved comments, or a negative score.
  Every comment is held for review (pre-moderation), links are held, the lowest rate limit.
* ``member``: the default once past that.
* ``trusted``: a score of at least MODERATION_TRUSTED_SCORE; their reports can hold a comment.
  Moderators and staff are always trusted.

A comment published by the checks or approved by a moderator adds 1 (and counts as approved);
a rejection or removal takes 5 away, so one rejection undoes five good comments.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agora.prepared import PreparedUpdate
from moderation import conf
from moderation.models import UserTrust

NEW, MEMBER, TRUSTED = "new", "member", "trusted"
APPROVED_POINTS = 1
REJECTED_POINTS = -5


def is_moderator(user) -> bool:
    """Moderators group (given this permission after migrate), Admins and superusers."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm("moderation.moderate_comments")
    )


def record_for(user) -> UserTrust:
    """The reader's record, unsaved and empty if they have none yet."""
    return UserTrust.objects.filter(user=user).first() or UserTrust(user=user)


def level_of(user, record: UserTrust | None = None) -> str:
    if user.is_staff or is_moderator(user):
        return TRUSTED
    record = record if record is not None else record_for(user)
    if record.score < 0 or record.approved_count < conf.get("MODERATION_PREMODERATE_FIRST"):
        return NEW
    if record.score >= conf.get("MODERATION_TRUSTED_SCORE"):
        return TRUSTED
    return MEMBER


def is_trusted(user) -> bool:
    return level_of(user) == TRUSTED


# Every published post credits its author: compiled once (agora.prepared).
_add_to_record = PreparedUpdate(
    lambda user_id, points, approved, rejected, now: (
        UserTrust.objects.filter(user_id=user_id),
        {
            "score": F("score") + points,
            "approved_count": F("approved_count") + approved,
            "rejected_count": F("rejected_count") + rejected,
            "updated_at": now,
        },
    ),
    int,
    int,
    int,
    int,
    datetime,
)


def _change(user, points: int, approved: int = 0, rejected: int = 0) -> None:
    if user is None:
        return
    if _add_to_record.run(user.pk, points, approved, rejected, timezone.now()):
        return
    with transaction.atomic():  # first change for this reader: create the record, then count
        UserTrust.objects.get_or_create(user=user)
        _add_to_record.run(user.pk, points, approved, rejected, timezone.now())


def credit_approved(user) -> None:
    _change(user, APPROVED_POINTS, approved=1)


def debit_rejected(user) -> None:
    _change(user, REJECTED_POINTS, rejected=1)


def undo_rejection(user) -> None:
    """A rejection reversed on appeal: its points and its count come back."""
    _change(user, -REJECTED_POINTS, rejected=-1)


def set_trusted(user) -> UserTrust:
    """Make a reader trusted at once (imports of known readers, tests, a moderator's vouching)."""
    needed = max(conf.get("MODERATION_TRUSTED_SCORE"), conf.get("MODERATION_PREMODERATE_FIRST"))
    record, _ = UserTrust.objects.update_or_create(
        user=user, defaults={"score": needed, "approved_count": needed}
    )
    return record
