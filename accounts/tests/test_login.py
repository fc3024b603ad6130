"""Logging in and out, and the login throttle (per IP + username, and per IP)."""

import re

import pytest

from accounts import throttle
from accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOO_MANY = re.compile(r"Too many attempts, try again in (\d+) minutes?\.")


def attempt(client, username, password="wrong-password", ip="203.0.113.5", **extra):
    return client.post(
        "/accounts/login/", {"username": username, "password": password, **extra}, REMOTE_ADDR=ip
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_is_a_plain_labelled_form(client):
    html = client.get("/accounts/login/?next=/world/").content.decode()
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    assert 'autocomplete="current-password"' in html
    assert 'name="next" value="/world/"' in html
    assert 'href="/accounts/password/reset/"' in html


def test_log_in_and_go_back_where_you_were(client, alice):
    response = attempt(client, "alice", PASSWORD, next="/world/")
    assert response.status_code == 302 and response["Location"] == "/world/"
    assert logged_in(client)


def test_an_offsite_next_is_ignored(client, alice):
    response = attempt(client, "alice", PASSWORD, next="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong-password"), ("nobody", PASSWORD), ("", PASSWORD)]
)
def test_bad_credentials_are_refused_with_a_message(client, alice, username, password):
    response = attempt(client, username, password)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please enter a correct username and password" in html or "This field is required" in html
    assert not logged_in(client)


def test_an_inactive_account_cannot_log_in(client, alice):
    alice.is_active = False
    alice.save()
    assert attempt(client, "alice", PASSWORD).status_code == 200
    assert not logged_in(client)


def test_ten_failures_for_one_username_then_429(client, alice):
    for _ in range(throttle.LOGIN_PER_USERNAME.limit):
        assert attempt(client, "alice").status_code == 200
    refused = attempt(client, "alice")
    assert refused.status_code == 429
    minutes = int(TOO_MANY.search(refused.content.decode()).group(1))
    assert 1 <= minutes <= 5
    assert 0 < int(refused["Retry-After"]) <= throttle.LOGIN_PER_USERNAME.period
    # Refused even with the right password, and without telling whether it was right.
    right = attempt(client, "alice", PASSWORD)
    assert right.status_code == 429 and not logged_in(client)
    assert "Please enter a correct" not in right.content.decode()


def test_the_username_counts_whatever_its_case(client, alice):
    for name in ["alice", "ALICE", "Alice", " alice"] * 3:
        attempt(client, name)
    assert attempt(client, "alice").status_code == 429


def test_the_username_limit_is_per_address_and_per_username(client, alice, bob):
    for _ in range(throttle.LOGIN_PER_USERNAME.limit + 1):
        attempt(client, "alice")
    assert attempt(client, "alice").status_code == 429
    # The same account from another address, and another account from the same address, still work.
    assert attempt(client, "alice", PASSWORD, ip="198.51.100.9").status_code == 302
    client.logout()
    assert attempt(client, "bob", PASSWORD).status_code == 302


def test_fifty_attempts_from_one_address_then_429(client, alice):
    for i in range(throttle.LOGIN_PER_IP.limit):
        assert attempt(client, f"someone{i}").status_code == 200
    refused = attempt(client, "alice", PASSWORD)
    assert refused.status_code == 429 and TOO_MANY.search(refused.content.decode())
    assert not logged_in(client)
    assert attempt(client, "alice", PASSWORD, ip="198.51.100.9").status_code == 302


def test_empty_submissions_do_not_use_up_attempts(client, alice):
    for _ in range(throttle.LOGIN_PER_USERNAME.limit + 5):
        attempt(client, "alice", "")
    assert attempt(client, "alice", PASSWORD).status_code == 302


def test_log_out_is_a_post(client, alice):
    client.force_login(alice)
    assert client.get("/accounts/logout/").status_code == 405
    assert logged_in(client)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and not logged_in(client)


def test_the_header_offers_log_in_or_your_name(client, alice):
    html = client.get("/accounts/login/").content.decode()
    assert "Sign up" in html
    client.force_login(alice)
    html = client.get("/accounts/").content.decode()
    assert "Alice Martin" in html and ">AM<" in html


@pytest.mark.parametrize("url", ["/accounts/login/", "/embed/accounts/login/"])
def test_login_pages_carry_the_site_name_not_the_host(client, settings, url):
    settings.SITE_NAME = "The Harbour Gazette"
    html = client.get(url, HTTP_HOST="127.0.0.1:8100").content.decode()
    assert "<title>Log in — The Harbour Gazette</title>" in html
    assert "127.0.0.1:8100" not in html
