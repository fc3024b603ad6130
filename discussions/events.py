"""What changes when a thread changes (run after the transaction commits).

Open pages are told through the live broker, and the cached copy of the thread's page
is invalidated through its page-cache scope, and its cached API reads through theirs
(api.read_cache), so the next anonymous reader sees it too.
"""

from agora.page_cache import bump_generation
from api.read_cache import thread_scope
from articles.views import article_page_scope
from discussions import notices
from discussions.live import broker
from discussions.models import Comment, Thread


def thread_channel(thread_id: int) -> str:
    return f"thread:{thread_id}"


def thread_page_scope(comment: Comment) -> str | None:
    """The page-cache scope of the article page showing the comment's thread (none when embedded).

    No query when whoever changed the comment loaded its thread and article (the services do);
    one otherwise (a comment built from its ids alone, as erasure does).
    """
    if Comment.thread.is_cached(comment):
        thread = comment.thread
        slug = thread.article.slug if thread.article is not None else None
    else:
        slug = Thread.objects.filter(pk=comment.thread_id).values_list("article__slug", flat=True).first()
    return article_page_scope(slug) if slug else None


def refresh_pages(comment: Comment) -> None:
    """Invalidate the cached pages showing the comment's thread, and its cached API reads."""
    scope = thread_page_scope(comment)
    if scope:
        bump_generation(scope)
    bump_generation(thread_scope(comment.thread_id))


def _changed(comment: Comment, event: dict) -> None:
    """Refresh the cached pages showing the thread; tell its open pages unless the comment is out of view.

    The thread's channel is public: events about a held or rejected comment would tell anyone that
    it exists (and what moderation made of it), so they are never sent.  Its cached pages are still
    refreshed, for a comment that was public a moment ago.
    """
    refresh_pages(comment)
    if comment.is_public or comment.is_tombstone:
        broker().publish(thread_channel(comment.thread_id), event)


def comment_published(comment: Comment) -> None:
    if comment.is_public:
        _changed(
            comment,
            {"type": "comment", "id": comment.pk, "parent": comment.parent_id, "root": comment.root_id},
        )
        notices.comment_published(comment)


def comment_changed(comment: Comment) -> None:
    _changed(comment, {"type": "changed", "id": comment.pk, "status": comment.status})


def reaction_changed(comment: Comment) -> None:
    _changed(comment, {"type": "reaction", "id": comment.pk, "count": comment.reaction_count})
