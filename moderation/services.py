"""Moderators' and readers' moderation actions.  Each is one transaction and is written to the audit log.

Refusals are discussions.errors.CommentError (code, message, HTTP status), like the comment
services, so forms and the API can show them the same way.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import ADMINS
from agora import ratelimit
from discussions import events
from discussions import notices as discussion_notices
from discussions.errors import CommentError
from discussions.lifecycle import set_status
from discussions.models import Comment
from moderation import audit, conf, heat, notices, queues, selectors, trust
from moderation.decisions import Action, Source, Trigger, add_decision, step
from moderation.models import Ban, ModerationDecision, Report
from moderation.notices import tell as notify

Status = Comment.Status
REPORT_PERIOD = 3600  # MODERATION_REPORTS_PER_HOUR counts over this window


# --- authorisation -----------------------------------------------------------------------------------


def _require(user, permission: str, what: str) -> None:
    if not (user is not None and user.is_authenticated and user.is_active and user.has_perm(permission)):
        raise CommentError("forbidden", f"Only moderators can {what}.", status=403)


def _require_moderator(user, what: str) -> None:
    _require(user, "moderation.moderate_comments", what)


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CommentError("reason_required", f"Give a reason to {what}: the reader is told it.", status=400)
    return reason


# --- reviewing comments ------------------------------------------------------------------------------


def _was_credited(comment: Comment) -> bool:
    """Whether the author already got trust for this comment (published by the checks or approved)."""
    return ModerationDecision.objects.filter(comment=comment, action=Action.PUBLISH).exists()


def _resolve_reports(comment: Comment, moderator, resolution: str) -> int:
    return Report.objects.filter(comment=comment, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=moderator, resolution=resolution
    )


def _review(moderator, comment: Comment, action: str, reason: str) -> ModerationDecision:
    return add_decision(
        comment,
        action,
        reason,
        source=Source.MODERATOR,
        trigger=Trigger.REVIEW,
        moderator=moderator,
        steps=[step("moderator", action, reason, moderator=moderator.username)],
    )


def approve(moderator, comment: Comment, reason: str = "") -> Comment:
    """Publish a held (or wrongly rejected) comment; its open reports are dismissed."""
    _require_moderator(moderator, "approve comments")
    if comment.status not in (Status.HELD, Status.REJECTED):
        raise CommentError("not_held", "Only held or rejected comments can be approved.", status=409)
    with transaction.atomic():
        credit = not _was_credited(comment)
        set_status(comment, Status.PUBLISHED)
        _review(moderator, comment, Action.PUBLISH, reason or "approved by a moderator")
        reports = _resolve_reports(comment, moderator, Report.Resolution.DISMISSED)
        if credit:
            trust.credit_approved(comment.author)
        audit.record(moderator, "approve_comment", comment, reason, dismissed_reports=reports)
        notify(comment.author, "approved", "Your comment is published: a moderator approved it.", comment)
    return comment


def _take_down(moderator, comment: Comment, status: str, reason: str, action: str) -> Comment:
    with transaction.atomic():
        set_status(comment, status)
        decision = _review(moderator, comment, Action.REJECT, reason)
        reports = _resolve_reports(comment, moderator, Report.Resolution.UPHELD)
        trust.debit_rejected(comment.author)
        audit.record(moderator, action, comment, reason, upheld_reports=reports)
        heat.comment_taken_down(comment)
        notices.take_down(comment, decision, "rejected" if status == Status.REJECTED else "removed")
    return comment


def reject(moderator, comment: Comment, reason: str) -> Comment:
    """Reject a held comment; the author is told why (notification and email)."""
    _require_moderator(moderator, "reject comments")
    reason = _require_reason(reason, "reject a comment")
    if comment.status != Status.HELD:
        raise CommentError(
            "not_held", "Only held comments can be rejected; remove published ones.", status=409
        )
    return _take_down(moderator, comment, Status.REJECTED, reason, "reject_comment")


def remove(moderator, comment: Comment, reason: str) -> Comment:
    """Take a published comment down, leaving a tombstone that keeps its replies in place."""
    _require_moderator(moderator, "remove comments")
    reason = _require_reason(reason, "remove a comment")
    if comment.status != Status.PUBLISHED:
        raise CommentError("not_published", "Only published comments can be removed.", status=409)
    return _take_down(moderator, comment, Status.REMOVED, reason, "remove_comment")


# --- reports -----------------------------------------------------------------------------------------


def _check_can_report(reader, comment: Comment) -> None:
    if not (reader.is_authenticated and reader.is_active):
        raise CommentError("not_authenticated", "Log in to report a comment.", status=401)
    if comment.author_id == reader.pk:
        raise CommentError("own_comment", "You cannot report your own comment.", status=409)
    if comment.status != Status.PUBLISHED:
        raise CommentError("gone", "This comment is not available.", status=409)
    limit = int(conf.get("MODERATION_REPORTS_PER_HOUR"))
    verdict = ratelimit.hit("moderation-report", str(reader.pk), limit, REPORT_PERIOD)
    if not verdict.allowed:
        minutes = max(1, verdict.retry_after // 60)
        raise CommentError(
            "rate_limited", f"You have sent a lot of reports — slow down and try again in {minutes} min.", 429
        )


def _hold_if_reported(comment: Comment) -> bool:
    """Hold a published comment once enough distinct trusted readers have reported it."""
    needed = int(conf.get("MODERATION_REPORTS_TO_HOLD"))
    reporters = selectors.open_trusted_reporters(comment)
    if comment.status != Status.PUBLISHED or reporters < needed:
        return False
    reason = f"{reporters} trusted readers reported it"
    set_status(comment, Status.HELD)
    add_decision(
        comment,
        Action.HOLD,
        "readers reported it",
        source=Source.REPORTS,
        trigger=Trigger.REPORT,
        steps=[step("reports", Action.HOLD, reason, trusted_reporters=reporters, needed=needed)],
    )
    audit.record(None, "auto_hold_reported", comment, reason, trusted_reporters=reporters)
    return True


def report(reader, comment: Comment, reason: str, note: str = "") -> Report:
    """A reader reports a comment; enough trusted reports hold it for a moderator."""
    _check_can_report(reader, comment)
    if reason not in Report.Reason.values:
        raise CommentError("bad_reason", "Choose why you are reporting this comment.", status=400)
    try:
        with transaction.atomic():
            # Lock the comment so concurrent reports count one after the other.
            locked = Comment.objects.select_for_update().get(pk=comment.pk)
            created = Report.objects.create(
                comment=locked,
                reporter=reader,
                reason=reason,
                note=note.strip()[:500],
                reporter_trusted=trust.is_trusted(reader),
            )
            heat.comment_reported(locked)
            if _hold_if_reported(locked):  # its decision tells the queue pages
                comment.status = locked.status
            else:
                queues.announce_change()
    except IntegrityError:
        raise CommentError(
            "already_reported", "You have already reported this comment.", status=409
        ) from None
    return created


# --- readers' accounts -------------------------------------------------------------------------------


def _is_admin(user) -> bool:
    return user.is_superuser or user.groups.filter(name=ADMINS).exists()


def _is_staff_or_moderator(user) -> bool:
    return (
        user.is_staff
        or user.has_perm("moderation.moderate_comments")
        or user.has_perm("moderation.ban_users")
    )


def _check_target(moderator, user) -> None:
    """Readers only: staff and moderators answer to the administrators, who alone may sanction them."""
    if user.pk == moderator.pk:
        raise CommentError("own_account", "You cannot act on your own account.", status=409)
    if user.is_superuser:
        raise CommentError("forbidden", "Administrators cannot be banned here.", status=403)
    if _is_staff_or_moderator(user) and not _is_admin(moderator):
        raise CommentError(
            "forbidden", "Only administrators can warn, suspend or ban staff and moderators.", status=403
        )


def _create_ban(moderator, user, reason: str, until: datetime | None) -> Ban:
    ban = Ban.objects.create(user=user, until=until, reason=reason, by=moderator)
    if until is None:
        action, message = "ban_user", f"Your account is banned from commenting: {reason}"
    else:
        when = timezone.localtime(until).strftime("%d %B %Y, %H:%M %Z")
        action, message = "suspend_user", f"Your account is suspended from commenting until {when}: {reason}"
    audit.record(moderator, action, user, reason, ban_id=ban.pk, until=until.isoformat() if until else None)
    notify(user, "ban", message + "\n\nYou can still read the site.", links=notices.ban_links(ban))
    return ban


def ban(moderator, user, reason: str) -> Ban:
    """Ban a reader from posting, with no end date (lift it to end it)."""
    _require(moderator, "moderation.ban_users", "ban readers")
    reason = _require_reason(reason, "ban a reader")
    _check_target(moderator, user)
    with transaction.atomic():
        return _create_ban(moderator, user, reason, None)


def suspend(moderator, user, reason: str, until: datetime | None = None, days: float | None = None) -> Ban:
    """Stop a reader posting until a time (or for a number of days)."""
    _require(moderator, "moderation.ban_users", "suspend readers")
    reason = _require_reason(reason, "suspend a reader")
    _check_target(moderator, user)
    if until is None and days is not None:
        until = timezone.now() + timedelta(days=days)
    if until is None or until <= timezone.now():
        raise CommentError("bad_until", "A suspension needs an end in the future.", status=400)
    with transaction.atomic():
        return _create_ban(moderator, user, reason, until)


def lift(moderator, user, reason: str) -> int:
    """End every ban and suspension in force for a reader; returns how many were lifted."""
    _require(moderator, "moderation.ban_users", "lift bans")
    reason = _require_reason(reason, "lift a ban")
    now = timezone.now()
    with transaction.atomic():
        active = Ban.objects.select_for_update().filter(user=user, lifted_at__isnull=True)
        ids = list(active.values_list("pk", flat=True))
        Ban.objects.filter(pk__in=ids).update(lifted_at=now, lifted_by=moderator)
        if ids:
            audit.record(moderator, "lift_ban", user, reason, ban_ids=ids)
            notify(user, "lifted", f"You can comment again: {reason}")
    return len(ids)


def warn(moderator, user, reason: str, comment: Comment | None = None) -> None:
    """A formal warning: the reader is told, and the log keeps it for the next decision about them."""
    _require(moderator, "moderation.ban_users", "warn readers")
    reason = _require_reason(reason, "warn a reader")
    _check_target(moderator, user)
    with transaction.atomic():
        audit.record(moderator, "warn_user", user, reason, comment_id=comment.pk if comment else None)
        notify(user, "warning", f"A warning from the moderators: {reason}", comment)


# --- editors' picks ----------------------------------------------------------------------------------


def set_featured(editor, comment: Comment, featured: bool) -> Comment:
    """Editor's pick: pinned at the top of its thread."""
    if not editor.has_perm("discussions.feature_comment"):
        raise CommentError("forbidden", "Only editors and moderators can feature comments.", status=403)
    if featured and not comment.is_public:
        raise CommentError("gone", "Only published comments can be featured.", status=409)
    with transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(is_featured=featured)
        audit.record(editor, "feature_comment" if featured else "unfeature_comment", comment)
        if featured:
            discussion_notices.featured(comment)
    comment.is_featured = featured
    transaction.on_commit(lambda: events.comment_changed(comment))
    return comment
