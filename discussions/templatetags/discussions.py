from django import template

from discussions import services
from discussions.pages import thread_context

register = template.Library()


@register.inclusion_tag("discussions/_discussion.html", takes_context=True)
def discussion_for(context, article):
    """The discussion under an article: first page of the thread, and the comment box."""
    return thread_context(context["request"], services.thread_for_article(article))


@register.inclusion_tag("discussions/_discussion.html", takes_context=True)
def discussion_for_thread(context, thread):
    return thread_context(context["request"], thread)


@register.filter
def visual_depth(comment) -> int:
    return min(comment.depth, comment.MAX_VISUAL_DEPTH)


@register.filter
def readable_by(comment, user) -> bool:
    """`{% if comment|readable_by:user %}`: whether to show its words, or its placeholder."""
    return comment is not None and comment.is_readable_by(user)


@register.filter
def still_editable(comment) -> bool:
    """Whether the comment is still inside its edit window (services.edit_comment refuses after it)."""
    return services.within_edit_window(comment)
