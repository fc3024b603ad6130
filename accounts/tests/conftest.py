"""Builders for account tests: real users, articles and comments, and the real mail outbox."""

import re

import pytest
from django.conf import settings
from django.core import mail

from discussions.tests.conftest import make_user

PASSWORD = "a-long-test-password-1"  # make_user's password
NEW_PASSWORD = "another-long-passphrase-77"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Argon2 is the site's hasher (tested once in test_signup); the rest hash cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def carol(db):
    return make_user("carol")


@pytest.fixture
def newcomer(db):
    return make_user("newcomer", verified=False)


def last_link(pattern: str) -> str:
    """The path of the first link matching `pattern` in the newest email."""
    assert mail.outbox, "no email was sent"
    match = re.search(re.escape(settings.SITE_URL) + "(" + pattern + ")", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)
