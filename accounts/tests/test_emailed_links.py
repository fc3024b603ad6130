"""Links in account emails point at SITE_URL, whatever Host the request that sent them carried."""

import re

import pytest
from django.core import mail

from accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://news.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example"]


def links(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


def test_a_password_reset_link_takes_its_host_from_site_url(client, newcomer):
    client.post("/accounts/password/reset/", {"email": newcomer.email}, HTTP_HOST="mirror.example")
    [link] = links(mail.outbox[-1].body)
    assert link.startswith("https://news.example.org/accounts/password/reset/")


def test_a_confirmation_link_takes_its_host_from_site_url(client):
    data = {"username": "dora", "email": "dora@example.org", "password1": PASSWORD, "password2": PASSWORD}
    client.post("/accounts/signup/", data, HTTP_HOST="mirror.example")
    [link] = links(mail.outbox[-1].body)
    assert link.startswith("https://news.example.org/accounts/verify/")


def test_a_new_confirmation_link_takes_its_host_from_site_url(client, newcomer):
    client.force_login(newcomer)
    client.post("/accounts/verify/", HTTP_HOST="mirror.example")
    [link] = links(mail.outbox[-1].body)
    assert link.startswith("https://news.example.org/accounts/verify/")
