"""Cache backends: the embedded one (settings.EMBEDDED_CACHE, without REDIS_URL) and Redis."""

import logging
import math
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

import diskcache
import redis
from diskcache import DjangoCache
from django.core.cache.backends import redis as django_redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT

logger = logging.getLogger(__name__)
Result = TypeVar("Result")


class EmbeddedCache(DjangoCache):
    """diskcache's Django backend, with its SQLite connections kept open between requests.

    Django closes every cache when a request finishes, and diskcache's close() drops its
    connections, so each request would connect to every shard again and re-apply its settings
    (about a dozen statements each).  diskcache keeps one connection per thread and opens new
    ones after a fork, so keeping them open is safe for threaded and forking servers alike.
    """

    def __init__(self, directory: str, params: dict) -> None:
        super().__init__(directory, params)
        self._timeout = float(params.get("DATABASE_TIMEOUT", 0.010))  # diskcache's own default

    def close(self, **kwargs: object) -> None:
        """Keep the connections (see the class docstring)."""

    @cached_property
    def _windows(self) -> diskcache.Cache:
        """Rate-limit windows, in one SQLite file of their own (not spread over the shards), so that
        counting a hit is one transaction: read the count and the window's end, write the count."""
        return self._cache.cache("ratelimit-windows", timeout=self._timeout)

    def count_hit(self, key: str, period: int) -> tuple[int, int]:
        """As RedisCache.count_hit: count one hit in the window `key` opened by its first hit, exactly,
        across every process of the machine; (hits so far, seconds left).  CacheUnavailable when the
        file stays locked past DATABASE_TIMEOUT (ratelimit then counts in this process)."""
        name, windows = self.make_and_validate_key(key), self._windows
        try:
            with windows.transact():
                now = time.time()
                count = windows.incr(name)  # a missing or ended window counts from 1 again
                ends = None if count == 1 else windows.get(name, expire_time=True)[1]
                if ends is None:  # the window's first hit starts it
                    windows.touch(name, expire=period)
                    ends = now + period
        except diskcache.Timeout as error:
            raise CacheUnavailable(f"rate-limit windows locked: {error}") from error
        return count, max(1, math.ceil(ends - now))

    def peek_hits(self, key: str) -> tuple[int, int]:
        """As RedisCache.peek_hits: the hits counted so far in the window `key` (0 when none is open),
        and its seconds left."""
        count, ends = self._windows.get(self.make_and_validate_key(key), default=0, expire_time=True)
        return int(count or 0), max(1, math.ceil(ends - time.time())) if ends else 1


class _ReusedClients(django_redis.RedisCacheClient):
    """Django's Redis client, building one redis.Redis per connection pool instead of one per operation.

    redis-py 8 takes about 0.1 ms to build a client, and a page-cache hit makes five cache calls.
    A redis.Redis is safe to share between threads: each command borrows a pooled connection.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):  # type: ignore[no-untyped-def]
        pool = self._get_connection_pool(write)  # Django's choice of server; pools live as long as this
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class CacheUnavailable(Exception):
    """Redis cannot be reached: raised only by the operations no stand-in answer can replace
    (counting: `incr`, `count_hit`, `peek_hits`); the others answer as an empty cache would."""


OUTAGE_ERRORS = (redis.ConnectionError, redis.TimeoutError)


class RedisCache(django_redis.RedisCache):
    """django.core.cache.backends.redis.RedisCache with clients reused (see _ReusedClients),
    rate-limit counting in one round trip (agora.ratelimit uses `count_hit` and `peek_hits` where a
    backend has them), and a Redis outage that degrades instead of failing every request.

    While Redis is unreachable, reads miss and writes are dropped (pages are built uncached); after
    a failure, calls skip Redis for RETRY_AFTER_OUTAGE seconds instead of each waiting on it, and
    every connection gives up after TIMEOUT seconds.
    """

    TIMEOUT = 0.5
    RETRY_AFTER_OUTAGE = 1.0

    def __init__(self, server: str, params: dict) -> None:
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", self.TIMEOUT)
        options.setdefault("socket_timeout", self.TIMEOUT)
        super().__init__(server, params)
        self._class = _ReusedClients
        self._down_until = 0.0

    def _guarded(self, operation: Callable[..., Result], *args: Any) -> Result:
        """`operation(*args)`, or CacheUnavailable while Redis is away."""
        if time.monotonic() < self._down_until:
            raise CacheUnavailable("Redis was unreachable a moment ago")
        try:
            return operation(*args)
        except OUTAGE_ERRORS as error:
            if not self._down_until:
                logger.warning("cache: Redis unavailable (%s); serving uncached", error)
            self._down_until = time.monotonic() + self.RETRY_AFTER_OUTAGE
            raise CacheUnavailable(str(error)) from error

    def _reached(self) -> None:
        if self._down_until:
            logger.warning("cache: Redis is back")
            self._down_until = 0.0

    def _or(self, fallback: Result, operation: Callable[..., Result], *args: Any) -> Result:
        try:
            result = self._guarded(operation, *args)
        except CacheUnavailable:
            return fallback
        self._reached()
        return result

    def get(self, key, default=None, version=None):  # type: ignore[no-untyped-def]
        return self._or(default, super().get, key, default, version)

    def get_many(self, keys, version=None):  # type: ignore[no-untyped-def]
        return self._or({}, super().get_many, keys, version)

    def has_key(self, key, version=None):  # type: ignore[no-untyped-def]
        return self._or(False, super().has_key, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._or(False, super().add, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._or(None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._or(list(data), super().set_many, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._or(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):  # type: ignore[no-untyped-def]
        return self._or(False, super().delete, key, version)

    def delete_many(self, keys, version=None):  # type: ignore[no-untyped-def]
        return self._or(None, super().delete_many, keys, version)

    def clear(self):  # type: ignore[no-untyped-def]
        return self._or(None, super().clear)

    def incr(self, key, delta=1, version=None):  # type: ignore[no-untyped-def]
        result = self._guarded(super().incr, key, delta, version)
        self._reached()
        return result

    def count_hit(self, key: str, period: int) -> tuple[int, int]:
        """Count one hit in the window `key` opened by its first hit: (hits so far, seconds left).

        INCR, then EXPIRE NX (the first hit starts the window; later ones leave it), then TTL, in
        one MULTI/EXEC: the count is exact across every app process.  CacheUnavailable while Redis is away.
        """
        name = self.make_and_validate_key(key)
        pipe = self._cache.get_client(name, write=True).pipeline(transaction=True)
        pipe.incr(name)
        pipe.expire(name, period, nx=True)
        pipe.ttl(name)
        count, _, seconds_left = self._guarded(pipe.execute)
        self._reached()
        return int(count), max(1, int(seconds_left))

    def peek_hits(self, key: str) -> tuple[int, int]:
        """The hits counted so far in the window `key` (0 when none is open), and its seconds left.
        CacheUnavailable while Redis is away."""
        name = self.make_and_validate_key(key)
        pipe = self._cache.get_client(name).pipeline(transaction=False)
        pipe.get(name)
        pipe.ttl(name)
        count, seconds_left = self._guarded(pipe.execute)
        self._reached()
        return int(count or 0), max(1, int(seconds_left))
