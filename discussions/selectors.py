"""Reading threads in pages.  The first page of a 10,000-comment thread costs what a 10-comment one does.

A page is: up to PAGE_SIZE top-level comments in the chosen order (keyset cursor), the
first REPLIES_PER_ROOT replies of each in reading order (one UNION ALL query of
per-root index range scans), and the reader's own reactions among them.  Further
replies come from `replies_page` with a path cursor ("Show N more replies").
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q, QuerySet

from accounts import roles
from discussions.models import Comment, Reaction, Thread

PAGE_SIZE = 20
REPLIES_PER_ROOT = 3
REPLIES_PAGE_SIZE = 20
FEATURED_LIMIT = 3
SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "reacted": ("-reaction_count", "-id"),
}
DEFAULT_SORT = "newest"
# Replies shown whatever they hold: published ones, and the tombstones of deleted or removed ones.  Any
# other reply is shown only as a placeholder over published replies (reply_count), or to its author.
_SHOWN_REPLY_STATUSES = (Comment.Status.PUBLISHED, Comment.Status.DELETED, Comment.Status.REMOVED)


@dataclass
class ThreadNode:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)
    more_replies: int = 0
    replies_cursor: str = ""


@dataclass
class ThreadPage:
    thread: Thread
    sort: str
    featured: list[Comment]
    nodes: list[ThreadNode]
    next_cursor: str | None
    reacted_ids: set[int]
    cursor: str | None = None  # the one this page starts after (None: the first page)


def with_people(queryset: QuerySet[Comment]) -> QuerySet[Comment]:
    """Comments with their authors, their parents' authors, and the author's role (`author_role`,
    for the badge beside their name: roles.badge_for), in the same query."""
    return queryset.select_related("author", "parent__author").annotate(
        author_role=roles.badge_annotation("author_id")
    )


def _own_pending(user) -> Q:
    """The reader's own comments awaiting review, shown to them in place (Comment.is_readable_by)."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    return Q(author=user, status=Comment.Status.HELD)


def _top_level(thread: Thread, user=None) -> QuerySet[Comment]:
    """Published top-level comments, the placeholders of any others that hold published replies, and
    the reader's own awaiting review."""
    return Comment.objects.filter(thread=thread, depth=0).filter(
        Q(status=Comment.Status.PUBLISHED) | Q(reply_count__gt=0) | _own_pending(user)
    )


def _shown_replies(user=None) -> Q:
    return Q(status__in=_SHOWN_REPLY_STATUSES) | Q(reply_count__gt=0) | _own_pending(user)


def _cursor_of(comment: Comment, sort: str) -> str:
    if sort == "reacted":
        return f"{comment.reaction_count}~{comment.pk}"
    return f"{comment.created_at.isoformat()}~{comment.pk}"


def _after_cursor(queryset: QuerySet[Comment], sort: str, cursor: str | None) -> QuerySet[Comment]:
    if not cursor or "~" not in cursor:
        return queryset
    value, _, pk_text = cursor.rpartition("~")
    if not pk_text.isdigit():
        return queryset
    pk = int(pk_text)
    if sort == "reacted":
        if not value.isdigit():
            return queryset
        count = int(value)
        return queryset.filter(Q(reaction_count__lt=count) | Q(reaction_count=count, id__lt=pk))
    from django.utils.dateparse import parse_datetime

    when = parse_datetime(value.replace(" ", "+"))
    if when is None:
        return queryset
    if sort == "oldest":
        return queryset.filter(Q(created_at__gt=when) | Q(created_at=when, id__gt=pk))
    return queryset.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=pk))


def _first_replies(root_ids: list[int], per_root: int, user=None) -> dict[int, list[Comment]]:
    """The first replies of each root in reading order: one statement, one index range scan per root."""
    if not root_ids:
        return {}
    statuses = ", ".join(["%s"] * len(_SHOWN_REPLY_STATUSES))
    own_id = user.pk if user is not None and user.is_authenticated else None
    # Only placeholders are interpolated; every value is a bound parameter.
    part = (
        "SELECT * FROM (SELECT id, root_id FROM discussions_comment "  # noqa: S608
        f"WHERE root_id = %s AND (status IN ({statuses}) OR reply_count > 0"
        " OR (author_id = %s AND status = %s))"
        " ORDER BY path LIMIT %s) AS first_replies"
    )
    sql = " UNION ALL ".join([part] * len(root_ids))
    params: list[int | str | None] = []
    for root_id in root_ids:
        params += [root_id, *_SHOWN_REPLY_STATUSES, own_id, Comment.Status.HELD, per_root]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        root_of = dict(cursor.fetchall())  # reply id -> its root's id
    grouped: dict[int, list[Comment]] = {root_id: [] for root_id in root_ids}
    for reply in with_people(Comment.objects.filter(pk__in=root_of)).order_by("path"):
        grouped[root_of[reply.pk]].append(reply)
    return grouped


def thread_page(
    thread: Thread,
    user=None,
    sort: str = DEFAULT_SORT,
    cursor: str | None = None,
    size: int = PAGE_SIZE,
    replies_per_root: int = REPLIES_PER_ROOT,
) -> ThreadPage:
    """`size` top-level comments after `cursor`, each with its first `replies_per_root` (at least 1)
    replies, and on the first page the featured comments: the same four queries whatever the page
    size or the thread's size."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    featured = []
    if not cursor:
        featured = list(
            with_people(thread.comments.filter(status=Comment.Status.PUBLISHED, is_featured=True)).order_by(
                "-created_at"
            )[:FEATURED_LIMIT]
        )
    top = _after_cursor(_top_level(thread, user), sort, cursor).order_by(*SORTS[sort])
    roots = list(with_people(top)[: size + 1])
    next_cursor = _cursor_of(roots[size - 1], sort) if len(roots) > size else None
    roots = roots[:size]
    # A root's own reply awaiting review is not in its reply_count: the reader's own pending replies
    # are looked for under every root.
    with_replies = [r.pk for r in roots if r.reply_count or (user is not None and user.is_authenticated)]
    replies = _first_replies(with_replies, replies_per_root + 1, user)
    nodes = []
    for root in roots:
        shown = replies.get(root.pk, [])
        node = ThreadNode(comment=root, replies=shown[:replies_per_root])
        if len(shown) > replies_per_root:
            node.more_replies = max(1, root.reply_count - replies_per_root)
            node.replies_cursor = node.replies[-1].path
        nodes.append(node)
    shown_ids = (
        [c.pk for c in featured] + [n.comment.pk for n in nodes] + [c.pk for n in nodes for c in n.replies]
    )
    return ThreadPage(
        thread=thread,
        sort=sort,
        featured=featured,
        nodes=nodes,
        next_cursor=next_cursor,
        reacted_ids=reacted_ids(user, shown_ids),
        cursor=cursor or None,
    )


def replies_page(
    root: Comment,
    after_path: str = "",
    from_path: str = "",
    size: int = REPLIES_PAGE_SIZE,
    user=None,
) -> tuple[list[Comment], str]:
    """Replies of a root after `after_path` (or from `from_path` on), and the next cursor ('' at the end)."""
    queryset = Comment.objects.filter(root=root).filter(_shown_replies(user))
    if after_path:
        queryset = queryset.filter(path__gt=after_path)
    if from_path:
        queryset = queryset.filter(path__gte=from_path)
    replies = list(with_people(queryset).order_by("path")[: size + 1])
    next_cursor = replies[size - 1].path if len(replies) > size else ""
    return replies[:size], next_cursor


def comment_with_people(comment_id: int) -> Comment:
    """One comment as thread pages load it: with its thread, article, author and author's role."""
    return with_people(Comment.objects.select_related("thread__article")).get(pk=comment_id)


def first_reply_path(root: Comment, user=None) -> str:
    """Where the root's replies start for this reader ("" when it shows none)."""
    shown = Comment.objects.filter(root=root).filter(_shown_replies(user))
    return shown.order_by("path").values_list("path", flat=True).first() or ""


def reacted_ids(user, comment_ids: list[int]) -> set[int]:
    if user is None or not user.is_authenticated or not comment_ids:
        return set()
    return set(
        Reaction.objects.filter(user=user, comment_id__in=comment_ids).values_list("comment_id", flat=True)
    )


def newest_public_id(thread: Thread) -> int:
    """The newest published comment's id (0: none): where a live page starts counting new ones."""
    newest = thread.comments.filter(status=Comment.Status.PUBLISHED).order_by("-id")
    return newest.values_list("id", flat=True).first() or 0


def new_comment_count(thread: Thread, after_id: int) -> int:
    """Published comments posted after the newest one a page has seen (for catching up live pages)."""
    return thread.comments.filter(status=Comment.Status.PUBLISHED, id__gt=after_id).count()
