"""The embedded cache backend (settings.EMBEDDED_CACHE, used without REDIS_URL)."""

from diskcache import DjangoCache


class EmbeddedCache(DjangoCache):
    """diskcache's Django backend, with its SQLite connections kept open between requests.

    Django closes every cache when a request finishes, and diskcache's close() drops its
    connections, so each request would connect to every shard again and re-apply its settings
    (about a dozen statements each).  diskcache keeps one connection per thread and opens new
    ones after a fork, so keeping them open is safe for threaded and forking servers alike.
    """

    def close(self, **kwargs: object) -> None:
        """Keep the connections (see the class docstring)."""
