"""Who is calling: a bearer token (api.ApiToken) or Django's session, with CSRF enforced for writes.

Reads work without either; writes need one of them (401 otherwise) and are counted
against the writer's rate limit.  A bearer header that is present but wrong is refused
(401) on reads too, never silently treated as anonymous.  Failed token attempts are
counted per client IP; past the limit that IP's failed attempts get 429 for the rest of the
window, while valid tokens from it keep working.
"""

import math
import time
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from agora.prepared import Prepared
from agora.ratelimit import client_ip, hit
from agora.requests import ApiRequest
from api.errors import ApiError, rate_limited
from api.models import ApiToken, hash_key

PERIOD = 60  # seconds; API_RATE_LIMITS are per minute
_TOO_MANY = "Too many failed token attempts from this address."
# Every API write looks its token up: compiled once (agora.prepared).
_token_with_user = Prepared(
    lambda key_hash: ApiToken.objects.select_related("user").filter(key_hash=key_hash)[:1], str
)


def _limit(name: str) -> int:
    return settings.API_RATE_LIMITS[name]


def _invalid_token(message: str) -> ApiError:
    return ApiError(401, "invalid_token", message, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _blocked_key(ip: str) -> str:
    return f"api:token-blocked:{ip}"


def token_user(request: HttpRequest):
    """The user of the request's bearer token, or None without an Authorization header.

    A valid token always works: failures are counted and refused per client address, but only
    failed attempts are refused, so one credential's failures never block another's use.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, key = header.partition(" ")
    key = key.strip()
    token = None
    if scheme.lower() == "bearer" and key:
        token = _token_with_user.first(hash_key(key))
    if token is None:
        problem = "The bearer token is not valid (send 'Authorization: Bearer <token>')."
    elif not token.is_active:
        problem = "This token has been revoked."
    elif not token.user.is_active:
        problem = "This token's account is disabled."
    else:
        token.touch()
        cast(ApiRequest, request).api_token = token  # read by the /me endpoint
        return token.user
    ip = client_ip(request)
    blocked_until = cache.get(_blocked_key(ip))
    if blocked_until:
        raise rate_limited(math.ceil(blocked_until - time.time()), _TOO_MANY)
    verdict = hit("api-token-failure", ip, _limit("token_failure"), PERIOD)
    if not verdict.allowed:
        wait = verdict.retry_after or 1
        cache.set(_blocked_key(ip), time.time() + wait, timeout=wait)
        raise rate_limited(verdict.retry_after, _TOO_MANY)
    raise _invalid_token(problem)


def viewer(request: HttpRequest):
    """The reader of a read request (for their own reactions), or None when anonymous."""
    user = token_user(request)
    if user is not None:
        return user
    return request.user if request.user.is_authenticated else None


def charge_write(user) -> None:
    verdict = hit("api-write", str(user.pk), _limit("write"), PERIOD)
    if not verdict.allowed:
        raise rate_limited(verdict.retry_after, "Too many changes in a short time.")


class BearerToken(HttpBearer):
    """`Authorization: Bearer <key>`, a key from `manage.py create_api_token`."""

    def __call__(self, request: HttpRequest):
        user = token_user(request)
        if user is not None:
            charge_write(user)
        return user

    def authenticate(self, request: HttpRequest, token: str):  # pragma: no cover - __call__ does the work
        return None


class Session(APIKeyCookie):
    """Django's session cookie; unsafe methods also need the CSRF token (X-CSRFToken header)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None):
        if not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise ApiError(
                403,
                "csrf_failed",
                "CSRF check failed: send the csrftoken cookie's value in an X-CSRFToken header "
                "(GET /api/v1/csrf gives one), or use a bearer token.",
            )
        charge_write(request.user)
        return request.user


WRITE_AUTH = [BearerToken(), Session()]
