"""Agora settings, read from the environment.

AGORA_ENV=development (the default) gives a local site that is safe to run on a
laptop: DEBUG on, a throwaway secret key, only loopback hosts.  AGORA_ENV=production
turns DEBUG off, requires SECRET_KEY and ALLOWED_HOSTS, and enables HTTPS-only
cookies, HSTS and the other protections `manage.py check --deploy` looks for.
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AGORA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


AGORA_ENV = os.environ.get("AGORA_ENV", "development")
if AGORA_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("AGORA_ENV must be 'development' or 'production'.")
PRODUCTION = AGORA_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when AGORA_ENV=production.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when AGORA_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_htmx",
    "ninja",  # serves the API docs page's assets locally
    "accounts",
    "articles",
    "discussions",
    "moderation",
    "posting",  # above discussions and moderation: the write path of a post (posting.actions)
    "interests",
    "notifications",
    "embed",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "agora.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "agora.middleware.input.InputGuardMiddleware",  # NUL, lone surrogates: 400 before anything reads them
    "api.middleware.ApiMiddleware",
    "embed.cookies.EmbedCookiesMiddleware",  # around the session, CSRF and messages cookies
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "agora.urls"
WSGI_APPLICATION = "agora.wsgi.application"
ASGI_APPLICATION = "agora.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "articles.context_processors.site_navigation",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite in WAL mode is the embedded default; DATABASE_URL selects PostgreSQL.
SQLITE_OPTIONS = {
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=5000;PRAGMA foreign_keys=ON;"
    ),
    # Take the write lock at BEGIN so concurrent writers queue instead of failing.
    "transaction_mode": "IMMEDIATE",
}
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    # Tests use a real file (WAL, busy timeout) so concurrent writers behave as in production;
    # one per test process, so simultaneous runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
# Redis when REDIS_URL is set (shared by every app process).  Otherwise diskcache: entries in
# SQLite files under var/cache, which the processes of one machine share too (page invalidation
# and rate limits work with several gunicorn workers and no Redis).  A read or write costs tens
# of microseconds, where Django's FileBasedCache lists its whole directory on every write, and
# rate-limit counters write on every request.
REDIS_URL = os.environ.get("REDIS_URL", "")
EMBEDDED_CACHE: dict[str, Any] = {
    "BACKEND": "agora.cache.EmbeddedCache",
    "LOCATION": str(VAR_DIR / "cache"),
    "SHARDS": 4,
    "DATABASE_TIMEOUT": 0.25,  # seconds a write waits for another process's; reads never block
    "OPTIONS": {"size_limit": 512 * 2**20},
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "agora.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "agora"),
        }
    }
else:
    CACHES = {"default": EMBEDDED_CACHE}
# Upper bound on how long a cached page may live; edits invalidate at once,
# this only bounds staleness for scheduled publication times passing.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "articles:home"
LOGOUT_REDIRECT_URL = "articles:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Production serves collected files (`manage.py collectstatic`); development serves
# them straight from the apps through WhiteNoise's finders.
STATIC_ROOT = VAR_DIR / "staticfiles" if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Serve uploaded figures from Django itself (fine for one machine; put a web
# server or object storage in front of MEDIA_ROOT in a larger deployment).
SERVE_MEDIA = env_bool("SERVE_MEDIA", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Site -----------------------------------------------------------------
SITE_NAME = os.environ.get("SITE_NAME", "Agora")
SITE_TAGLINE = "News, and a discussion worth having"
# Absolute base used where a page or feed needs a full URL outside a request.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
INGEST_DEFAULT_SECTION = os.environ.get("INGEST_DEFAULT_SECTION", "world")
INGEST_HTTP_TIMEOUT = float(os.environ.get("INGEST_HTTP_TIMEOUT", "15"))
INGEST_MAX_BYTES = int(os.environ.get("INGEST_MAX_BYTES", str(10 * 1024 * 1024)))
# Topics extracted from articles' text on ingest and save (articles.topics); off keeps only the topics
# editors and sources choose.
TOPIC_EXTRACTION = env_bool("TOPIC_EXTRACTION", True)
# Follows and unfollows one reader may make in an hour.
FOLLOW_RATE_PER_HOUR = int(os.environ.get("FOLLOW_RATE_PER_HOUR", "300"))

# --- Email ----------------------------------------------------------------
# SMTP when EMAIL_HOST is set; otherwise messages are printed to the console (development).
# EMAIL_BACKEND may still name any backend explicitly.  Tests use the locmem outbox.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Discussions ----------------------------------------------------------
COMMENT_MAX_LENGTH = int(os.environ.get("COMMENT_MAX_LENGTH", "5000"))
COMMENT_EDIT_WINDOW_SECONDS = int(os.environ.get("COMMENT_EDIT_WINDOW_SECONDS", str(10 * 60)))
# Seconds an SSE connection stays open before the browser reconnects (bounds held workers).
LIVE_STREAM_SECONDS = int(os.environ.get("LIVE_STREAM_SECONDS", "300"))
LIVE_KEEPALIVE_SECONDS = float(os.environ.get("LIVE_KEEPALIVE_SECONDS", "15"))
# Open streams one client address may hold in one app process (discussions/live.py).
LIVE_STREAMS_PER_ADDRESS = int(os.environ.get("LIVE_STREAMS_PER_ADDRESS", "20"))
# Threads per app process for ordinary requests under agora.asgi (streams hold none).
APP_THREADS = int(os.environ.get("APP_THREADS", "16"))

# --- Background tasks (Celery; agora/celery.py) -----------------------------
# The broker: CELERY_BROKER_URL (redis://… or amqp://… for RabbitMQ), else REDIS_URL, else the embedded
# default, kombu's filesystem transport under var/tasks (one machine, no server: `make run` starts a
# worker with its scheduler beside runserver).  Periodic work runs from the engine's scheduler (celery
# beat), never cron: CELERY_BEAT_SCHEDULE below.
TASKS_DIR = VAR_DIR / "tasks"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem:"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(TASKS_DIR / "queue"),
        "data_folder_out": str(TASKS_DIR / "queue"),
        "control_folder": str(TASKS_DIR / "control"),
    }
    for folder in ("queue", "control"):  # the transport expects them; every process may be the first
        (TASKS_DIR / folder).mkdir(parents=True, exist_ok=True)
else:
    # Redis redelivers a task not acknowledged within this time (ours are idempotent; none runs that long).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)  # tests turn it on (conftest)
CELERY_TASK_IGNORE_RESULT = True  # no task's return value is read: no result backend
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves it to another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(TASKS_DIR / "beat-schedule")
# Feeds polled by the scheduler (was `manage.py ingest URL --watch`): comma-separated URLs.
INGEST_FEEDS = env_list("INGEST_FEEDS", [])
INGEST_FEED_INTERVAL = float(os.environ.get("INGEST_FEED_INTERVAL", "300"))

# --- Notifications (notifications/) ---------------------------------------
# Seconds an "immediate" email waits for more of the same (a burst of replies is one email).
NOTIFICATIONS_IMMEDIATE_DELAY = int(os.environ.get("NOTIFICATIONS_IMMEDIATE_DELAY", "60"))
# Web processes read new notifications from the database to update open bells (notifications/live.py):
# needed when the live broker is in-process (no REDIS_URL), since the worker is another process.
NOTIFICATIONS_LIVE_RELAY = env_bool("NOTIFICATIONS_LIVE_RELAY", not REDIS_URL)
# Local hour of the daily digest; the weekly one goes on Mondays at the same hour.
NOTIFICATIONS_DIGEST_HOUR = int(os.environ.get("NOTIFICATIONS_DIGEST_HOUR", "7"))

# What the scheduler runs, and when (these replace the cron jobs the README used to ask for).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "heat-guard-sweep": {"task": "moderation.sweep_heat_guards", "schedule": 60.0},
    "notifications-sweep": {"task": "notifications.sweep", "schedule": 60.0},
    "announce-scheduled-articles": {"task": "interests.announce_due", "schedule": 60.0},
    "daily-digest": {
        "task": "notifications.compose_digests",
        "schedule": crontab(minute="0", hour=str(NOTIFICATIONS_DIGEST_HOUR)),
        "args": ("daily",),
    },
    "weekly-digest": {
        "task": "notifications.compose_digests",
        "schedule": crontab(minute="0", hour=str(NOTIFICATIONS_DIGEST_HOUR), day_of_week="mon"),
        "args": ("weekly",),
    },
    **{
        f"poll-feed {url}": {"task": "articles.poll_feed", "schedule": INGEST_FEED_INTERVAL, "args": (url,)}
        for url in INGEST_FEEDS
    },
}

# --- JSON API (api/) ------------------------------------------------------
# Browser origins (scheme://host[:port]) allowed to call /api/ cross-origin, with
# credentials; comma-separated, exact matches only (no wildcards).
API_CORS_ORIGINS = env_list("API_CORS_ORIGINS", [])
API_CORS_MAX_AGE = int(os.environ.get("API_CORS_MAX_AGE", "600"))
# Per minute: reads per client IP, writes per user, failed bearer-token attempts per IP.
API_RATE_LIMITS = {
    "read": int(os.environ.get("API_READ_RATE_PER_MINUTE", "300")),
    "write": int(os.environ.get("API_WRITE_RATE_PER_MINUTE", "30")),
    "token_failure": int(os.environ.get("API_TOKEN_FAILURE_RATE_PER_MINUTE", "10")),
}

# --- Embeds (embed/) -----------------------------------------------------
# Publisher sites whose pages may show an Agora discussion in an iframe (embed/README.md):
# host names, comma-separated; a leading dot admits the domain and its subdomains
# (".example.org").  A story's URL must be on one of them, and only pages on them may frame it.
EMBED_ALLOWED_DOMAINS = env_list("EMBED_ALLOWED_DOMAINS", ["127.0.0.1", "localhost"])
# New embedded threads one client IP may create per hour (existing threads are not limited).
EMBED_THREAD_CREATES_PER_HOUR = int(os.environ.get("EMBED_THREAD_CREATES_PER_HOUR", "30"))
# Live "new comments" updates in embeds: one Server-Sent Events connection per reader with
# the discussion open on a publisher's page (LIVE_STREAM_SECONDS bounds each); off saves workers.
EMBED_LIVE_UPDATES = env_bool("EMBED_LIVE_UPDATES", True)
# On a publisher's own domain the iframe is a third-party context: browsers send it cookies only
# when they are SameSite=None (and Secure).  Only the embed's own cookies, scoped to /embed/, are
# (embed.cookies); the site's stay Lax.  Development is same-site (127.0.0.1 on another port).
EMBEDS_CROSS_SITE = PRODUCTION and bool(os.environ.get("EMBED_ALLOWED_DOMAINS"))
EMBED_COOKIE_SAMESITE = "None" if EMBEDS_CROSS_SITE else "Lax"

# --- Security -------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Reverse proxies (addresses or ranges, comma-separated) whose X-Forwarded-For is believed when they
# are REMOTE_ADDR: the client is the right-most address in it that is not one of them
# (agora/client_address.py).  Empty: the header is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is a promise to browsers that is slow to take back: only when asked for (so
    # check --deploy's reminder that it is off, security.W021, is answered here).
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
