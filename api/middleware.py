"""For /api/ only: CORS for the allowed origins, the per-IP read limit, the cache of anonymous thread
reads (api.read_cache), and JSON bodies on every error.

CORS: an Origin listed in settings.API_CORS_ORIGINS is echoed back exactly in
Access-Control-Allow-Origin, with credentials allowed; every API response varies on
Origin.  Preflights (OPTIONS with Access-Control-Request-Method) are answered here,
204 for an allowed origin and 403 for any other, and never reach a view.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from agora.ratelimit import client_ip, hit
from api import read_cache
from api.errors import CODES_BY_STATUS, error_response

API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD"})
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, X-CSRFToken"
EXPOSED_HEADERS = "Retry-After, WWW-Authenticate"
DEFAULT_MESSAGES = {
    404: "There is no API endpoint at this address.",
    405: "This endpoint does not accept that method.",
}


def allowed_origins() -> set[str]:
    return {origin.rstrip("/").lower() for origin in settings.API_CORS_ORIGINS if origin != "*"}


class ApiMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        origin = request.headers.get("Origin", "")
        allowed = bool(origin) and origin.lower() in allowed_origins()
        if request.method == "OPTIONS" and origin and "Access-Control-Request-Method" in request.headers:
            response = self._preflight(allowed)
        else:
            response = self._limited(request) or read_cache.serve(request, self.get_response)
            response = self._as_json_error(response)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Credentials"] = "true"
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        patch_vary_headers(response, ["Origin"])
        return response

    @staticmethod
    def _preflight(allowed: bool) -> HttpResponse:
        if not allowed:
            return error_response(403, "cors_forbidden", "This origin may not call the API from a browser.")
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response["Access-Control-Max-Age"] = str(settings.API_CORS_MAX_AGE)
        return response

    @staticmethod
    def _limited(request: HttpRequest) -> HttpResponse | None:
        if request.method not in SAFE_METHODS:
            return None  # writes are counted per user once authenticated (api.auth)
        verdict = hit("api-read", client_ip(request), settings.API_RATE_LIMITS["read"], 60)
        if verdict.allowed:
            return None
        wait = max(1, verdict.retry_after)
        return error_response(
            429,
            "rate_limited",
            f"Too many requests from this address. Try again in {wait} s.",
            {"Retry-After": str(wait)},
        )

    @staticmethod
    def _as_json_error(response: HttpResponse) -> HttpResponse:
        """Django's own refusals here (unknown path, wrong method) get the API's error body."""
        if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        message = DEFAULT_MESSAGES.get(status, response.reason_phrase or "Error.")
        headers = {"Allow": response["Allow"]} if response.has_header("Allow") else None
        return error_response(status, CODES_BY_STATUS.get(status, "error"), message, headers)
