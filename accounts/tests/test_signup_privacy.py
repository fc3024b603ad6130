"""Signing up tells nobody which addresses have an account: the answer is the same for a new address and a
taken one, the taken address's owner gets an email instead, and a new account cannot be used to find out
(it logs in only once its address is confirmed)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from accounts import throttle
from accounts.tests.conftest import PASSWORD, last_link

pytestmark = pytest.mark.django_db
User = get_user_model()
VERIFY_LINK = r"/accounts/verify/[^/\s]+/"


def sign_up(client, username: str, email: str, next_url: str = "/world/"):
    data = {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}
    return client.post("/accounts/signup/", {**data, "next": next_url})


def answer(client, response) -> tuple[int, str, str]:
    """What the person signing up sees: the status, where it sends them, and the page there."""
    page = client.get(response["Location"]).content.decode()
    notice = re.search(r'<p class="notice notice--success">(.*?)</p>', page).group(1)
    return response.status_code, response["Location"], notice


def test_a_taken_address_gets_the_same_answer_as_a_new_one(alice):
    from django.test import Client

    new, taken = Client(), Client()
    new_answer = answer(new, sign_up(new, "dana", "dana@example.org"))
    taken_answer = answer(taken, sign_up(taken, "erin", "ALICE@example.org"))

    assert new_answer[:2] == taken_answer[:2]
    assert new_answer[2].replace("dana@example.org", "X") == taken_answer[2].replace("ALICE@example.org", "X")
    assert "_auth_user_id" not in new.session and "_auth_user_id" not in taken.session
    assert not User.objects.filter(username="erin").exists()


def test_the_owner_of_a_taken_address_is_told_instead(client, alice, settings):
    settings.SITE_URL = "https://news.example.org"
    sign_up(client, "erin", "Alice@Example.org")
    [message] = mail.outbox
    assert message.to == [alice.email]
    assert 'username "alice"' in message.body
    assert "https://news.example.org/accounts/login/" in message.body
    assert "https://news.example.org/accounts/password/reset/" in message.body
    assert "/accounts/verify/" not in message.body


def test_owners_are_not_flooded(client, alice):
    for i in range(throttle.SIGNUP_NOTICE_PER_EMAIL.limit + 3):
        sign_up(client, f"erin{i}", alice.email)
    assert len(mail.outbox) == throttle.SIGNUP_NOTICE_PER_EMAIL.limit


def test_a_new_account_logs_in_only_once_its_address_is_confirmed(client):
    sign_up(client, "dana", "dana@example.org")
    assert len(mail.outbox) == 1
    refused = client.post("/accounts/login/", {"username": "dana", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "Confirm your email address first" in refused.content.decode()
    assert len(mail.outbox) == 2  # a fresh link, in case the first one is lost

    client.get(last_link(VERIFY_LINK))
    logged_in = client.post("/accounts/login/", {"username": "dana", "password": PASSWORD})
    assert logged_in.status_code == 302 and "_auth_user_id" in client.session


def test_a_wrong_password_for_an_unconfirmed_account_says_only_that(client):
    sign_up(client, "dana", "dana@example.org")
    response = client.post("/accounts/login/", {"username": "dana", "password": "not-the-password"})
    assert "Please enter a correct username and password" in response.content.decode()
    assert "Confirm your email" not in response.content.decode()
    assert len(mail.outbox) == 1
