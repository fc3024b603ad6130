"""Suite-wide test configuration."""

import os
import shutil
import uuid

import pytest
from django.conf import settings as django_settings

pytest_plugins = ["tests.browser.plugin", "tests.asgi_server", "tests.task_worker"]


def pytest_configure(config):
    # The SQLite test database is a real file under var/ (see agora/settings.py).
    django_settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    isolate_the_task_broker()


def isolate_the_task_broker():
    """This run's tasks on a broker of its own, so that a worker of `make run` never takes them: its own
    folders for the embedded broker, its own key prefix on Redis, its own queue on RabbitMQ.  (Before
    Celery first reads the settings.)"""
    run = f"test-{os.getpid()}"
    options = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if "data_folder_in" in options:
        folder = django_settings.TASKS_DIR / run
        (folder / "control").mkdir(parents=True, exist_ok=True)
        options.update(
            data_folder_in=str(folder), data_folder_out=str(folder), control_folder=str(folder / "control")
        )
    elif django_settings.CELERY_BROKER_URL.startswith("redis"):
        options["global_keyprefix"] = f"agora-{run}-{uuid.uuid4().hex[:8]}:"
    else:  # RabbitMQ (CELERY_BROKER_URL=amqp://…): a queue of its own
        django_settings.CELERY_TASK_DEFAULT_QUEUE = f"agora-{run}"


def pytest_unconfigure(config):
    folder = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in")
    if folder and f"test-{os.getpid()}" in folder:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_external_moderation(settings):
    """No external check and no model-alone rejection, whatever the environment says, unless a test
    sets them (moderation.conf reads settings before the environment)."""
    settings.MODERATION_WEBHOOK_URL = ""
    settings.MODERATION_PERSPECTIVE_API_KEY = ""
    settings.MODERATION_REJECT_THRESHOLD = None


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    """Each test gets an empty page cache and its own media folder."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis_cache(settings):
    """The production cache backend on REDIS_URL, under a key prefix of the test's own (CI has Redis)."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set; the Redis cache is tested where Redis runs (CI)")
    settings.CACHES = {
        "default": {
            "BACKEND": "agora.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"agora-test-{uuid.uuid4().hex}",
        }
    }


# --- The people and the story most tests start from (builders in articles and discussions tests) ---


@pytest.fixture
def alice(db):
    from discussions.tests.conftest import make_user

    return make_user("alice", display_name="Alice Martin")


@pytest.fixture
def bob(db):
    from discussions.tests.conftest import make_user

    return make_user("bob")


@pytest.fixture
def article(db):
    from articles.tests.conftest import build_article

    return build_article("Harbour talks resume")


@pytest.fixture
def thread(article):
    from discussions import services

    return services.thread_for_article(article)


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Tasks run in the test's own thread when queued (Celery's eager mode), so their live events reach
    open streams in this process without the relay (notifications.live); the tests that go through the
    real broker and a real worker turn it off (the `through_the_broker` fixture, tests/task_worker.py)."""
    from agora.celery import app

    settings.NOTIFICATIONS_LIVE_RELAY = False
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
