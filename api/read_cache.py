"""Anonymous reads of a thread's comments through the API, served from the cache.

The API's twin of agora.page_cache: a stranger's `GET /api/v1/threads/{id}/comments` and
`GET /api/v1/comments/{id}/replies` are the same bytes for everyone until the thread
changes, so the whole response is kept, keyed by the site generation (articles, sections,
site-wide commenting status) and the thread's own generation, which discussions.events
bumps after every comment, edit, status change or reaction, and discussions.commenting
after a change of the thread's commenting status.  A stale entry can never be served
after such a change; only what changes with the clock alone (auto-close after N days) may
lag, by at most PAGE_CACHE_SECONDS, as on the cached article pages.

Only requests with no Authorization header and no session cookie are cached: a reader
who may be logged in gets their own reactions, so their response is always built afresh.
PAGE_CACHE_SECONDS=0 turns this cache off with the page cache.
"""

import re
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from agora.page_cache import SITE_SCOPE, current_generations, keep_query, request_digest, serve_cached

THREAD_COMMENTS = re.compile(r"^/api/v1/threads/(\d+)/comments$")
COMMENT_REPLIES = re.compile(r"^/api/v1/comments/(\d+)/replies$")
# The query parameters each cached read takes (api.views); any other is dropped before keying.
THREAD_COMMENTS_QUERY = ("sort", "cursor", "limit", "replies")
COMMENT_REPLIES_QUERY = ("cursor", "limit")


def thread_scope(thread_id: int) -> str:
    """The generation scope of one thread's API reads (bumped by discussions.events)."""
    return f"api-thread:{thread_id}"


def _thread_of_comment(comment_id: int) -> int | None:
    """The thread a comment belongs to; a comment never moves, so the answer is kept for good."""
    from discussions.models import Comment

    key = f"api:comment-thread:{comment_id}"
    thread_id = cache.get(key)
    if thread_id is None:
        thread_id = Comment.objects.filter(pk=comment_id).values_list("thread_id", flat=True).first()
        if thread_id is None:
            return None
        cache.set(key, thread_id, timeout=None)
    return int(thread_id)


def _thread_of(path: str) -> tuple[int | None, tuple[str, ...]]:
    """The thread a cacheable read is about (None: not one), and the query parameters it takes."""
    if match := THREAD_COMMENTS.match(path):
        return int(match.group(1)), THREAD_COMMENTS_QUERY
    if match := COMMENT_REPLIES.match(path):
        return _thread_of_comment(int(match.group(1))), COMMENT_REPLIES_QUERY
    return None, ()


def _cache_key(request: HttpRequest) -> str | None:
    """The key of a cacheable anonymous read, or None when this request must be built afresh.

    A cacheable read's query is reduced to the parameters it takes first (keep_query)."""
    if (
        settings.PAGE_CACHE_SECONDS <= 0
        or request.method != "GET"
        or "Authorization" in request.headers
        or settings.SESSION_COOKIE_NAME in request.COOKIES
    ):
        return None
    thread_id, query = _thread_of(request.path_info)
    if thread_id is None:
        return None
    keep_query(request, query)
    site, thread = current_generations(SITE_SCOPE, thread_scope(thread_id))
    return f"api:read:{site}.{thread}:{request_digest(request)}"


def serve(request: HttpRequest, get_response: Callable[[HttpRequest], HttpResponse]) -> HttpResponse:
    """The cached response for a cacheable read, else the view's, stored when it is a plain 200."""
    key = _cache_key(request)
    if key is None:
        return get_response(request)
    return serve_cached(key, "X-Api-Cache", lambda: get_response(request))
