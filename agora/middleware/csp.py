"""The Content-Security-Policy of every response: only Agora's own scripts and styles run.

No page holds inline code: scripts are files (static/js, the embed's), the one inline event
handler there was is gone (htmx-config swaps 4xx answers), htmx is told (meta htmx-config) neither to
inject its indicator <style> nor to evaluate code, and reply indentation is a class, not a style
attribute.  The JSON-LD and the API docs' settings are data blocks, which a policy does not
execute.  So script-src and style-src are 'self' alone: no nonce is needed, and none could be,
since whole pages are cached (agora.page_cache) and a nonce must change with every response.

A view may set a directive of its own (the embed's frame-ancestors, embed.framing); it replaces
the default one.  DEBUG's error pages, which use inline scripts and styles, get no policy.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Figures of ingested articles may stay on their publisher's server (articles.ingest).
    "img-src": "'self' data: https: http:",
    "connect-src": "'self'",  # htmx requests and the live streams
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",  # as X-Frame-Options: DENY; embed pages name their publishers
}


def _directives(policy: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in policy.split(";") if part.strip())
    return {part[0].lower(): part[1] if len(part) > 1 else "" for part in parts}


def policy_for(response: HttpResponse) -> str:
    """The default policy, with any directive the view set in its place."""
    directives = {**POLICY, **_directives(response.get(HEADER, ""))}
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not (settings.DEBUG and response.status_code >= 400):
            response[HEADER] = policy_for(response)
        return response
