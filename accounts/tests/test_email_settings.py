"""The email settings block: console in development, SMTP once EMAIL_HOST is set."""

import runpy

import pytest
from django.conf import settings

SETTINGS_FILE = str(settings.BASE_DIR / "agora" / "settings.py")
EMAIL_VARS = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
)


def load(monkeypatch, **env):
    for name in (*EMAIL_VARS, "SITE_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(SETTINGS_FILE)


def test_development_prints_email_to_the_console(monkeypatch):
    values = load(monkeypatch)
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["DEFAULT_FROM_EMAIL"] == "Agora <noreply@localhost>"


def test_email_host_selects_smtp(monkeypatch):
    values = load(
        monkeypatch,
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="2525",
        EMAIL_HOST_USER="agora",
        EMAIL_HOST_PASSWORD="secret",
        EMAIL_USE_TLS="false",
        DEFAULT_FROM_EMAIL="Agora <news@example.org>",
    )
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("smtp.example.org", 2525)
    assert (values["EMAIL_HOST_USER"], values["EMAIL_HOST_PASSWORD"]) == ("agora", "secret")
    assert values["EMAIL_USE_TLS"] is False
    assert values["DEFAULT_FROM_EMAIL"] == "Agora <news@example.org>"


def test_tls_is_on_by_default_for_smtp(monkeypatch):
    assert load(monkeypatch, EMAIL_HOST="smtp.example.org")["EMAIL_USE_TLS"] is True


@pytest.mark.django_db
def test_tests_use_the_locmem_outbox():
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
