"""The embedded default cache (diskcache, without REDIS_URL): several processes share its counts."""

import multiprocessing

import pytest
from django.conf import settings as django_settings

from agora.page_cache import bump_generation, current_generation
from agora.ratelimit import hit


def _embedded(location) -> dict:
    default = dict(django_settings.EMBEDDED_CACHE)
    default["LOCATION"] = str(location)
    return {"default": default}


@pytest.fixture
def embedded_cache(settings, tmp_path):
    settings.CACHES = _embedded(tmp_path / "cache")
    return tmp_path / "cache"


def _hits_in_a_process(location, count: int, results) -> None:
    from agora.cache import EmbeddedCache

    shared = EmbeddedCache(str(location), _embedded(location)["default"])
    for _ in range(count):
        shared.add("counter", 0, timeout=60)
        results.put(shared.incr("counter"))
    shared.close()


def test_is_the_default_without_redis():
    assert django_settings.EMBEDDED_CACHE["BACKEND"] == "agora.cache.EmbeddedCache"


def test_rate_limits_count_and_refuse(embedded_cache):
    verdicts = [hit("test", "1.2.3.4", limit=3, period=60) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]


def test_generations_bump(embedded_cache):
    before = current_generation("scope")
    bump_generation("scope")
    assert current_generation("scope") == before + 1


def test_processes_increment_one_counter_without_losing_a_hit(embedded_cache):
    """What gunicorn workers do to a rate-limit counter at once: every increment lands exactly once."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(target=_hits_in_a_process, args=(embedded_cache, 50, results)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    seen = sorted(results.get(timeout=60) for _ in range(200))
    for worker in workers:
        worker.join(timeout=60)
    assert seen == list(range(1, 201))
