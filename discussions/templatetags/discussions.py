from django import template

from accounts.selectors import muted_ids
from discussions import selectors, services
from discussions.forms import CommentForm

register = template.Library()


@register.inclusion_tag("discussions/_discussion.html", takes_context=True)
def discussion_for(context, article):
    """The discussion under an article: first page of the thread, and the comment box."""
    return thread_context(context["request"], services.thread_for_article(article))


@register.inclusion_tag("discussions/_discussion.html", takes_context=True)
def discussion_for_thread(context, thread):
    return thread_context(context["request"], thread)


def thread_context(request, thread) -> dict:
    page = selectors.thread_page(
        thread, request.user, sort=request.GET.get("sort", ""), cursor=request.GET.get("comments_after")
    )
    return {
        "request": request,
        "user": request.user,
        "thread": thread,
        "page": page,
        "state": services.commenting_state(thread),
        "form": CommentForm(),
        "reacted_ids": page.reacted_ids,
        "muted_ids": muted_ids(request.user),  # their comments fold away for this reader
        "newest_id": thread.comments.order_by("-id").values_list("id", flat=True).first() or 0,
        "can_feature": request.user.has_perm("discussions.feature_comment"),
        "sorts": [("newest", "Newest"), ("oldest", "Oldest"), ("reacted", "Most respected")],
    }


@register.filter
def visual_depth(comment) -> int:
    return min(comment.depth, comment.MAX_VISUAL_DEPTH)
