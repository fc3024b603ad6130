"""Whole-page caching for anonymous readers, invalidated by generations.

Every cached page key embeds the current site *generation*, a counter kept in the
cache.  Any change to published content (an article, its body, a section, a topic)
bumps it, so every page that might show that content — the article, the home page,
listings, feeds, related-article boxes — misses on the next request and is rendered
afresh.  Stale entries simply age out.  This is deliberately coarse: editorial
changes are rare next to reads, and a coarse rule cannot forget a dependent page.

Pages with a discussion add a finer *scope* generation (one per thread), so a new
comment re-renders only its own article page, not the whole site.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, QueryDict

from agora.cache import CacheUnavailable

SITE_SCOPE = "site"


def _generation_key(scope: str) -> str:
    return f"page-cache:generation:{scope}"


def _fresh_generation() -> int:
    """A generation no earlier page can carry: a cache may evict a generation key (diskcache past its
    size limit, Redis under memory pressure), and restarting it at 1 could bring back pages cached
    under 1 long ago.  Microseconds since the epoch only grow, and bumps add 1 at a time."""
    return time.time_ns() // 1000


def current_generation(scope: str = SITE_SCOPE) -> int:
    return current_generations(scope)[0]


def current_generations(*scopes: str) -> list[int]:
    """The generations of `scopes`, read together (one round trip to Redis)."""
    if _missed_bumps:
        _make_missed_bumps()
    keys = [_generation_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    return [int(found[key]) if key in found else _start_generation(key) for key in keys]


def _start_generation(key: str) -> int:
    cache.add(key, _fresh_generation(), timeout=None)
    generation = cache.get(key)  # another process's, if it started the count first
    return int(generation) if generation is not None else _fresh_generation()


def bump_generation(scope: str = SITE_SCOPE) -> None:
    """Invalidate every cached page (or, with a scope, every page that declared it).

    While the shared cache is unreachable the bump is remembered in this process and made on its
    next page once the cache answers, so pages cached before an outage do not outlive it.
    """
    try:
        _bump(scope)
    except CacheUnavailable:
        _missed_bumps.add(scope)


def _bump(scope: str) -> None:
    try:
        cache.incr(_generation_key(scope))
    except ValueError:  # the key is missing (first write, or evicted)
        cache.set(_generation_key(scope), _fresh_generation(), timeout=None)


def keep_query(request: HttpRequest, params: Collection[str]) -> None:
    """Reduce the request's query to `params`, in a fixed order, before it is keyed and answered.

    Anything else (utm_source, a cache buster) cannot change the page, so it must not make a key of
    its own; and the view only sees what the key names, so a cached page can never depend on more.
    """
    kept = [(name, value) for name in sorted(params) for value in request.GET.getlist(name)]
    request.GET = QueryDict(urlencode(kept), encoding=request.encoding)


def request_digest(request: HttpRequest) -> str:
    """What a cached response is keyed on: scheme, host, path and query (request.GET).

    The host and scheme are part of it because pages hold absolute URLs built from the request
    (canonical links, sitemaps, feeds, the API's `url` fields): an entry stored through one allowed
    host must never answer a request for another.
    """
    address = f"{request.scheme}://{request.get_host()}{request.path}?{request.GET.urlencode()}"
    return hashlib.sha256(address.encode()).hexdigest()


_missed_bumps: set[str] = set()


def _make_missed_bumps() -> None:
    for scope in list(_missed_bumps):
        try:
            _bump(scope)
        except CacheUnavailable:
            return
        _missed_bumps.discard(scope)


class _LocalCopies:
    """The most recently served pages, in this process, in front of the shared cache.

    A page's key names the generations it was built under, so what is stored under a key never
    changes: a copy is as good as the shared entry until the moment that entry expires (kept with
    it).  Saves a round trip and the transfer of the page on every hit.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[float, bytes, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, content, content_type = entry
            if time.time() >= expires:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return content, content_type

    def put(self, key: str, content: bytes, content_type: str, expires: float) -> None:
        """Keep a copy until `expires` (a time.time() value)."""
        if len(content) > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (expires, content, content_type)
            self._bytes += len(content)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        _, content, _ = self._entries.pop(key)
        self._bytes -= len(content)


_local_copies = _LocalCopies(max_bytes=32 * 2**20)
# What a shared entry holds: (content, content type, expiry).  Part of every key, so that entries an
# earlier release stored in another shape (Redis outlives deploys) are never read; change it with them.
ENTRY_FORMAT = "e2"


def serve_cached(key: str, header: str, build: Callable[[], HttpResponse]) -> HttpResponse:
    """The response stored under `key`, else `build()`'s, stored when it is a plain 200.

    `header` (X-Page-Cache, X-Api-Cache) says "hit" or "miss", for benchmarks and tests.
    """
    key = f"{key}:{ENTRY_FORMAT}"
    cached = _local_copies.get(key)
    if cached is None and (shared := cache.get(key)) is not None:
        content, content_type, expires = shared  # stored by any process, with its expiry
        _local_copies.put(key, content, content_type, expires)
        cached = content, content_type
    if cached is not None:
        response = HttpResponse(cached[0], content_type=cached[1])
        response[header] = "hit"
        return response
    response = build()
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    if response.status_code == 200 and not response.cookies and not response.streaming:
        stored = (response.content, response["Content-Type"], time.time() + settings.PAGE_CACHE_SECONDS)
        cache.set(key, stored, settings.PAGE_CACHE_SECONDS)
        _local_copies.put(key, *stored)
        response[header] = "miss"
    return response


def _cacheable(request: HttpRequest) -> bool:
    """Anonymous GETs only, and not at all when PAGE_CACHE_SECONDS is 0 (the benchmark's baseline)."""
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
    )


ScopeFunction = Callable[..., str | None]


def cache_public_page(
    view: Callable[..., HttpResponse] | None = None,
    *,
    scope: ScopeFunction | None = None,
    query: Collection[str] = (),
):
    """Serve anonymous GETs of `view` from the cache; logged-in users always get a fresh page.

    `scope(**view_kwargs)` may name a finer generation the page also depends on.  `query`: the
    query parameters the page reads; the others are dropped (keep_query) before it is keyed.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not _cacheable(request):
                return view(request, *args, **kwargs)
            keep_query(request, query)
            extra_scope = scope(**kwargs) if scope else None
            generations = current_generations(SITE_SCOPE, *([extra_scope] if extra_scope else []))
            key = f"page:{'.'.join(map(str, generations))}:{request_digest(request)}"
            return serve_cached(key, "X-Page-Cache", lambda: view(request, *args, **kwargs))

        return wrapped

    return decorate(view) if view is not None else decorate
