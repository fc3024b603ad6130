"""Operations on discussions.  Views, the API and tests call these; each is one transaction.

Every rule a post must satisfy is checked here, so the HTML forms and the JSON API
refuse the same things with the same messages (`CommentError`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from discussions import events, notices
from discussions.formatting import mentioned_usernames, render_comment
from discussions.models import Comment, CommentRevision, Mention, Reaction, Thread
from moderation import audit
from moderation import pipeline as moderation

User = get_user_model()
PUBLISHED = Comment.Status.PUBLISHED


class CommentError(Exception):
    """A refused action, with a message a person can act on and an HTTP status for the API."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CommentingState:
    """The effective commenting state of a thread; discussions.commenting.effective_status computes it."""

    open: bool
    reason: str = ""  # why (and the editors' notice): shown in place of, or above, the comment box
    status: str = "open"  # CommentingPolicy.Status: open, slow, premoderated, closed, suspended
    premoderated: bool = False  # new comments are stored HELD for review
    slow_mode_minutes: int | None = None  # one comment per reader per N minutes in this thread
    notice: str = ""  # the editors' message of the deciding level
    level: str = ""  # the level that decided: site, section, article, thread, or auto (auto-close)
    closes_at: datetime | None = None  # when auto-close takes (or took) effect

    @property
    def label(self) -> str:
        """Short status for editors' controls: "open", "pre-moderated, slow mode (5 min)", "closed"."""
        if not self.open:
            return "suspended" if self.status == "suspended" else "closed"
        parts = ["pre-moderated"] if self.premoderated else []
        if self.slow_mode_minutes:
            parts.append(f"slow mode ({self.slow_mode_minutes} min)")
        return ", ".join(parts) or "open"


def thread_for_article(article: Article) -> Thread:
    thread, _ = Thread.objects.get_or_create(article=article, defaults={"title": article.headline})
    thread.article = article  # already loaded; saves a query wherever the thread needs it
    return thread


def commenting_state(thread: Thread) -> CommentingState:
    """Whether new comments are accepted, how, and why not: site, section and article levels combined."""
    from discussions.commenting import effective_status  # imported here: commenting imports this module

    return effective_status(thread)


def _clean_body(body: str) -> str:
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise CommentError("empty", "Write something before posting: the comment is empty.")
    limit = settings.COMMENT_MAX_LENGTH
    if len(text) > limit:
        raise CommentError(
            "too_long", f"Comments can be at most {limit:,} characters; this one has {len(text):,}."
        )
    return text


def _render(text: str) -> tuple[str, list]:
    names = mentioned_usernames(text)
    users = (
        {u.username.lower(): u for u in User.objects.filter(username__in=names, is_active=True)}
        if names
        else {}
    )
    html = render_comment(
        text, lambda name: reverse("accounts:profile", args=[users[name].username]) if name in users else None
    )
    return html, list(users.values())


def _path_for(comment: Comment, parent: Comment | None) -> str:
    """Depth-first sort key of a reply inside its root: the ids from depth 1 down, zero-padded.

    Below MAX_VISUAL_DEPTH a reply hangs off its ancestor at that depth, so deeper replies
    are listed after it in posting order, flattened (shown with "replying to @name").
    """
    segment = f"{comment.pk:010d}"
    if parent is None or parent.depth == 0:
        return segment
    anchor = parent.path.split(".")[: Comment.MAX_VISUAL_DEPTH]
    return ".".join([*anchor, segment])


def _adjust_counts(comment: Comment, delta: int) -> None:
    Thread.objects.filter(pk=comment.thread_id).update(comment_count=F("comment_count") + delta)
    if comment.root_id:
        Comment.objects.filter(pk=comment.root_id).update(reply_count=F("reply_count") + delta)


def post_comment(
    author,
    thread: Thread,
    body: str,
    parent: Comment | None = None,
    client_key: str | None = None,
    ip: str | None = None,
    draft=None,
) -> Comment:
    """Post a comment or reply.  A retried request with the same client_key returns the first comment.

    Every new comment goes through moderation.pipeline (`ip`: the client's address, for its
    rate limit); it is stored published, held or rejected, and `comment.moderation` is the
    decision, whose `message` tells the author what happened and why.

    `draft` (a moderation.nudge.Draft, from clients that show nudges): once every refusal has
    passed, a draft that may break the guidelines raises moderation.nudge.NudgeRequired instead
    of being posted (only the warning is recorded); one posted anyway after a warning is held.

    The comment returned has `replayed` True when it was posted earlier under the same client_key.
    """
    if client_key:
        existing = Comment.objects.filter(author=author, client_key=client_key).first()
        if existing is not None:
            return _replayed(existing)
    if not author.is_active:
        raise CommentError("inactive", "This account cannot post.", status=403)
    if not (author.email_verified_at or author.is_staff):
        raise CommentError(
            "unverified",
            "Confirm your email address to join the discussion: use the link we sent when you signed up.",
            status=403,
        )
    if not author.has_perm("discussions.add_comment"):
        raise CommentError(
            "not_a_commenter",
            "Your account can read but not comment (its role is Reader). "
            "Ask the moderators if this is a mistake.",
            status=403,
        )
    trust_record = moderation.admit(author, ip=ip)  # bans and rate limits: refused before any write
    state = commenting_state(thread)
    if not state.open:
        raise CommentError("closed", state.reason, status=403)
    from discussions.commenting import slow_mode_message, slow_mode_wait  # (commenting imports this module)

    if wait := slow_mode_wait(thread, author, state):
        raise CommentError("slow_mode", slow_mode_message(state, wait), status=429)
    text = _clean_body(body)
    if parent is not None and (parent.thread_id != thread.pk or not parent.is_public):
        raise CommentError(
            "bad_parent", "The comment you are replying to is no longer available.", status=409
        )
    verdict = moderation.screen(
        author, thread, text, premoderated=state.premoderated, draft=draft, trust_record=trust_record
    )
    html, mentioned = _render(text)
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                thread=thread,
                author=author,
                parent=parent,
                root=(parent.root or parent) if parent else None,
                depth=parent.depth + 1 if parent else 0,
                body=text,
                body_html=html,
                status=verdict.status,  # pre-moderation (state.premoderated) is one of its steps
                client_key=client_key or None,
            )
            if parent is not None:  # a reply's sort key holds its own id (top-level ones sort by id)
                comment.path = _path_for(comment, parent)
                comment.save(update_fields=["path"])
            Mention.objects.bulk_create([Mention(comment=comment, user=u) for u in mentioned if u != author])
            comment.moderation = moderation.record(comment, verdict)
            if comment.is_public:
                _adjust_counts(comment, +1)
            if draft is not None:
                draft.settle(comment)
    except IntegrityError:
        # Two identical retries raced; the other one won.
        if client_key:
            return _replayed(Comment.objects.get(author=author, client_key=client_key))
        raise
    transaction.on_commit(lambda: events.comment_published(comment))
    return comment


def _replayed(comment: Comment) -> Comment:
    comment.replayed = True
    return comment


def _own_comment(user, comment: Comment) -> None:
    if comment.author_id != user.pk:
        raise CommentError("forbidden", "You can only change your own comments.", status=403)


def edit_comment(user, comment: Comment, body: str, ip: str | None = None, draft=None) -> Comment:
    """Edit within the window; the earlier wording is kept as a revision for moderators.

    The new text goes through moderation.pipeline again: a published comment whose edit is held
    becomes held (rejected: rejected); an edit never publishes a held comment.  `draft`: as for
    post_comment, a new wording that may break the guidelines raises NudgeRequired (nothing is
    saved), and one saved anyway after the warning is held.
    """
    _own_comment(user, comment)
    if comment.is_tombstone or comment.status == Comment.Status.REJECTED:
        raise CommentError("gone", "This comment can no longer be edited.", status=409)
    window = timedelta(seconds=settings.COMMENT_EDIT_WINDOW_SECONDS)
    if timezone.now() - comment.created_at > window:
        minutes = settings.COMMENT_EDIT_WINDOW_SECONDS // 60
        raise CommentError("edit_window", f"Comments can be edited for {minutes} minutes after posting.", 409)
    text = _clean_body(body)
    if text == comment.body:
        return comment
    trust_record = moderation.admit(user, ip=ip, kind="edit")
    premoderated = commenting_state(comment.thread).premoderated
    verdict = moderation.screen(
        user,
        comment.thread,
        text,
        kind="edit",
        comment=comment,
        premoderated=premoderated,
        draft=draft,
        trust_record=trust_record,
    )
    html, mentioned = _render(text)
    with transaction.atomic():
        CommentRevision.objects.create(comment=comment, body=comment.body)
        comment.body, comment.body_html, comment.edited_at = text, html, timezone.now()
        comment.save(update_fields=["body", "body_html", "edited_at"])
        comment.mentions.all().delete()
        Mention.objects.bulk_create([Mention(comment=comment, user=u) for u in mentioned if u != user])
        comment.moderation = moderation.apply_edit(comment, verdict)
        if draft is not None:
            draft.settle(comment)
    transaction.on_commit(lambda: events.comment_changed(comment))
    transaction.on_commit(lambda: notices.comment_published(comment))  # it may mention someone new
    return comment


def set_status(comment: Comment, status: str) -> Comment:
    """Move a comment through its lifecycle, keeping the published counts right."""
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        was_public = locked.is_public
        locked.status = status
        locked.save(update_fields=["status"])
        if was_public != locked.is_public:
            _adjust_counts(locked, +1 if locked.is_public else -1)
    comment.status = status
    if comment.is_public and not was_public:
        transaction.on_commit(lambda: events.comment_published(comment))
    else:
        transaction.on_commit(lambda: events.comment_changed(comment))
    return comment


def delete_own_comment(user, comment: Comment) -> Comment:
    """The author takes a comment down; a tombstone keeps the replies in place."""
    _own_comment(user, comment)
    if comment.is_tombstone:
        return comment
    return set_status(comment, Comment.Status.DELETED)


def react(user, comment: Comment) -> Comment:
    """Give a comment one "Respect"; a second one from the same reader is refused."""
    if not comment.is_public:
        raise CommentError("gone", "This comment is not available.", status=409)
    if comment.author_id == user.pk:
        raise CommentError("own_comment", "You cannot react to your own comment.", status=409)
    if not user.has_perm("discussions.add_reaction"):
        raise CommentError("not_a_commenter", "Your account can read but not react.", status=403)
    try:
        with transaction.atomic():
            Reaction.objects.create(comment=comment, user=user)
            Comment.objects.filter(pk=comment.pk).update(reaction_count=F("reaction_count") + 1)
            notices.respected(user, comment)
    except IntegrityError:
        raise CommentError(
            "already_reacted", "You have already shown respect for this comment.", 409
        ) from None
    comment.refresh_from_db(fields=["reaction_count"])
    transaction.on_commit(lambda: events.reaction_changed(comment))
    return comment


def unreact(user, comment: Comment) -> Comment:
    with transaction.atomic():
        deleted, _ = Reaction.objects.filter(comment=comment, user=user).delete()
        if deleted:
            Comment.objects.filter(pk=comment.pk).update(reaction_count=F("reaction_count") - 1)
    comment.refresh_from_db(fields=["reaction_count"])
    transaction.on_commit(lambda: events.reaction_changed(comment))
    return comment


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
            notices.featured(comment)
    comment.is_featured = featured
    transaction.on_commit(lambda: events.comment_changed(comment))
    return comment
