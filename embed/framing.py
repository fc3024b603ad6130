"""Pages shown inside a publisher's iframe.

`@framed` makes a view an embed page:

* it may be framed by Agora itself and the allowed publishers only: a
  `Content-Security-Policy: frame-ancestors` header instead of the site-wide
  `X-Frame-Options: DENY` (which it is exempted from);
* while it runs, `embed.framed_urls` is the URL map, so every `{% url %}` in the shared
  discussion templates and every `reverse()`/`redirect()` in reused views points at the
  embed twins of the accounts and discussions pages, and the reader stays in the iframe;
* a 404 or 403 is answered with a compact embed page (the site's error pages cannot be framed).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import SimpleTemplateResponse
from django.urls import get_urlconf, set_urlconf
from django.views.decorators.clickjacking import xframe_options_exempt

from embed.allowlist import frame_ancestors

FRAMED_URLCONF = "embed.framed_urls"


def allow_framing(response: HttpResponse) -> HttpResponse:
    policy = frame_ancestors()
    existing = response.get("Content-Security-Policy")
    response["Content-Security-Policy"] = f"{existing}; {policy}" if existing else policy
    return response


def error_page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "embed/error.html", {"status": status, "message": message}, status=status)


def framed(view):
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        previous = get_urlconf()
        set_urlconf(FRAMED_URLCONF)
        try:
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                response = error_page(request, 404, "This page is not available.")
            except PermissionDenied as refusal:
                response = error_page(request, 403, str(refusal) or "You cannot do that.")
            # Template responses (the login view's) render later, after the URL map is put back.
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.render()
        finally:
            set_urlconf(previous)
        return allow_framing(response)

    return xframe_options_exempt(wrapped)
