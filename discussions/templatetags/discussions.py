from django import template

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
    standing = services.standing(request.user, thread)
    page = selectors.thread_page(
        thread, request.user, sort=request.GET.get("sort", ""), cursor=request.GET.get("comments_after")
    )
    return {
        "request": request,
        "user": request.user,
        "thread": thread,
        "page": page,
        "state": standing.state,
        "standing": standing,
        "form": CommentForm(),
        "reacted_ids": page.reacted_ids,
        "newest_id": thread.comments.order_by("-id").values_list("id", flat=True).first() or 0,
        "can_feature": request.user.has_perm("discussions.feature_comment"),
        "sorts": [("newest", "Newest"), ("oldest", "Oldest"), ("reacted", "Most respected")],
    }


@register.filter
def visual_depth(comment) -> int:
    return min(comment.depth, comment.MAX_VISUAL_DEPTH)


@register.filter
def readable_by(comment, user) -> bool:
    """`{% if comment|readable_by:user %}`: whether to show its words, or its placeholder."""
    return comment.is_readable_by(user)


@register.filter
def still_editable(comment) -> bool:
    """Whether the comment is still inside its edit window (services.edit_comment refuses after it)."""
    return services.within_edit_window(comment)
