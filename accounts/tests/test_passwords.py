"""Password reset by email (request, done, confirm, complete) and password change."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from accounts import throttle
from accounts.tests.conftest import NEW_PASSWORD, PASSWORD, last_link

pytestmark = pytest.mark.django_db
User = get_user_model()
RESET_LINK = r"/accounts/password/reset/[^/\s]+/[^/\s]+/"


def request_reset(client, email, ip="203.0.113.5"):
    return client.post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=ip)


def test_reset_request_page_is_labelled(client):
    html = client.get("/accounts/password/reset/").content.decode()
    assert '<label for="id_email">' in html and 'autocomplete="email"' in html


def test_reset_end_to_end_whatever_the_case_of_the_address(client, newcomer):
    response = request_reset(client, "NEWCOMER@Example.org")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["newcomer@example.org"]
    assert "Reset your Agora password" in mail.outbox[0].subject
    assert 'username "newcomer"' in mail.outbox[0].body
    assert "Check your email" in client.get(response["Location"]).content.decode()

    form_page = client.get(last_link(RESET_LINK), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    assert set_password_url.endswith("/set-password/")
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/complete/"
    assert "Your new password is saved" in client.get(done["Location"]).content.decode()

    user = User.objects.get(pk=newcomer.pk)
    assert user.check_password(NEW_PASSWORD)
    # The link reached the mailbox, so the address is confirmed too.
    assert user.email_verified_at is not None
    assert (
        client.post("/accounts/login/", {"username": "newcomer", "password": NEW_PASSWORD}).status_code == 302
    )

    # The link works once.
    again = client.get(last_link(RESET_LINK), follow=True)
    assert "This link does not work" in again.content.decode()


def test_unknown_address_looks_the_same_and_sends_nothing(client, alice):
    response = request_reset(client, "nobody@example.org")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_a_bad_address_is_refused(client):
    response = request_reset(client, "not-an-address")
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()


def test_a_tampered_reset_link_does_not_work(client, alice):
    request_reset(client, "alice@example.org")
    link = last_link(RESET_LINK)
    tampered = re.sub(r"/([^/]+)/$", lambda m: "/" + m.group(1)[:-1] + "x/", link)
    assert "This link does not work" in client.get(tampered, follow=True).content.decode()
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)


def test_new_passwords_must_match_and_be_strong(client, alice):
    request_reset(client, "alice@example.org")
    url = client.get(last_link(RESET_LINK), follow=True).redirect_chain[-1][0]
    mismatch = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert "The two password fields didn" in mismatch.content.decode()
    weak = client.post(url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert "too common" in weak.content.decode()
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)


def test_reset_requests_are_limited_per_mailbox(client, alice):
    for i in range(throttle.RESET_PER_EMAIL.limit):
        assert request_reset(client, "alice@example.org", ip=f"203.0.113.{i + 1}").status_code == 302
    refused = request_reset(client, "ALICE@example.org", ip="203.0.113.99")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many attempts, try again in" in refused.content.decode()
    assert len(mail.outbox) == throttle.RESET_PER_EMAIL.limit


def test_reset_requests_are_limited_per_address(client):
    for i in range(throttle.RESET_PER_IP.limit):
        assert request_reset(client, f"person{i}@example.org").status_code == 302
    assert request_reset(client, "someone-else@example.org").status_code == 429
    assert request_reset(client, "someone-else@example.org", ip="198.51.100.1").status_code == 302


def test_change_password_needs_the_old_one(client, alice):
    assert client.get("/accounts/password/").status_code == 302  # login first
    client.force_login(alice)
    page = client.get("/accounts/password/").content.decode()
    assert '<label for="id_old_password">' in page
    wrong = client.post(
        "/accounts/password/",
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and "Your old password was entered incorrectly" in wrong.content.decode()
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)

    done = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/password/changed/"
    assert User.objects.get(pk=alice.pk).check_password(NEW_PASSWORD)
    # Still logged in on this device.
    assert client.get("/accounts/").status_code == 200
