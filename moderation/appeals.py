"""Appeals: a reader asks for a second look at a decision against them, once per decision.

What can be appealed: the rejection or removal of one's own comment (the decision that took it down,
while it still stands) and a ban or suspension of one's own account (while in force).  The notice of
the decision links to the form (moderation.notices).  The appeal waits in the Appeals queue; where
the site has two or more moderators who could decide it, someone other than the first decider must
(the automatic checks decided nobody's way: any moderator may).  Upheld: the comment is published
again, or the ban is lifted; refused: the decision stands.  Either way the reader is told, and the
audit log keeps who decided.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from discussions.errors import CommentError
from discussions.lifecycle import set_status
from discussions.models import Comment
from moderation import audit, notices, queues, selectors, trust
from moderation.decisions import Action, Source, Trigger, add_decision, step
from moderation.models import Appeal, Ban, ModerationDecision

Status = Appeal.Status
TAKEN_DOWN = (Comment.Status.REJECTED, Comment.Status.REMOVED)
MAX_STATEMENT = 1000
COMMENT_PERMISSION = "moderation.moderate_comments"
BAN_PERMISSION = "moderation.ban_users"


# --- filing ------------------------------------------------------------------------------------------


def decision_refusal(decision: ModerationDecision) -> str:
    """Why this decision cannot be appealed now ("" when it can); the caller checks it is the reader's."""
    if decision.action != Action.REJECT:
        return "Only a decision to reject or remove a comment can be appealed."
    if Appeal.objects.filter(decision=decision).exists():
        return "You have already appealed this decision."
    if not decision.is_current or decision.comment.status not in TAKEN_DOWN:
        return "This decision no longer stands: there is nothing to appeal."
    return ""


def ban_refusal(ban: Ban) -> str:
    if Appeal.objects.filter(ban=ban).exists():
        return "You have already appealed this decision."
    if not selectors.bans_in_force().filter(pk=ban.pk).exists():
        return "This suspension is over or was lifted: there is nothing to appeal."
    return ""


def _clean_statement(statement: str) -> str:
    statement = (statement or "").strip()
    if not statement:
        raise CommentError("statement_required", "Say in a few words why the decision should change.", 400)
    if len(statement) > MAX_STATEMENT:
        raise CommentError("too_long", f"Keep your statement to {MAX_STATEMENT} characters.", 400)
    return statement


def _create(reader, statement: str, **subject: object) -> Appeal:
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(appellant=reader, statement=statement, **subject)
            audit.record(reader, "file_appeal", appeal, "", subject=str(appeal))
            queues.announce_change()
    except IntegrityError:
        raise CommentError("already_appealed", "You have already appealed this decision.", 409) from None
    return appeal


def appeal_decision(reader, decision: ModerationDecision, statement: str) -> Appeal:
    """The author appeals the decision that rejected or removed their comment."""
    if decision.author_id != reader.pk:
        raise CommentError("forbidden", "You can only appeal decisions about your own comments.", 403)
    if refusal := decision_refusal(decision):
        raise CommentError("not_appealable", refusal, 409)
    return _create(
        reader,
        _clean_statement(statement),
        decision=decision,
        comment_id=decision.comment_id,
        first_decider_id=decision.moderator_id,
    )


def appeal_ban(reader, ban: Ban, statement: str) -> Appeal:
    """The reader appeals their suspension or ban."""
    if ban.user_id != reader.pk:
        raise CommentError("forbidden", "You can only appeal decisions about your own account.", 403)
    if refusal := ban_refusal(ban):
        raise CommentError("not_appealable", refusal, 409)
    return _create(reader, _clean_statement(statement), ban=ban, first_decider_id=ban.by_id)


# --- who decides -------------------------------------------------------------------------------------


def permission_for(appeal: Appeal) -> str:
    return BAN_PERMISSION if appeal.ban_id else COMMENT_PERMISSION


def deciders(appeal: Appeal) -> int:
    """Active accounts that may decide this kind of appeal (superusers included)."""
    return get_user_model().objects.with_perm(permission_for(appeal)).count()  # type: ignore[attr-defined]


def decider_refusal(moderator, appeal: Appeal, counted: dict[str, int] | None = None) -> str:
    """Why `moderator` may not decide this appeal ("" when they may).  `counted`: deciders per
    permission, filled in as they are counted (a page of appeals counts each once)."""
    permission = permission_for(appeal)
    if not (moderator.is_authenticated and moderator.is_active and moderator.has_perm(permission)):
        return "Only moderators who may make this decision can decide its appeal."
    if appeal.first_decider_id != moderator.pk:
        return ""
    counted = {} if counted is None else counted
    if permission not in counted:
        counted[permission] = deciders(appeal)
    if counted[permission] >= 2:
        return "Another moderator must decide this appeal: you made the first decision."
    return ""


def sole_decider(moderator, appeal: Appeal, counted: dict[str, int] | None = None) -> bool:
    """The first decider, allowed to decide their own decision's appeal because nobody else can."""
    return appeal.first_decider_id == moderator.pk and not decider_refusal(moderator, appeal, counted)


# --- deciding ----------------------------------------------------------------------------------------


def _restore_comment(moderator, appeal: Appeal, reason: str) -> None:
    comment = Comment.objects.select_for_update().get(appeals=appeal)
    if comment.status not in TAKEN_DOWN:
        raise CommentError("gone", "The comment is no longer taken down: there is nothing to restore.", 409)
    set_status(comment, Comment.Status.PUBLISHED)
    add_decision(
        comment,
        Action.PUBLISH,
        f"appeal upheld: {reason}",
        source=Source.MODERATOR,
        trigger=Trigger.REVIEW,
        moderator=moderator,
        steps=[step("appeal", Action.PUBLISH, reason, moderator=moderator.username, appeal=appeal.pk)],
    )
    trust.undo_rejection(comment.author)
    audit.record(moderator, "uphold_appeal", comment, reason, appeal=appeal.pk)


def _lift_ban(moderator, appeal: Appeal, reason: str) -> None:
    ban = Ban.objects.select_for_update().get(appeal=appeal)
    if ban.lifted_at is None:
        ban.lifted_at, ban.lifted_by = timezone.now(), moderator
        ban.save(update_fields=["lifted_at", "lifted_by"])
    audit.record(moderator, "uphold_appeal", ban.user or ban, reason, appeal=appeal.pk, ban_id=ban.pk)


def _outcome_message(appeal: Appeal, upheld: bool, reason: str) -> str:
    if not upheld:
        return f"Your appeal was refused: the decision stands.\n\nThe moderator's reason: {reason}"
    done = "your comment is published again" if appeal.decision_id else "you can comment again"
    return f"Your appeal was upheld: {done}.\n\nThe moderator's reason: {reason}"


def decide(moderator, appeal: Appeal, *, uphold: bool, reason: str = "") -> Appeal:
    """Uphold (reverse the decision) or refuse an appeal; the reader is told, the audit log keeps it."""
    if refusal := decider_refusal(moderator, appeal):
        raise CommentError("forbidden", refusal, 403)
    reason = (reason or "").strip()[:500]
    if not reason:
        if not uphold:
            raise CommentError("reason_required", "Give a reason to refuse: the reader is told it.", 400)
        reason = "on a second look, the decision was wrong"
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if not locked.is_open:
            raise CommentError("already_decided", "This appeal has already been decided.", 409)
        if uphold and locked.decision_id:
            _restore_comment(moderator, locked, reason)
        elif uphold:
            _lift_ban(moderator, locked, reason)
        else:
            audit.record(moderator, "refuse_appeal", locked, reason)
        locked.status = Status.UPHELD if uphold else Status.REFUSED
        locked.decided_by, locked.decided_at, locked.outcome_reason = moderator, timezone.now(), reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "outcome_reason"])
        comment = Comment.objects.filter(appeals=locked).select_related("thread").first()
        notices.tell(
            locked.appellant,
            "appeal",
            _outcome_message(locked, uphold, reason),
            comment,
            [notices.guidelines_link()],
        )
        queues.announce_change()
    return locked


# --- erasure -----------------------------------------------------------------------------------------


def forget_statements(sender: object, user, **kwargs: object) -> None:
    """An erased account's words go with it (accounts.signals.account_erasing); the appeal stays."""
    Appeal.objects.filter(appellant=user).update(statement="")
