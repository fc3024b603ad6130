"""Following things, the "For you" page, what a reader follows, and author and agency pages.

Following works as a plain form post (with CSRF); htmx swaps the button in place.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from agora import ratelimit
from agora.page_cache import cache_public_page
from agora.requests import HtmxRequest, SignedInRequest
from interests import selectors, services
from interests.followables import Kind


def _next_url(request: HtmxRequest, fallback: str) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return fallback


@login_required
@require_POST
def follow(request: SignedInRequest) -> HttpResponse:
    """Follow (or with `undo`, stop following) what the form names: kind and target."""
    item = selectors.followable_from_form(request.POST.get("kind", ""), request.POST.get("target", ""))
    if item is None:
        raise Http404("There is nothing like that to follow.")
    verdict = ratelimit.hit("follow", str(request.user.pk), settings.FOLLOW_RATE_PER_HOUR, 3600)
    if not verdict.allowed:
        text = (
            f"You have followed and unfollowed a lot in the last hour; try again in {verdict.retry_after} s."
        )
        if request.htmx:
            return HttpResponse(text, status=429)
        messages.error(request, text)
        return redirect(_next_url(request, item.url or "/"))
    following = not request.POST.get("undo")
    if following:
        services.follow(request.user, item)
    else:
        services.unfollow(request.user, item.key)
    if request.htmx:
        context = {
            "request": request,
            "item": item,
            "following": following,
            "compact": bool(request.POST.get("compact")),
            "next": _next_url(request, item.url),
            # a topic page's follower count, swapped out of band where the page shows one
            "oob_followers": selectors.follower_count(item.key) if item.kind == Kind.TOPIC else None,
        }
        return render(request, "interests/_follow.html", context)
    messages.success(
        request, f"You follow {item.label}." if following else f"You no longer follow {item.label}."
    )
    return redirect(_next_url(request, item.url or "/"))


@cache_public_page
def for_you(request: HtmxRequest) -> HttpResponse:
    """Articles ranked by what the reader follows; the most discussed ones for a reader who follows
    nothing yet (and for anonymous readers, with an invitation to log in)."""
    if request.user.is_authenticated:
        feed = selectors.for_you(request.user)  # type: ignore[arg-type]
    else:
        feed = [selectors.FeedItem(article) for article in selectors.most_discussed(selectors.FEED_SIZE)]
    follows_anything = any(item.reasons for item in feed)
    return render(request, "interests/for_you.html", {"feed": feed, "follows_anything": follows_anything})


@login_required
def following(request: SignedInRequest) -> HttpResponse:
    """Everything the reader follows, each with its unfollow button."""
    follows = selectors.follows_of(request.user)
    return render(request, "interests/following.html", {"follows": follows})


def _source_page(request: HtmxRequest, kind: str, slug: str) -> HttpResponse:
    item = selectors.source_by_slug(kind, slug)
    if item is None:
        raise Http404("No published article names this author or agency.")
    page = selectors.articles_by_key(item.key, request.GET.get("before"))
    return render(
        request, "interests/source.html", {"item": item, "page": page, "is_agency": kind == Kind.AGENCY}
    )


@cache_public_page(query=("before",))
def author(request: HtmxRequest, slug: str) -> HttpResponse:
    return _source_page(request, Kind.AUTHOR, slug)


@cache_public_page(query=("before",))
def agency(request: HtmxRequest, slug: str) -> HttpResponse:
    return _source_page(request, Kind.AGENCY, slug)
