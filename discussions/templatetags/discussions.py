from datetime import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

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
        "newest_id": thread.comments.order_by("-id").values_list("id", flat=True).first() or 0,
        "can_feature": request.user.has_perm("discussions.feature_comment"),
        "sorts": [("newest", "Newest"), ("oldest", "Oldest"), ("reacted", "Most respected")],
    }


@register.filter
def visual_depth(comment) -> int:
    return min(comment.depth, comment.MAX_VISUAL_DEPTH)


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
