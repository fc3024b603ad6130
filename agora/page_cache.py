"""Whole-page caching for anonymous readers, invalidated by a content generation.

Every cached page key embeds the current *generation*, a counter kept in the
cache.  Any change to published content (an article, its body, a section, a
topic) bumps the generation, so every page that might show that content — the
article, the home page, listings, feeds, related-article boxes — misses on the
next request and is rendered afresh.  Stale entries simply age out.

This is deliberately coarse: editorial changes are rare next to reads, and a
coarse rule is one that cannot forget a dependent page.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

GENERATION_KEY = "page-cache:generation"


def current_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        generation = cache.get(GENERATION_KEY, 1)
    return int(generation)


def bump_generation() -> None:
    """Invalidate every cached page."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # the key is missing (first write, or evicted)
        cache.set(GENERATION_KEY, 2, timeout=None)


def _cacheable(request: HttpRequest) -> bool:
    """Anonymous GETs only, and not at all when PAGE_CACHE_SECONDS is 0 (the benchmark's baseline)."""
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
    )


def cache_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve anonymous GETs of `view` from the cache; logged-in users always get a fresh page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        path_digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
        key = f"page:{current_generation()}:{path_digest}"
        cached = cache.get(key)
        if cached is not None:
            content, content_type = cached
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code == 200 and not response.cookies and not response.streaming:
            cache.set(key, (response.content, response["Content-Type"]), settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    return wrapped
