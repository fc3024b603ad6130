"""A comment's status and the published counts that follow it: the one status change every layer uses
(readers deleting, moderators reviewing, an edit the checks hold), kept below all of them."""

from django.db import transaction
from django.db.models import F

from agora.prepared import PreparedUpdate
from discussions import events
from discussions.models import Comment, Thread

# Every published post counts into its thread: compiled once (agora.prepared).
_count_into_thread = PreparedUpdate(
    lambda thread_id, delta: (
        Thread.objects.filter(pk=thread_id),
        {"comment_count": F("comment_count") + delta},
    ),
    int,
    int,
)


def adjust_counts(comment: Comment, delta: int) -> None:
    """The thread's published comments, and the published replies of every comment above this one."""
    _count_into_thread.run(comment.thread_id, delta)
    if ancestors := comment.ancestor_ids:
        Comment.objects.filter(pk__in=ancestors).update(reply_count=F("reply_count") + delta)


def set_status(comment: Comment, status: str) -> Comment:
    """Move a comment through its lifecycle, keeping the published counts right."""
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        was_public = locked.is_public
        locked.status = status
        locked.save(update_fields=["status"])
        if was_public != locked.is_public:
            adjust_counts(locked, +1 if locked.is_public else -1)
    comment.status = status
    if comment.is_public and not was_public:
        transaction.on_commit(lambda: events.comment_published(comment))
    else:
        transaction.on_commit(lambda: events.comment_changed(comment))
    return comment
