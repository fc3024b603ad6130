"""Signing up, confirming the address with a signed link, and asking for the link again."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing

import agora.settings as project_settings
from accounts import verification
from accounts.tests.conftest import PASSWORD, last_link
from discussions.models import Comment

pytestmark = pytest.mark.django_db
User = get_user_model()
VERIFY_LINK = r"/accounts/verify/[^/\s]+/"


def signup_data(**overrides):
    return {
        "username": "dana",
        "email": "dana@example.org",
        "password1": "correct-horse-battery-9",
        "password2": "correct-horse-battery-9",
        **overrides,
    }


def token_signed_at(user, seconds_ago: float) -> str:
    """A real token whose timestamp is in the past (the signer is the one verification uses)."""

    class PastSigner(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time() - seconds_ago))

    payload = {"u": user.pk, "e": verification.fingerprint(user.email)}
    return PastSigner(salt=verification.SALT).sign_object(payload)


def test_signup_page_is_labelled_and_described(client):
    html = client.get("/accounts/signup/").content.decode()
    for field in ("username", "email", "password1", "password2"):
        assert f'<label for="id_{field}">' in html
    # The input points at the help text the shared include renders.
    assert 'id="id_email_helptext"' in html
    assert 'aria-describedby="id_email_helptext"' in html
    assert 'autocomplete="email"' in html


def test_signup_creates_a_commenter_and_sends_a_link_to_log_in_with(client):
    response = client.post("/accounts/signup/", {**signup_data(), "next": "/world/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/world/"
    user = User.objects.get(username="dana")
    assert user.email == "dana@example.org" and user.email_verified_at is None
    assert list(user.groups.values_list("name", flat=True)) == ["Commenters"]
    assert "_auth_user_id" not in client.session  # signing up logs nobody in (test_signup_privacy)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@example.org"]
    assert "Confirm your email address" in message.subject
    assert "3 days" in message.body
    page = client.get(response["Location"]).content.decode()
    assert "We have sent a link to dana@example.org" in page


def test_the_link_confirms_the_address_and_unlocks_commenting(client, thread):
    client.post("/accounts/signup/", signup_data())
    user = User.objects.get(username="dana")
    response = client.get(last_link(VERIFY_LINK))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.email_verified_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "your email address is confirmed" in page
    client.post("/accounts/login/", {"username": "dana", "password": "correct-horse-battery-9"})
    assert (
        "Confirm your email address to join the discussion" not in client.get("/accounts/").content.decode()
    )

    posted = client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "First!"})
    assert posted.status_code == 302 and Comment.objects.get().author == user


def test_the_link_works_when_logged_out_but_does_not_log_in(client, newcomer):
    token = verification.make_token(newcomer)
    response = client.get(f"/accounts/verify/{token}/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "your email address is confirmed" in response.content.decode()
    assert "_auth_user_id" not in client.session
    newcomer.refresh_from_db()
    assert newcomer.email_verified_at is not None


def test_a_second_click_says_already_confirmed(client, newcomer):
    token = verification.make_token(newcomer)
    client.get(f"/accounts/verify/{token}/")
    first = User.objects.get(pk=newcomer.pk).email_verified_at
    response = client.get(f"/accounts/verify/{token}/", follow=True)
    assert "already confirmed" in response.content.decode()
    assert User.objects.get(pk=newcomer.pk).email_verified_at == first


def test_a_link_just_inside_three_days_still_works(client, newcomer):
    token = token_signed_at(newcomer, seconds_ago=3 * 24 * 3600 - 120)
    assert client.get(f"/accounts/verify/{token}/").status_code == 302
    assert User.objects.get(pk=newcomer.pk).email_verified_at is not None


def test_an_expired_link_is_refused_and_offers_a_new_one(client, newcomer):
    token = token_signed_at(newcomer, seconds_ago=3 * 24 * 3600 + 60)
    client.force_login(newcomer)
    response = client.get(f"/accounts/verify/{token}/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This link has expired" in html and "Send a new link" in html
    assert User.objects.get(pk=newcomer.pk).email_verified_at is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature
        lambda t: "x" + t[1:],  # payload
        lambda t: t.split(":")[0],  # no signature at all
        lambda t: "not-a-token",
    ],
)
def test_a_tampered_link_is_refused(client, newcomer, tamper):
    response = client.get(f"/accounts/verify/{tamper(verification.make_token(newcomer))}/")
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert User.objects.get(pk=newcomer.pk).email_verified_at is None


def test_a_token_signed_for_something_else_is_refused(client, newcomer):
    other = signing.dumps({"u": newcomer.pk, "e": verification.fingerprint(newcomer.email)}, salt="other")
    assert client.get(f"/accounts/verify/{other}/").status_code == 400
    assert User.objects.get(pk=newcomer.pk).email_verified_at is None


def test_a_link_for_an_old_address_stops_working(client, newcomer):
    token = verification.make_token(newcomer)
    User.objects.filter(pk=newcomer.pk).update(email="new-address@example.org")
    assert client.get(f"/accounts/verify/{token}/").status_code == 400
    assert User.objects.get(pk=newcomer.pk).email_verified_at is None


def test_a_link_for_a_deleted_or_inactive_account_is_refused(client, newcomer):
    token = verification.make_token(newcomer)
    User.objects.filter(pk=newcomer.pk).update(is_active=False)
    assert client.get(f"/accounts/verify/{token}/").status_code == 400


def test_resend_sends_a_fresh_link_and_is_rate_limited(client, newcomer):
    client.force_login(newcomer)
    page = client.get("/accounts/verify/")
    assert page.status_code == 200 and "Send a new link" in page.content.decode()
    for _ in range(3):
        response = client.post("/accounts/verify/")
        assert response.status_code == 302
    assert len(mail.outbox) == 3
    refused = client.post("/accounts/verify/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many attempts, try again in" in refused.content.decode()
    assert len(mail.outbox) == 3
    # Any of the links sent works.
    assert client.get(last_link(VERIFY_LINK)).status_code == 302
    assert User.objects.get(pk=newcomer.pk).email_verified_at is not None


def test_resend_for_a_confirmed_address_sends_nothing(client, alice):
    client.force_login(alice)
    response = client.post("/accounts/verify/", follow=True)
    assert "already confirmed" in response.content.decode()
    assert mail.outbox == []


def test_resend_needs_an_account(client):
    response = client.post("/accounts/verify/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert mail.outbox == []


@pytest.mark.parametrize("address", ["alice@example.org", "ALICE@example.org", "Alice@EXAMPLE.ORG"])
def test_a_taken_address_in_any_case_makes_no_account_and_its_owner_is_told(client, alice, address):
    response = client.post("/accounts/signup/", signup_data(email=address))
    assert response.status_code == 302  # as for a new address (test_signup_privacy)
    assert not User.objects.filter(username="dana").exists()
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_duplicate_username_in_any_case_is_refused(client, alice):
    response = client.post("/accounts/signup/", signup_data(username="ALICE"))
    assert response.status_code == 400
    assert "A user with that username already exists" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address"),
        ({"email": ""}, "This field is required"),
        ({"password2": "something-else-entirely"}, "The two password fields didn"),
        ({"password1": "short", "password2": "short"}, "too short"),
        ({"password1": "password123", "password2": "password123"}, "too common"),
        ({"username": "no spaces allowed"}, "Enter a valid username"),
    ],
)
def test_bad_signups_say_what_is_wrong(client, overrides, message):
    response = client.post("/accounts/signup/", signup_data(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html and "_error" in html
    assert not User.objects.exists()


def test_signup_ignores_an_offsite_next(client):
    response = client.post("/accounts/signup/", {**signup_data(), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_signup_is_rate_limited_per_ip(client):
    for _ in range(10):
        assert client.post("/accounts/signup/", {}).status_code == 400
    refused = client.post("/accounts/signup/", signup_data())
    assert refused.status_code == 429
    html = refused.content.decode()
    assert re.search(r"Too many attempts, try again in \d+ minutes?\.", html)
    assert not User.objects.exists()
    # Another address is counted separately.
    other = client.post("/accounts/signup/", signup_data(), REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302


def test_signup_still_works_when_the_mail_server_is_down(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.EMAIL_USE_TLS = False
    response = client.post("/accounts/signup/", signup_data(), follow=True)
    assert User.objects.filter(username="dana").exists()
    assert "We could not send the email to dana@example.org just now" in response.content.decode()


def test_passwords_are_hashed_with_argon2(client, settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    client.post("/accounts/signup/", signup_data())
    user = User.objects.get(username="dana")
    assert user.password.startswith("argon2")
    assert user.check_password("correct-horse-battery-9")


def test_an_unconfirmed_reader_is_sent_a_new_link_instead_of_logging_in(client, newcomer):
    response = client.post("/accounts/login/", {"username": "newcomer", "password": PASSWORD})
    assert "Confirm your email address first" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(last_link(VERIFY_LINK)).status_code == 302
    assert client.post("/accounts/login/", {"username": "newcomer", "password": PASSWORD}).status_code == 302
