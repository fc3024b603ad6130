"""The cache backends: the embedded default (diskcache, without REDIS_URL), whose counts several
processes share, and Redis (agora.cache.RedisCache, tested where REDIS_URL is set, as in CI)."""

import multiprocessing
import time

import pytest
from django.conf import settings as django_settings

from agora.page_cache import bump_generation, current_generation, current_generations
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


def _counts_from_four_processes(count_in_a_process, location) -> list[int]:
    """The counts 4 processes saw, hitting one counter 50 times each at once, sorted."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=count_in_a_process, args=(location, 50, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    seen = sorted(results.get(timeout=60) for _ in range(200))
    for worker in workers:
        worker.join(timeout=60)
    return seen


def test_processes_increment_one_counter_without_losing_a_hit(embedded_cache):
    """What gunicorn workers do to a rate-limit counter at once: every increment lands exactly once."""
    assert _counts_from_four_processes(_hits_in_a_process, embedded_cache) == list(range(1, 201))


@pytest.mark.usefixtures("redis_cache")
def test_redis_rate_limits_count_refuse_and_say_when_to_retry():
    verdicts = [hit("test", "1.2.3.4", limit=3, period=60) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert 0 < verdicts[-1].retry_after <= 60
    assert hit("test", "5.6.7.8", limit=3, period=60).allowed  # counted per key


@pytest.mark.usefixtures("redis_cache")
def test_redis_window_starts_at_the_first_hit():
    assert hit("burst", "k", limit=1, period=1).allowed
    refused = hit("burst", "k", limit=1, period=1)
    assert not refused.allowed and refused.retry_after == 1
    time.sleep(1.1)
    assert hit("burst", "k", limit=1, period=1).allowed


@pytest.mark.usefixtures("redis_cache")
def test_redis_generations_are_read_together_and_bumped():
    first, second = current_generations("one", "two")
    bump_generation("two")
    assert current_generations("one", "two") == [first, second + 1]
    assert current_generation("one") == first


def test_local_copies_of_pages_expire_with_the_shared_entry_and_stay_within_their_size():
    from agora.page_cache import _LocalCopies

    copies = _LocalCopies(max_bytes=800)
    copies.put("gone", b"x" * 10, "text/html", expires=time.time() - 1)
    assert copies.get("gone") is None
    for name in "abcdefghij":
        copies.put(name, b"x" * 100, "text/html", expires=time.time() + 60)
    assert copies.get("a") is None and copies.get("b") is None  # the oldest made room
    assert copies.get("j") == (b"x" * 100, "text/html")
    copies.put("huge", b"x" * 500, "text/html", expires=time.time() + 60)
    assert copies.get("huge") is None  # over an eighth of the budget: never copied


def _counted_in_a_process(location, count: int, results) -> None:
    from agora.cache import EmbeddedCache

    shared = EmbeddedCache(str(location), _embedded(location)["default"])
    for _ in range(count):
        results.put(shared.count_hit("window", 60)[0])


def test_processes_count_hits_in_one_window_exactly(embedded_cache):
    """The embedded backend counts a rate-limit hit in one transaction (agora.cache.EmbeddedCache.count_hit):
    gunicorn workers hitting one window at once get every count from 1 to N exactly once."""
    assert _counts_from_four_processes(_counted_in_a_process, embedded_cache) == list(range(1, 201))


def test_a_window_opens_at_its_first_hit_and_ends_after_its_period(embedded_cache):
    from django.core.cache import cache

    assert cache.peek_hits("fresh") == (0, 1)
    assert cache.count_hit("fresh", 2) == (1, 2)
    assert cache.count_hit("fresh", 2) == (2, 2)
    assert cache.peek_hits("fresh")[0] == 2
    time.sleep(2.1)
    assert cache.peek_hits("fresh")[0] == 0
    assert cache.count_hit("fresh", 2) == (1, 2)
