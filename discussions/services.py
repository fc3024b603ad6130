"""Operations on comments that need no moderation: threads, the text of a comment (cleaning,
rendering, its place in the thread), reactions.  Each is one transaction.

Posting and editing, which go through moderation, are sequenced in posting.actions, above both
this app and moderation; this module imports nothing from either (import-linter holds that).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from discussions import events, notices
from discussions.commenting import CommentingState, effective_status
from discussions.errors import CommentError
from discussions.formatting import mentioned_usernames, render_comment
from discussions.models import Comment, Reaction, Thread

User = get_user_model()
PUBLISHED = Comment.Status.PUBLISHED


NO_THREAD = "There is no such discussion."


def require_public(thread: Thread) -> None:
    """A thread readers cannot see (a draft's, an embargoed article's) takes nothing, as if absent."""
    if not thread.is_public:
        raise CommentError("not_found", NO_THREAD, status=404)


def thread_for_article(article: Article) -> Thread:
    thread, _ = Thread.objects.get_or_create(article=article, defaults={"title": article.headline})
    thread.article = article  # already loaded; saves a query wherever the thread needs it
    return thread


def commenting_state(thread: Thread) -> CommentingState:
    """Whether new comments are accepted, how, and why not: site, section and article levels combined."""
    return effective_status(thread)


def normalised(body: str) -> str:
    return body.replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_body(body: str) -> str:
    text = normalised(body)
    if not text:
        raise CommentError("empty", "Write something before posting: the comment is empty.")
    limit = settings.COMMENT_MAX_LENGTH
    if len(text) > limit:
        raise CommentError(
            "too_long", f"Comments can be at most {limit:,} characters; this one has {len(text):,}."
        )
    return text


def render(text: str) -> tuple[str, list]:
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


def path_for(comment: Comment, parent: Comment | None) -> str:
    """Depth-first sort key of a reply inside its root: the ids from depth 1 down, zero-padded.

    Below MAX_VISUAL_DEPTH a reply hangs off its ancestor at that depth, so deeper replies
    are listed after it in posting order, flattened (shown with "replying to @name").
    """
    segment = f"{comment.pk:010d}"
    if parent is None or parent.depth == 0:
        return segment
    anchor = parent.path.split(".")[: Comment.MAX_VISUAL_DEPTH]
    return ".".join([*anchor, segment])


def own_comment(user, comment: Comment) -> None:
    if comment.author_id != user.pk:
        raise CommentError("forbidden", "You can only change your own comments.", status=403)


def within_edit_window(comment: Comment) -> bool:
    return timezone.now() - comment.created_at <= timedelta(seconds=settings.COMMENT_EDIT_WINDOW_SECONDS)


def react(user, comment: Comment) -> Comment:
    """Give a comment one "Respect"; a second one from the same reader is refused."""
    require_public(comment.thread)
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
