"""Guessing one account's password from many addresses: refused, with a growing wait and a notice to the
owner, who still gets in from an address they have logged in from, or after resetting the password."""

import time

import pytest
from django.core import mail

from accounts import login_guard
from accounts.tests.conftest import NEW_PASSWORD, PASSWORD, last_link
from accounts.tests.test_passwords import RESET_LINK, request_reset

pytestmark = pytest.mark.django_db
USUAL = "192.0.2.10"


def attempt(client, password="wrong-password", ip="203.0.113.5", username="alice"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def botnet(n: int) -> list[str]:
    return [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(n)]


def guess_from_many_addresses(client, guesses_per_address: int = 10, addresses: int = 20) -> list[int]:
    return [
        attempt(client, ip=ip).status_code for ip in botnet(addresses) for _ in range(guesses_per_address)
    ]


@pytest.fixture
def owner_address(client, alice):
    """Alice has logged in from her usual address before."""
    assert attempt(client, PASSWORD, ip=USUAL).status_code == 302
    client.logout()
    mail.outbox.clear()


def test_two_hundred_guesses_from_twenty_addresses_are_mostly_refused(client, alice):
    statuses = guess_from_many_addresses(client)
    checked = statuses.count(200)  # a password was checked (and was wrong)
    assert checked == login_guard.ACCOUNT_RULES[0].limit + 1  # the failure one over the limit guards it
    assert statuses.count(429) == 200 - checked


def test_the_right_password_from_a_new_address_is_refused_too_and_says_why(client, alice):
    guess_from_many_addresses(client)
    refused = attempt(client, PASSWORD, ip="203.0.113.77")
    assert refused.status_code == 429 and not logged_in(client)
    html = refused.content.decode()
    assert "failed attempts to log in to this account" in html and "reset your password" in html
    assert "Please enter a correct" not in html  # nothing tells whether the password was right
    assert 0 < int(refused["Retry-After"]) <= login_guard.ACCOUNT_RULES[0].period


def test_the_owner_is_told_once(client, alice):
    guess_from_many_addresses(client)
    notices = [m for m in mail.outbox if m.to == [alice.email]]
    assert len(notices) == 1
    notice = notices[0]
    assert "log in" in notice.subject.lower()
    assert "/accounts/password/reset/" in notice.body and "198.51." not in notice.body


def test_the_owner_still_gets_in_from_their_usual_address(client, alice, owner_address):
    guess_from_many_addresses(client)
    assert attempt(client, PASSWORD, ip=USUAL).status_code == 302
    assert logged_in(client)


def test_the_owner_gets_in_from_anywhere_after_resetting_the_password(client, alice):
    guess_from_many_addresses(client)
    request_reset(client, alice.email, ip="203.0.113.99")
    form_page = client.get(last_link(RESET_LINK), follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert attempt(client, NEW_PASSWORD, ip="203.0.113.99").status_code == 302


def test_guessing_that_goes_on_waits_longer_each_time(client, alice, monkeypatch):
    """A fixed clock moved by hand (no real waiting): the pause grows from minutes to hours."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    waits = []
    addresses = iter(botnet(1000))
    for _ in range(4):
        refused = None
        while refused is None:
            response = attempt(client, ip=next(addresses))
            refused = response if response.status_code == 429 else None
        waits.append(int(refused["Retry-After"]))
        now[0] += waits[-1] + 1  # the pause is over: the guessing resumes
    assert waits[0] <= login_guard.ACCOUNT_RULES[0].period
    assert max(waits) > login_guard.ACCOUNT_RULES[0].period  # a longer window took over


def test_other_accounts_are_not_affected(client, alice, bob):
    guess_from_many_addresses(client)
    assert attempt(client, PASSWORD, ip="203.0.113.50", username="bob").status_code == 302
