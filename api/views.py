"""Endpoints.  Each one finds its objects, calls discussions.services / selectors, and shapes the answer.

Every rule about what may be posted, edited, reacted to or featured lives in
discussions.services; a refusal there (CommentError) becomes the error response as is.
Writes run in one transaction, so a refused request leaves nothing behind.
"""

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse
from ninja import Query, Router, Status

from agora.prepared import Prepared
from agora.ratelimit import client_ip
from agora.requests import ApiRequest
from api import serializers
from api.auth import WRITE_AUTH, viewer
from api.errors import ApiError
from api.schemas import (
    CheckOut,
    CommentEditIn,
    CommentIn,
    CommentOut,
    CsrfOut,
    DraftIn,
    MeOut,
    RepliesOut,
    Sort,
    ThreadListOut,
    ThreadOut,
    ThreadPageOut,
    errors,
)
from api.serializers import Viewer
from articles.models import Article
from discussions import selectors, services
from discussions.models import Comment, Thread
from moderation import nudge, pipeline
from moderation import services as moderation_services
from posting import actions

router = Router()

THREADS_PAGE_MAX = 100
COMMENTS_PAGE_MAX = 100  # top-level comments a page, and replies a page
READ_ERRORS = errors(400, 401, 404, 422, 429)  # 400: agora.middleware.input
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 422, 429)


# --- Finding things ----------------------------------------------------------------------------------


def visible_threads():
    """Threads of published articles, and embedded-story threads (they have no article)."""
    return Thread.objects.filter(Q(article__isnull=True) | Q(article__in=Article.objects.published()))


# Every post looks its thread up: compiled once (agora.prepared).
_thread_with_article = Prepared(lambda pk: Thread.objects.select_related("article").filter(pk=pk)[:1], int)


def thread_by_id(thread_id: int) -> Thread:
    """The thread, if readers may see it: an embedded story's, or a published article's."""
    found = _thread_with_article.first(thread_id)
    if found is None or (found.article is not None and not found.article.is_published):
        raise ApiError(404, "thread_not_found", f"There is no thread {thread_id}.")
    return found


def thread_by_slug(slug: str) -> Thread:
    article = Article.objects.published().filter(slug=slug).first()
    if article is None:
        raise ApiError(404, "article_not_found", f"There is no published article {slug!r}.")
    return services.thread_for_article(article)


def comment_by_id(comment_id: int, user) -> Comment:
    """A comment the thread shows (published, a tombstone, or the placeholder of one that holds
    published replies), or one of the caller's own."""
    found = (
        selectors.with_people(Comment.objects.select_related("thread__article"))
        .filter(pk=comment_id, thread__in=visible_threads())
        .first()
    )
    own = found is not None and user is not None and found.author_id == user.pk
    if found is None or not (found.is_public or found.is_tombstone or found.reply_count or own):
        raise ApiError(404, "comment_not_found", f"There is no comment {comment_id}.")
    return found


def parent_by_id(parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = Comment.objects.filter(pk=parent_id).first()
    if parent is None:
        raise ApiError(404, "parent_not_found", "The comment you are replying to does not exist.")
    return parent


def one(request: HttpRequest, comment: Comment, user, reacted: bool | None = None) -> dict:
    if reacted is None:
        reacted = bool(selectors.reacted_ids(user, [comment.pk]))
    return serializers.comment(request, comment, Viewer(user, {comment.pk} if reacted else set()))


# --- Session helpers ---------------------------------------------------------------------------------


@router.get("/csrf", response={200: CsrfOut}, tags=["auth"], summary="A CSRF token for session writes")
def csrf(request: HttpRequest):
    """Sets the csrftoken cookie and returns its value, to send back as the X-CSRFToken header."""
    return {"csrf_token": get_token(request)}


@router.get("/me", response={200: MeOut, **errors(401, 429)}, tags=["auth"], summary="The caller")
def me(request: HttpRequest):
    user = viewer(request)
    if user is None:
        raise ApiError(401, "not_authenticated", "Nobody is logged in.", {"WWW-Authenticate": "Bearer"})
    return {
        "username": user.username,
        "display_name": user.public_name,
        "initials": user.initials,
        "email_verified": bool(user.email_verified_at),
        "can_feature": user.has_perm("discussions.feature_comment"),
        "auth": "token" if getattr(request, "api_token", None) else "session",
    }


# --- Threads -------------------------------------------------------------------------------------------


@router.get(
    "/threads", response={200: ThreadListOut, **READ_ERRORS}, tags=["threads"], summary="List threads"
)
def list_threads(
    request: HttpRequest,
    cursor: str | None = Query(None, pattern=r"^\d+$", description="next_cursor of the previous page"),
    limit: int = Query(20, ge=1, le=THREADS_PAGE_MAX),
):
    """Newest threads first."""
    queryset = visible_threads().select_related("article").order_by("-id")
    if cursor:
        queryset = queryset.filter(id__lt=int(cursor))
    threads = list(queryset[: limit + 1])
    next_cursor = str(threads[limit - 1].pk) if len(threads) > limit else None
    return {"threads": [serializers.thread(request, t) for t in threads[:limit]], "next_cursor": next_cursor}


@router.get("/threads/{thread_id}", response={200: ThreadOut, **READ_ERRORS}, tags=["threads"])
def get_thread(request: HttpRequest, thread_id: int):
    return serializers.thread(request, thread_by_id(thread_id))


@router.get("/articles/{slug}/thread", response={200: ThreadOut, **READ_ERRORS}, tags=["threads"])
def get_article_thread(request: HttpRequest, slug: str):
    return serializers.thread(request, thread_by_slug(slug))


def _thread_page(
    request: HttpRequest, thread: Thread, sort: str, cursor: str | None, limit: int, replies: int
) -> dict:
    user = viewer(request)
    page = selectors.thread_page(thread, user, sort=sort, cursor=cursor, size=limit, replies_per_root=replies)
    return serializers.thread_page(request, page, Viewer(user, page.reacted_ids))


SORT_QUERY = Query("newest", description="newest, oldest or reacted (most respected)")
CURSOR_QUERY = Query(None, pattern=selectors.CURSOR, description="next_cursor of the previous page")
PAGE_QUERY = Query(
    selectors.PAGE_SIZE,
    ge=1,
    le=COMMENTS_PAGE_MAX,
    description=f"top-level comments a page (at most {COMMENTS_PAGE_MAX}), each with its first replies",
)
REPLIES_QUERY = Query(
    selectors.REPLIES_PER_ROOT,
    ge=1,
    le=COMMENTS_PAGE_MAX,
    description="replies shown under each top-level comment; the rest through replies_cursor",
)


@router.get(
    "/threads/{thread_id}/comments",
    response={200: ThreadPageOut, **READ_ERRORS},
    tags=["comments"],
    summary="A page of a thread's comments",
)
def list_comments(
    request: HttpRequest,
    thread_id: int,
    sort: Sort = SORT_QUERY,
    cursor: str | None = CURSOR_QUERY,
    limit: int = PAGE_QUERY,
    replies: int = REPLIES_QUERY,
):
    """Top-level comments (20 a page unless `limit` says) with their first replies (3 unless `replies`
    says); tombstones keep their replies in place."""
    return _thread_page(request, thread_by_id(thread_id), sort, cursor, limit, replies)


@router.get(
    "/articles/{slug}/thread/comments",
    response={200: ThreadPageOut, **READ_ERRORS},
    tags=["comments"],
    summary="A page of an article's comments",
)
def list_article_comments(
    request: HttpRequest,
    slug: str,
    sort: Sort = SORT_QUERY,
    cursor: str | None = CURSOR_QUERY,
    limit: int = PAGE_QUERY,
    replies: int = REPLIES_QUERY,
):
    return _thread_page(request, thread_by_slug(slug), sort, cursor, limit, replies)


def _post(request: ApiRequest, thread: Thread, data: CommentIn):
    user = request.auth
    # Clients that check drafts first answer a nudge with its id: the draft is posted anyway (held).
    draft = nudge.Draft(data.nudge_id, post_anyway=True) if data.nudge_id is not None else None
    comment = actions.post_comment(
        user,
        thread,
        data.body,
        parent_by_id(data.parent_id),
        data.client_key,
        ip=client_ip(request),
        draft=draft,
    )
    if comment.replayed:
        return Status(200, one(request, comment, user))
    return Status(201, one(request, comment, user, reacted=False))


def _check(request: ApiRequest, thread: Thread, data: DraftIn) -> dict:
    pipeline.count_check(request.auth)  # the generous cap on checks: CommentError (429) over it
    warning = nudge.decide_nudge(thread, data.body)
    if warning is None:
        return {"nudge": None}
    previous = nudge.pending_nudge(request.auth, thread, data.nudge_id)
    row = nudge.warn(request.auth, thread, warning, previous)
    guidelines = request.build_absolute_uri(reverse("guidelines"))
    return {"nudge": {**nudge.as_dict(row), "guidelines_url": guidelines}}


CHECK_DOC = """\
Before posting: `{"nudge": null}` means post the draft as it is.  Otherwise show `message` (with
a link to `guidelines_url`) and let the author edit the draft; check it again with `nudge_id`, or
post it with `nudge_id` to go ahead anyway: it is then held for a moderator.  Writes only the
warning (never the text).  Clients that do not check post exactly as before.
"""


@router.post(
    "/threads/{thread_id}/comments/check",
    auth=WRITE_AUTH,
    response={200: CheckOut, **WRITE_ERRORS},
    tags=["comments"],
    summary="Check a draft for a nudge before posting it",
    description=CHECK_DOC,
)
def check_comment(request: ApiRequest, thread_id: int, data: DraftIn):
    return _check(request, thread_by_id(thread_id), data)


@router.post(
    "/articles/{slug}/thread/comments/check",
    auth=WRITE_AUTH,
    response={200: CheckOut, **WRITE_ERRORS},
    tags=["comments"],
    summary="Check a draft for a nudge before posting it under an article",
    description=CHECK_DOC,
)
def check_article_comment(request: ApiRequest, slug: str, data: DraftIn):
    return _check(request, thread_by_slug(slug), data)


@router.post(
    "/threads/{thread_id}/comments",
    auth=WRITE_AUTH,
    response={201: CommentOut, 200: CommentOut, **WRITE_ERRORS},
    tags=["comments"],
    summary="Post a comment or a reply",
)
def post_comment(request: ApiRequest, thread_id: int, data: CommentIn):
    """201 with the new comment; 200 with the first one when `client_key` was already used.

    Not wrapped in a transaction of its own: posting.actions.post_comment writes in one, after every
    check, so the database's write lock is held only while the comment is stored.
    """
    return _post(request, thread_by_id(thread_id), data)


@router.post(
    "/articles/{slug}/thread/comments",
    auth=WRITE_AUTH,
    response={201: CommentOut, 200: CommentOut, **WRITE_ERRORS},
    tags=["comments"],
    summary="Post a comment or a reply under an article",
)
def post_article_comment(request: ApiRequest, slug: str, data: CommentIn):
    with transaction.atomic():  # the article's thread, created on its first comment, goes with a refusal
        return _post(request, thread_by_slug(slug), data)


# --- Comments ------------------------------------------------------------------------------------------


@router.get("/comments/{comment_id}", response={200: CommentOut, **READ_ERRORS}, tags=["comments"])
def get_comment(request: HttpRequest, comment_id: int):
    user = viewer(request)
    return one(request, comment_by_id(comment_id, user), user)


@router.get(
    "/comments/{comment_id}/replies",
    response={200: RepliesOut, **errors(400, 401, 404, 422, 429)},
    tags=["comments"],
    summary="More replies of a top-level comment",
)
def list_replies(
    request: HttpRequest,
    comment_id: int,
    cursor: str | None = Query(None, max_length=100, description="replies_cursor or next_cursor"),
    limit: int = Query(selectors.REPLIES_PAGE_SIZE, ge=1, le=COMMENTS_PAGE_MAX, description="replies a page"),
):
    """Replies in reading order, 20 a page unless `limit` says, after the cursor."""
    user = viewer(request)
    root = comment_by_id(comment_id, user)
    if root.depth:
        raise ApiError(400, "not_root", f"Replies are listed under the top-level comment {root.root_id}.")
    replies, next_cursor = selectors.replies_page(root, after_path=cursor or "", size=limit, user=user)
    people = Viewer(user, selectors.reacted_ids(user, [r.pk for r in replies]))
    return {
        "root_id": root.pk,
        "replies": [serializers.comment(request, r, people) for r in replies],
        "next_cursor": next_cursor or None,
    }


@router.patch(
    "/comments/{comment_id}",
    auth=WRITE_AUTH,
    response={200: CommentOut, **WRITE_ERRORS},
    tags=["comments"],
    summary="Edit your comment",
)
def edit_comment(request: ApiRequest, comment_id: int, data: CommentEditIn):
    """Within the edit window after posting; the earlier wording is kept for moderators.

    Clients that show nudges check the new wording with POST …/comments/check first, and answer a
    nudge with its `nudge_id` here, as when posting."""
    draft = nudge.Draft(data.nudge_id, post_anyway=True) if data.nudge_id is not None else None
    with transaction.atomic():
        comment = comment_by_id(comment_id, request.auth)
        comment = actions.edit_comment(request.auth, comment, data.body, ip=client_ip(request), draft=draft)
        return one(request, comment, request.auth)


@router.delete(
    "/comments/{comment_id}",
    auth=WRITE_AUTH,
    response={200: CommentOut, **WRITE_ERRORS},
    tags=["comments"],
    summary="Delete your comment",
)
def delete_comment(request: ApiRequest, comment_id: int):
    """Leaves a tombstone (status "deleted") so replies stay in place; deleting twice is harmless."""
    with transaction.atomic():
        comment = actions.delete_own_comment(request.auth, comment_by_id(comment_id, request.auth))
        return one(request, comment, request.auth)


@router.post(
    "/comments/{comment_id}/reaction",
    auth=WRITE_AUTH,
    response={201: CommentOut, **WRITE_ERRORS},
    tags=["reactions"],
    summary="Show respect for a comment",
)
def react(request: ApiRequest, comment_id: int):
    """One per reader per comment: a second one is a 409 (already_reacted)."""
    with transaction.atomic():
        comment = services.react(request.auth, comment_by_id(comment_id, request.auth))
        return Status(201, one(request, comment, request.auth, reacted=True))


@router.delete(
    "/comments/{comment_id}/reaction",
    auth=WRITE_AUTH,
    response={200: CommentOut, **WRITE_ERRORS},
    tags=["reactions"],
    summary="Take your respect back",
)
def unreact(request: ApiRequest, comment_id: int):
    with transaction.atomic():
        comment = services.unreact(request.auth, comment_by_id(comment_id, request.auth))
        return one(request, comment, request.auth, reacted=False)


def _feature(request: ApiRequest, comment_id: int, featured: bool) -> dict:
    with transaction.atomic():
        comment = comment_by_id(comment_id, request.auth)
        comment = moderation_services.set_featured(request.auth, comment, featured)
        return one(request, comment, request.auth)


@router.put(
    "/comments/{comment_id}/featured",
    auth=WRITE_AUTH,
    response={200: CommentOut, **WRITE_ERRORS},
    tags=["moderation"],
    summary="Feature a comment (editors)",
)
def feature(request: ApiRequest, comment_id: int):
    """Needs the discussions.feature_comment permission (403 otherwise)."""
    return _feature(request, comment_id, True)


@router.delete(
    "/comments/{comment_id}/featured",
    auth=WRITE_AUTH,
    response={200: CommentOut, **WRITE_ERRORS},
    tags=["moderation"],
    summary="Stop featuring a comment (editors)",
)
def unfeature(request: ApiRequest, comment_id: int):
    return _feature(request, comment_id, False)
