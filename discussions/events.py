"""What changes when a thread changes (run after the transaction commits).

Open pages are told through the live broker, and the cached copy of the thread's page
is invalidated through its page-cache scope, and its cached API reads through theirs
(api.read_cache), so the next anonymous reader sees it too.
"""

from agora.page_cache import bump_generation
from api.read_cache import thread_scope
from articles.views import article_page_scope
from discussions.live import broker
from discussions.models import Comment, Thread


def thread_channel(thread_id: int) -> str:
    return f"thread:{thread_id}"


def thread_page_scope(thread_id: int) -> str | None:
    slug = Thread.objects.filter(pk=thread_id).values_list("article__slug", flat=True).first()
    return article_page_scope(slug) if slug else None


def _changed(thread_id: int, event: dict) -> None:
    scope = thread_page_scope(thread_id)
    if scope:
        bump_generation(scope)
    bump_generation(thread_scope(thread_id))
    broker().publish(thread_channel(thread_id), event)


def comment_published(comment: Comment) -> None:
    if comment.is_public:
        _changed(
            comment.thread_id,
            {"type": "comment", "id": comment.pk, "parent": comment.parent_id, "root": comment.root_id},
        )


def comment_changed(comment: Comment) -> None:
    _changed(comment.thread_id, {"type": "changed", "id": comment.pk, "status": comment.status})


def reaction_changed(comment: Comment) -> None:
    _changed(comment.thread_id, {"type": "reaction", "id": comment.pk, "count": comment.reaction_count})
