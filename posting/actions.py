"""A reader posts, edits or takes down a comment: each use case, top to bottom, in one place.

Posting and editing span two apps: `discussions` keeps the comments and `moderation` decides what
becomes of them.  Neither calls the other; this module sequences them, in five steps:

1. load: everything the checks need, once (moderation.context: the author's trust record,
   permissions and ban in one query; the thread's commenting state; rules and thresholds from
   this process's snapshots);
2. check: every refusal, before anything is written (CommentError, with the same code, message and
   status for the site's form, the embed and the API);
3. decide: the moderation verdict, computed once (moderation.pipeline.screen);
4. write: the comment, its mentions, the decision, the author's trust and the published counts,
   in one transaction; a retried post (same client_key) is caught by the unique constraint, not
   looked up first;
5. announce: after commit, off the request (posting.aftermath): page caches, live events,
   notifications, the queue pages and the heat guard.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from discussions import services
from discussions.commenting import slow_mode_message, slow_mode_wait
from discussions.errors import CommentError
from discussions.lifecycle import adjust_counts, set_status
from discussions.models import Comment, CommentRevision, Mention, Thread
from moderation import context, pipeline
from moderation.decisions import Trigger
from moderation.nudge import Draft, NudgeRequired
from moderation.queues import announce_change as announce_queue_change
from posting import aftermath, tasks
from posting.standing import account_refusal

BAD_PARENT = "The comment you are replying to is no longer available."
KEY_REUSED = (
    "This form (its client_key) already posted a different comment: "
    "reload the page, or send a new client_key, to post another one."
)


def post_comment(
    author,
    thread: Thread,
    body: str,
    parent: Comment | None = None,
    client_key: str | None = None,
    ip: str | None = None,
    draft: Draft | None = None,
) -> Comment:
    """Post a comment or reply.  A retried request with the same client_key returns the first comment.

    Every new comment goes through moderation.pipeline (`ip`: the client's address, for its rate
    limit); it is stored published, held or rejected, and `comment.moderation` is the decision,
    whose `message` tells the author what happened and why.

    `draft` (a moderation.nudge.Draft, from clients that show nudges): once every refusal has
    passed, a draft that may break the guidelines raises NudgeRequired instead of being posted
    (only the warning is recorded); one posted anyway after a warning is held.

    The comment returned has `replayed` True when it was posted earlier under the same client_key;
    a client_key already used for other words (or another thread or parent) is refused (409).
    """
    # 1. load
    services.require_public(thread)
    ctx = context.load(author, thread, Trigger.POST, ip=ip)
    try:
        # 2. check
        text = _check_post(ctx, body, parent)
        # 3. decide
        verdict = pipeline.screen(ctx, text, draft=draft)
    except (CommentError, NudgeRequired):
        if first := _first_posted(author, client_key):  # a retry of a stored post is answered, not refused
            return _replayed(first, thread, body, parent)
        raise
    html, mentioned = services.render(text)
    # 4. write
    try:
        with transaction.atomic():
            comment = _insert(ctx, text, html, parent, verdict.status, client_key)
            # After the insert: a racing retry meets the client_key constraint first, and is replayed
            # rather than counted; over the limit, the insert rolls back.
            pipeline.count_stored(ctx)
            Mention.objects.bulk_create([Mention(comment=comment, user=u) for u in mentioned if u != author])
            comment.moderation = pipeline.record(comment, verdict)
            if comment.is_public:
                adjust_counts(comment, +1)
            if draft is not None:
                draft.settle(comment)
    except IntegrityError:
        if first := _first_posted(author, client_key):  # two retries raced; the other one won
            return _replayed(first, thread, body, parent)
        raise
    # 5. announce
    tasks.after_commit(comment, aftermath.posted(comment, verdict.steps))
    return comment


def _check_post(ctx: context.PostContext, body: str, parent: Comment | None) -> str:
    """Every refusal of a new comment, in the order readers are told; the cleaned text."""
    if refusal := account_refusal(ctx.author.user, ctx.author.may_comment):
        raise refusal
    pipeline.admit(ctx)  # bans and rate limits
    state = ctx.state
    if not state.open:
        raise CommentError("closed", state.reason, status=403)
    if wait := slow_mode_wait(ctx.thread, ctx.user, state, ctx.now):
        raise CommentError("slow_mode", slow_mode_message(state, wait), status=429)
    text = services.clean_body(body)
    if parent is not None and (parent.thread_id != ctx.thread.pk or not parent.is_public):
        raise CommentError("bad_parent", BAD_PARENT, status=409)
    return text


def _insert(
    ctx: context.PostContext, text: str, html: str, parent: Comment | None, status: str, key: str | None
) -> Comment:
    """The comment's row; a reply's sort key holds its own id, so it is set once the id is known."""
    comment = Comment.objects.create(
        thread=ctx.thread,
        author=ctx.user,
        parent=parent,
        root=(parent.root or parent) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        body=text,
        body_html=html,
        status=status,
        client_key=key or None,
    )
    if parent is not None:
        comment.path = services.path_for(comment, parent)
        Comment.objects.filter(pk=comment.pk).update(path=comment.path)
    return comment


def _first_posted(author, client_key: str | None) -> Comment | None:  # type: ignore[no-untyped-def]
    if not client_key:
        return None
    return Comment.objects.filter(author=author, client_key=client_key).select_related("thread").first()


def _replayed(comment: Comment, thread: Thread, body: str, parent: Comment | None) -> Comment:
    """The comment first posted under a client_key, when this request is a retry of that post."""
    first_wording = comment.body
    if comment.edited_at:  # a retry repeats what was posted, not what it became
        first_wording = comment.revisions.order_by("id").values_list("body", flat=True).first() or ""
    retry = (comment.thread_id, comment.parent_id, first_wording) == (
        thread.pk,
        parent.pk if parent else None,
        services.normalised(body),
    )
    if not retry:
        raise CommentError("client_key_reused", KEY_REUSED, status=409)
    comment.replayed = True
    return comment


def edit_comment(
    user, comment: Comment, body: str, ip: str | None = None, draft: Draft | None = None
) -> Comment:
    """Edit within the window, while the thread is open; the earlier wording is kept as a revision.

    The new text goes through moderation.pipeline again: a published comment whose edit is held
    becomes held (rejected: rejected); an edit never publishes a held comment.  `draft`: as for
    post_comment, a new wording that may break the guidelines raises NudgeRequired (nothing is
    saved), and one saved anyway after the warning is held.
    """
    # 1. load
    services.own_comment(user, comment)
    services.require_public(comment.thread)
    ctx = context.load(user, comment.thread, Trigger.EDIT, ip=ip)
    # 2. check
    if comment.is_tombstone or comment.status == Comment.Status.REJECTED:
        raise CommentError("gone", "This comment can no longer be edited.", status=409)
    if not services.within_edit_window(comment):
        minutes = settings.COMMENT_EDIT_WINDOW_SECONDS // 60
        raise CommentError("edit_window", f"Comments can be edited for {minutes} minutes after posting.", 409)
    if not ctx.state.open:
        raise CommentError("closed", ctx.state.reason, status=403)
    text = services.clean_body(body)
    if text == comment.body:
        return comment
    pipeline.admit(ctx)
    # 3. decide
    verdict = pipeline.screen(ctx, text, comment=comment, draft=draft)
    html, mentioned = services.render(text)
    pipeline.count_stored(ctx)
    # 4. write
    with transaction.atomic():
        CommentRevision.objects.create(comment=comment, body=comment.body)
        comment.body, comment.body_html, comment.edited_at = text, html, timezone.now()
        comment.save(update_fields=["body", "body_html", "edited_at"])
        comment.mentions.all().delete()
        Mention.objects.bulk_create([Mention(comment=comment, user=u) for u in mentioned if u != user])
        comment.moderation = pipeline.apply_edit(comment, verdict)
        if draft is not None:
            draft.settle(comment)
    # 5. announce
    tasks.after_commit(comment, aftermath.edited(comment))
    return comment


def delete_own_comment(user, comment: Comment) -> Comment:
    """The author takes a comment down; a tombstone keeps the replies in place."""
    services.own_comment(user, comment)
    if comment.is_tombstone:
        return comment
    with transaction.atomic():
        set_status(comment, Comment.Status.DELETED)
        announce_queue_change()  # it leaves whichever moderation queue it waited in
    return comment
