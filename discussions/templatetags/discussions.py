from datetime import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

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
    """Whether the comment is still inside its edit window (posting.actions.edit_comment refuses after it)."""
    return services.within_edit_window(comment)


@register.simple_tag
def posted_at(moment: datetime) -> SafeString:
    """When a comment was posted, as any cached copy of the page can still truthfully say it: the date,
    time and zone (the title spells it out), which static/js/enhancements.js rewrites in the reader's
    browser as "3 minutes ago", and keeps up to date."""
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}" data-relative>{}</time>',
        local.isoformat(timespec="seconds"),
        dateformat.format(local, "l j F Y, H:i T"),
        dateformat.format(local, "j M Y, H:i T"),
    )
