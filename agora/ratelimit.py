"""Rate limits on the shared cache (Redis when REDIS_URL is set, so every app process counts together).

Fixed windows that start at a key's first hit: at most `limit` hits per `period` seconds per key,
counted from that hit (not from the clock's minute), so a burst is never split across two windows.
Used for logins, sign-ups, posting and every other endpoint a stranger can call.

While Redis is unreachable, each app process counts on its own (`LocalWindows`) with the same
limits: posting, logins and the API keep working and keep being limited, per process, instead of
every request failing or every limit being dropped.
"""

import math
import threading
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from agora.cache import CacheUnavailable
from agora.client_address import client_address


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets (0 when allowed)


def _window_start(base: str, now: float, period: int) -> float:
    """When the key's current window began: its first hit, or now when the last window has ended."""
    started = float(cache.get_or_set(f"{base}:start", now, timeout=period) or now)
    if now - started >= period:  # a cache whose expiry lags still holds the old start
        cache.set(f"{base}:start", now, timeout=period)
        started = now
    return started


class LocalWindows:
    """Fixed windows in this process's memory: the stand-in while the shared cache is unreachable."""

    MAX_KEYS = 100_000  # past this, windows that have ended are dropped

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key: (window start, hits)

    def count_hit(self, key: str, period: int) -> tuple[int, int]:
        """As agora.cache.RedisCache.count_hit: (hits so far in the key's window, seconds left)."""
        now = time.monotonic()
        with self._lock:
            started, count = self._windows.get(key, (now, 0))
            if now - started >= period:
                started, count = now, 0
            self._windows[key] = (started, count + 1)
            if len(self._windows) > self.MAX_KEYS:
                self._drop_ended(now, period)
        return count + 1, max(1, math.ceil(started + period - now))

    def peek_hits(self, key: str, period: int) -> tuple[int, int]:
        """As agora.cache.RedisCache.peek_hits: (hits so far in the key's window, seconds left)."""
        now = time.monotonic()
        with self._lock:
            started, count = self._windows.get(key, (now, 0))
        if now - started >= period:
            return 0, period
        return count, max(1, math.ceil(started + period - now))

    def _drop_ended(self, now: float, period: int) -> None:
        self._windows = {k: w for k, w in self._windows.items() if now - w[0] < period}


_local_windows = LocalWindows()


def hit(scope: str, key: str, limit: int, period: int) -> Verdict:
    """Count one hit for `key` in `scope`; refuse once more than `limit` fall in the current window."""
    base = f"ratelimit:{scope}:{key}"
    count_hit = getattr(cache, "count_hit", None)  # agora.cache's backends: one round trip
    if count_hit is not None:
        try:
            count, seconds_left = count_hit(base, period)
        except CacheUnavailable:
            count, seconds_left = _local_windows.count_hit(base, period)
        return Verdict(True, 0) if count <= limit else Verdict(False, seconds_left)
    now = time.time()
    started = _window_start(base, now, period)
    counter = f"{base}:{started:.6f}"
    try:
        count = cache.incr(counter)  # the usual case: one write
    except ValueError:  # the window's first hit (or its counter expired)
        count = 1 if cache.add(counter, 1, timeout=period + 1) else cache.incr(counter)
    if count <= limit:
        return Verdict(True, 0)
    return Verdict(False, max(1, math.ceil(started + period - now)))


def peek(scope: str, key: str, limit: int, period: int) -> Verdict:
    """Whether one more hit for `key` in `scope` would be allowed, without counting one.

    For limits that count only what succeeds (comments stored, not attempts): peek before the work,
    `hit` once it is done.
    """
    base = f"ratelimit:{scope}:{key}"
    peek_hits = getattr(cache, "peek_hits", None)  # agora.cache's backends
    if peek_hits is not None:
        try:
            count, seconds_left = peek_hits(base)
        except CacheUnavailable:
            count, seconds_left = _local_windows.peek_hits(base, period)
        return Verdict(True, 0) if count < limit else Verdict(False, seconds_left)
    now = time.time()
    started = cache.get(f"{base}:start")
    if started is None or now - float(started) >= period:
        return Verdict(True, 0)
    count = int(cache.get(f"{base}:{float(started):.6f}") or 0)
    if count < limit:
        return Verdict(True, 0)
    return Verdict(False, max(1, math.ceil(float(started) + period - now)))


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or behind TRUSTED_PROXIES what they say (agora.client_address)."""
    return client_address(request)
