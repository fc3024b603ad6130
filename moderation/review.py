"""What the queue pages do with one comment: the moderator's "approve" and "reject" for any queue.

`services.approve` publishes held or rejected comments and `services.reject` / `services.remove`
take comments down; a published comment that a moderator has looked at and leaves up needs one
more operation, `keep`: it leaves the Unmoderated queue and its open reports are dismissed.
`approve` and `take_down` pick the right one from the comment's status, so a queue item has the
same two buttons (and keys) whichever queue it is in.
"""

from django.db import transaction
from django.utils import timezone

from discussions.errors import CommentError
from discussions.models import Comment
from moderation import audit, services, trust
from moderation.decisions import Action, Source, Trigger, add_decision, step
from moderation.models import Report

Status = Comment.Status


def keep(moderator, comment: Comment, reason: str = "") -> Comment:
    """A moderator has read a published comment and leaves it up (marked reviewed, reports dismissed)."""
    if not trust.is_moderator(moderator):
        raise CommentError("forbidden", "Only moderators can review comments.", status=403)
    if comment.status != Status.PUBLISHED:
        raise CommentError("not_published", "Only published comments can be kept.", status=409)
    reason = reason.strip() or "checked by a moderator"
    with transaction.atomic():
        add_decision(
            comment,
            Action.PUBLISH,
            reason,
            source=Source.MODERATOR,
            trigger=Trigger.REVIEW,
            moderator=moderator,
            steps=[step("moderator", Action.PUBLISH, reason, moderator=moderator.username)],
        )
        dismissed = Report.objects.filter(comment=comment, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=moderator, resolution=Report.Resolution.DISMISSED
        )
        audit.record(moderator, "keep_comment", comment, reason, dismissed_reports=dismissed)
    return comment


def approve(moderator, comment: Comment, reason: str = "") -> Comment:
    """Publish a held or rejected comment; keep a published one."""
    if comment.status == Status.PUBLISHED:
        return keep(moderator, comment, reason)
    return services.approve(moderator, comment, reason)


def take_down(moderator, comment: Comment, reason: str) -> Comment:
    """Reject a held comment, remove a published one; the author is told why either way."""
    if comment.status == Status.PUBLISHED:
        return services.remove(moderator, comment, reason)
    return services.reject(moderator, comment, reason)
