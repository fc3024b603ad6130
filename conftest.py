"""Suite-wide test configuration."""

import os
import uuid

import pytest
from django.conf import settings as django_settings

pytest_plugins = ["tests.browser.plugin"]


def pytest_configure(config):
    # The SQLite test database is a real file under var/ (see agora/settings.py).
    django_settings.VAR_DIR.mkdir(parents=True, exist_ok=True)


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
