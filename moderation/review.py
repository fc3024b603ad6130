"""What the queue pages do with one comment: the moderator's "approve" and "reject" for any queue.

`services.approve` publishes held or rejected comments and `services.reject` / `services.remove`
take comments down; a published comment that a moderator has looked at and leaves up needs one
more operation, `keep`: it leaves the Unmoderated queue and its open reports are dismissed.
`approve` and `take_down` pick the right one from the comment's status, so a queue item has the
same two buttons (and keys) whichever queue it is in.  `judge_spot_check` is the Audit queue's verdict
on a comment the checks published (moderation.spot_checks).
"""

from django.db import transaction
from django.utils import timezone

from discussions.errors import CommentError
from discussions.models import Comment
from moderation import audit, queues, selectors, services, trust
from moderation.decisions import Action, Source, Trigger, add_decision, step
from moderation.models import Report, SpotCheck

Status = Comment.Status
Verdict = SpotCheck.Verdict


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


def approve_below(moderator, decision_ids: list[int], below: float) -> int:
    """Approve, one by one (each audited), the held comments of the decisions a moderator was shown that
    still wait unchanged and score under `below` (selectors.approvable_below); how many were approved."""
    approved = 0
    reason = f"approved in bulk: scored under {below:.2f}"
    for decision in selectors.approvable_below(decision_ids, below):
        try:
            services.approve(moderator, decision.comment, reason)
        except CommentError as error:
            if error.status == 403:
                raise
            continue  # decided by someone else meanwhile
        approved += 1
    return approved


def judge_spot_check(moderator, check: SpotCheck, verdict: str, reason: str = "") -> SpotCheck:
    """Record a moderator's verdict.  "Should have been held" takes the comment down (removed if it is
    published, rejected if it is held since), telling its author why; "fine" marks it reviewed."""
    if not trust.is_moderator(moderator):
        raise CommentError("forbidden", "Only moderators can judge spot checks.", status=403)
    if verdict not in Verdict.values:
        raise CommentError("bad_verdict", "Say whether the comment is fine or should have been held.", 400)
    reason = reason.strip()
    if verdict == Verdict.SHOULD_HAVE_HELD and not reason:
        raise CommentError("reason_required", "Give a reason to take it down: the reader is told it.", 400)
    with transaction.atomic():
        locked = (
            SpotCheck.objects.select_for_update(of=("self",))
            .select_related("comment__author")
            .get(pk=check.pk)
        )
        if locked.verdict:
            raise CommentError("already_judged", "Another moderator has already judged this comment.", 409)
        comment = locked.comment
        if verdict == Verdict.SHOULD_HAVE_HELD and comment.status in (
            Comment.Status.PUBLISHED,
            Comment.Status.HELD,
        ):
            take_down(moderator, comment, reason)
        elif verdict == Verdict.FINE and comment.status == Comment.Status.PUBLISHED:
            keep(moderator, comment, "spot check: fine")
        locked.verdict, locked.reason = verdict, reason
        locked.decided_by, locked.decided_at = moderator, timezone.now()
        locked.save(update_fields=["verdict", "reason", "decided_by", "decided_at"])
        audit.record(moderator, f"spot_check_{verdict}", comment, reason, spot_check=locked.pk)
        queues.announce_change()
    return locked
