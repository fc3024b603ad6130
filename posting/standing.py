"""A reader's standing in a discussion: whether they may post there, and if not, the words the
discussion shows in place of the comment box (the same words posting refuses with)."""

from dataclasses import dataclass

from discussions.commenting import CommentingState, effective_status
from discussions.errors import CommentError
from discussions.models import Thread
from moderation import pipeline


def account_refusal(user, may_comment: bool | None = None) -> CommentError | None:  # type: ignore[no-untyped-def]
    """Why this account may not post at all (inactive, unconfirmed, a Reader), before any ban or limit;
    None when it may.  `may_comment`: the discussions.add_comment permission, when already loaded."""
    if not user.is_active:
        return CommentError("inactive", "This account cannot post.", status=403)
    if not (user.email_verified_at or user.is_staff):
        return CommentError(
            "unverified",
            "Confirm your email address to join the discussion: use the link we sent when you signed up.",
            status=403,
        )
    if not (user.has_perm("discussions.add_comment") if may_comment is None else may_comment):
        return CommentError(
            "not_a_commenter",
            "Your account can read but not comment (its role is Reader). "
            "Ask the moderators if this is a mistake.",
            status=403,
        )
    return None


def posting_refusal(user, state: CommentingState) -> str:  # type: ignore[no-untyped-def]
    """What the discussion says in place of the comment box to a signed-in reader who cannot post
    there ("" when they can): the thread's state, their account, or their ban or suspension."""
    if not state.open:
        return state.reason
    if refusal := account_refusal(user):
        return refusal.message
    if banned := pipeline.ban_refusal(user):
        return banned[1]
    return ""


@dataclass(frozen=True)
class Standing:
    """What a reader may do in a thread: the thread's state, and whether they may post and why not."""

    state: CommentingState
    refusal: str  # shown in place of the comment box ("" when they may post, or are not signed in)

    @property
    def can_post(self) -> bool:
        return self.state.open and not self.refusal


def standing(user, thread: Thread) -> Standing:  # type: ignore[no-untyped-def]
    """The thread's commenting state and the reader's own standing in it (anonymous readers: none)."""
    state = effective_status(thread)
    refusal = posting_refusal(user, state) if user.is_authenticated else ""
    return Standing(state, refusal)
