"""Rate limits on the shared cache (Redis when REDIS_URL is set, so every app process counts together).

Fixed windows: at most `limit` hits per `period` seconds per key.  Used for logins,
sign-ups, posting and every other endpoint a stranger can call.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets (0 when allowed)


def hit(scope: str, key: str, limit: int, period: int) -> Verdict:
    """Count one hit for `key` in `scope`; refuse once more than `limit` fall in the current window."""
    window = int(time.time() // period)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    if cache.add(cache_key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=period + 1)
            count = 1
    if count <= limit:
        return Verdict(True, 0)
    return Verdict(False, period - int(time.time()) % period)


def client_ip(request: HttpRequest) -> str:
    """The caller's address.

    Behind a reverse proxy, have the proxy set REMOTE_ADDR (gunicorn --forwarded-allow-ips).
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"
