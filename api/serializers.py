"""Models and selector results as plain data for the response schemas (no queries of their own)."""

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse

from discussions import services
from discussions.models import Comment, Thread
from discussions.selectors import ThreadNode, ThreadPage


@dataclass
class Viewer:
    user: object | None
    reacted_ids: set[int] = field(default_factory=set)

    @property
    def pk(self) -> int | None:
        return getattr(self.user, "pk", None)


def author(user, badge: str = "") -> dict | None:
    if user is None:
        return None
    return {
        "username": user.username,
        "display_name": user.public_name,
        "initials": user.initials,
        "badge": badge,
    }


def comment(request: HttpRequest, c: Comment, viewer: Viewer) -> dict:
    own = viewer.pk is not None and c.author_id == viewer.pk
    # The caller's own comments read back whatever moderation decided (their answer to a post says it).
    readable = c.is_readable_by(viewer.user) or (own and not c.is_tombstone)
    parent = c.parent if c.depth > Comment.MAX_VISUAL_DEPTH else None
    replying_to = parent is not None and parent.author is not None and parent.is_readable_by(viewer.user)
    return {
        "id": c.pk,
        "thread_id": c.thread_id,
        "parent_id": c.parent_id,
        "root_id": c.root_id,
        "depth": c.depth,
        "author": author(c.author, c.author_badge) if readable else None,
        "replying_to": parent.author.username if replying_to and readable else None,  # type: ignore[union-attr]
        "status": c.status,
        "placeholder": "" if readable else c.placeholder,
        "body_html": c.body_html if readable else "",
        "body": c.body if own and readable else None,
        "created_at": c.created_at,
        "edited_at": c.edited_at,
        "reaction_count": c.reaction_count,
        "reply_count": c.reply_count,
        "is_featured": c.is_featured,
        "reacted": c.pk in viewer.reacted_ids,
        "is_own": own,
        "url": request.build_absolute_uri(reverse("discussions:permalink", args=[c.pk]) + f"#c{c.pk}"),
    }


def node(request: HttpRequest, n: ThreadNode, viewer: Viewer) -> dict:
    return {
        **comment(request, n.comment, viewer),
        "replies": [comment(request, r, viewer) for r in n.replies],
        "more_replies": n.more_replies,
        "replies_cursor": n.replies_cursor or None,
    }


def thread(request: HttpRequest, t: Thread) -> dict:
    state = services.commenting_state(t)
    article = t.article if t.article_id else None
    return {
        "id": t.pk,
        "title": article.headline if article is not None else str(t),
        "url": request.build_absolute_uri(t.get_absolute_url()),
        "embed_url": t.url or None,
        "article": None
        if article is None
        else {
            "id": article.pk,
            "slug": article.slug,
            "headline": article.headline,
            "url": request.build_absolute_uri(article.get_absolute_url()),
        },
        "comment_count": t.comment_count,
        "created_at": t.created_at,
        "commenting": {"open": state.open, "reason": state.reason},
    }


def thread_page(request: HttpRequest, page: ThreadPage, viewer: Viewer) -> dict:
    return {
        "thread": thread(request, page.thread),
        "sort": page.sort,
        "featured": [comment(request, c, viewer) for c in page.featured],
        "comments": [node(request, n, viewer) for n in page.nodes],
        "next_cursor": page.next_cursor,
    }
