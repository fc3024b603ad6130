"""A real Celery worker for the tests that go through the broker (a pytest plugin, loaded by the root
conftest): the embedded filesystem broker on the SQLite run, Redis where REDIS_URL is set (CI's
PostgreSQL run), each on this test run's own queue (conftest.isolate_the_task_broker)."""

import time
from collections.abc import Callable, Iterator

import pytest

from agora.celery import app


@pytest.fixture(scope="module")
def task_worker() -> Iterator[object]:
    """One worker thread for the module (solo pool: one task at a time)."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as running:
        yield running


@pytest.fixture
def through_the_broker(task_worker, settings) -> Iterator[object]:
    """Tasks go to the broker for the worker (the autouse eager mode is undone for this test)."""
    app.conf.task_always_eager = False
    settings.NOTIFICATIONS_IMMEDIATE_DELAY = 0
    yield task_worker
    app.conf.task_always_eager = True


def wait_for(predicate: Callable[[], object], limit_s: float = 30.0) -> bool:
    """Whether `predicate()` came true within `limit_s` seconds (asked every tenth of a second)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
