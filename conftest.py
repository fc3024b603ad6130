"""Suite-wide test configuration."""

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
