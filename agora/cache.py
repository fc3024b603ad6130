"""Cache backends: the embedded one (settings.EMBEDDED_CACHE, without REDIS_URL) and Redis."""

from typing import Any

from diskcache import DjangoCache
from django.core.cache.backends import redis as django_redis


class EmbeddedCache(DjangoCache):
    """diskcache's Django backend, with its SQLite connections kept open between requests.

    Django closes every cache when a request finishes, and diskcache's close() drops its
    connections, so each request would connect to every shard again and re-apply its settings
    (about a dozen statements each).  diskcache keeps one connection per thread and opens new
    ones after a fork, so keeping them open is safe for threaded and forking servers alike.
    """

    def close(self, **kwargs: object) -> None:
        """Keep the connections (see the class docstring)."""


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


class RedisCache(django_redis.RedisCache):
    """django.core.cache.backends.redis.RedisCache with clients reused (see _ReusedClients), and
    rate-limit counting in one round trip (agora.ratelimit uses `count_hit` and `peek_hits` where a backend
    has them)."""

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = _ReusedClients

    def count_hit(self, key: str, period: int) -> tuple[int, int]:
        """Count one hit in the window `key` opened by its first hit: (hits so far, seconds left).

        INCR, then EXPIRE NX (the first hit starts the window; later ones leave it), then TTL, in
        one MULTI/EXEC: the count is exact across every app process.
        """
        name = self.make_and_validate_key(key)
        pipe = self._cache.get_client(name, write=True).pipeline(transaction=True)
        pipe.incr(name)
        pipe.expire(name, period, nx=True)
        pipe.ttl(name)
        count, _, seconds_left = pipe.execute()
        return int(count), max(1, int(seconds_left))

    def peek_hits(self, key: str) -> tuple[int, int]:
        """The hits counted so far in the window `key` (0 when none is open), and its seconds left."""
        name = self.make_and_validate_key(key)
        pipe = self._cache.get_client(name).pipeline(transaction=False)
        pipe.get(name)
        pipe.ttl(name)
        count, seconds_left = pipe.execute()
        return int(count or 0), max(1, int(seconds_left))
