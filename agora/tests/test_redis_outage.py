"""A Redis outage degrades the site instead of taking it down (REDIS_URL set, a Redis of the test's own).

Agora runs as in production (agora.asgi under uvicorn, in a child process, on the test database) on a
redis-server the test starts, stops mid-run and starts again: pages and API reads answer (uncached),
posting works (rate limits count in each process meanwhile), and live events resume once Redis is back.
"""

import http.client
import json
import os
import time
import uuid

import pytest

from agora import page_cache, ratelimit
from agora.cache import CacheUnavailable, RedisCache
from api.models import ApiToken
from bench.processes import AppServer, RedisProcess, free_port, get, uvicorn_command
from tests.asgi_server import EventStream, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.network]


@pytest.fixture
def own_redis():
    if not RedisProcess.available():
        pytest.skip("redis-server is not installed; the outage test stops a Redis of its own")
    redis = RedisProcess()
    redis.start()
    yield redis
    redis.kill()


@pytest.fixture
def app_server(own_redis, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": own_redis.url,
        "CACHE_KEY_PREFIX": f"outage-{uuid.uuid4().hex}",
        "AGORA_VAR_DIR": str(tmp_path / "var"),
        "LIVE_KEEPALIVE_SECONDS": "0.5",
        "LOG_LEVEL": "ERROR",
    }
    server = AppServer(uvicorn_command(port), env, port, tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


def post(port: int, key: str, thread_id: int, body: str) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        payload = json.dumps({"body": body, "client_key": uuid.uuid4().hex})
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        connection.request("POST", f"/api/v1/threads/{thread_id}/comments", payload, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def test_a_redis_stop_degrades_and_live_events_resume(own_redis, app_server, alice, thread):
    _, key = ApiToken.issue(alice)
    port, page = app_server.port, thread.article.get_absolute_url()
    stream = EventStream("127.0.0.1", port, f"/discussions/threads/{thread.pk}/events/", {})
    assert stream.status == 200
    assert get(port, page)[0] == 200
    status, first = post(port, key, thread.pk, "Before the outage.")
    assert status == 201
    assert f"id: {first['id']}" in stream.read_until(f"id: {first['id']}")

    own_redis.kill()
    assert get(port, page)[0] == 200  # served uncached
    assert get(port, f"/api/v1/threads/{thread.pk}/comments")[0] == 200
    status, during = post(port, key, thread.pk, "While Redis is away.")
    assert status == 201, during  # counted by the local limiter meanwhile
    status, body = get(port, page)
    assert status == 200 and "While Redis is away." in body.decode()

    own_redis.start()
    seen, deadline = "", time.monotonic() + 30
    while time.monotonic() < deadline:  # the hub reconnects within seconds; until then hints are lost
        status, after = post(port, key, thread.pk, f"After the outage, {time.monotonic():.3f}.")
        assert status == 201
        seen = stream.read_until(f"id: {after['id']}", limit_s=2)
        if f"id: {after['id']}" in seen:
            break
    stream.close()
    assert f"id: {after['id']}" in seen


def test_rate_limits_keep_counting_in_the_process_while_redis_is_away(own_redis):
    shared = RedisCache(own_redis.url, {"KEY_PREFIX": f"outage-{uuid.uuid4().hex}"})
    assert shared.count_hit("window", 60) == (1, 60)
    own_redis.kill()
    with pytest.raises(CacheUnavailable):
        shared.count_hit("window", 60)
    assert shared.get("anything", "default") == "default" and shared.add("k", 1) is False


def test_the_local_limiter_refuses_past_the_limit(settings, own_redis):
    settings.CACHES = {"default": {"BACKEND": "agora.cache.RedisCache", "LOCATION": own_redis.url}}
    own_redis.kill()
    scope = f"outage-{uuid.uuid4().hex}"
    verdicts = [ratelimit.hit(scope, "203.0.113.5", limit=3, period=60) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after > 0
    assert not ratelimit.peek(scope, "203.0.113.5", limit=3, period=60).allowed  # peeking counts locally too
    assert ratelimit.peek(scope, "203.0.113.6", limit=3, period=60).allowed
    assert ratelimit.hit(scope, "203.0.113.6", limit=3, period=60).allowed  # another key, its own count


def test_a_redis_that_stops_answering_costs_a_timeout_and_invalidations_are_made_when_it_is_back(
    settings, own_redis
):
    """SIGSTOP: Redis keeps its data but answers nothing (a network outage); every call gives up after
    the backend's timeout, and a page-cache bump missed meanwhile is made once Redis answers again."""
    settings.CACHES = {
        "default": {"BACKEND": "agora.cache.RedisCache", "LOCATION": own_redis.url, "KEY_PREFIX": "pause"}
    }
    scope = f"thread:{uuid.uuid4().hex}"
    before = page_cache.current_generation(scope)
    own_redis.pause()
    try:
        started = time.monotonic()
        page_cache.bump_generation(scope)  # missed: Redis does not answer
        assert time.monotonic() - started < 5 * RedisCache.TIMEOUT
        assert page_cache.current_generation(scope) != before  # a fresh generation: pages uncached
    finally:
        own_redis.resume()
    time.sleep(RedisCache.RETRY_AFTER_OUTAGE)
    assert page_cache.current_generation(scope) == before + 1  # the missed bump, made on the next page
