"""Bearer tokens (hashed, revocable, rate-limited on failure) and session auth with CSRF."""

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from api.models import ApiToken
from api.tests.conftest import API, bearer, error_of
from discussions.models import Comment
from discussions.tests.conftest import make_user

pytestmark = pytest.mark.django_db


def post(client, thread, **extra):
    url = f"{API}/threads/{thread.pk}/comments"
    return client.post(url, json.dumps({"body": "Hi"}), content_type="application/json", **extra)


def test_token_identifies_the_caller_and_records_its_use(alice):
    token, key = ApiToken.issue(alice, "phone")
    assert token.last_used_at is None
    response = Client(headers=bearer(key)).get(f"{API}/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": "alice",
        "display_name": "Alice Martin",
        "initials": "AM",
        "email_verified": True,
        "can_feature": False,
        "auth": "token",
    }
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_me_needs_someone(anon):
    response = anon.get(f"{API}/me")
    assert response.status_code == 401 and error_of(response)["code"] == "not_authenticated"


def test_only_a_hash_of_the_key_is_stored(alice):
    token, key = ApiToken.issue(alice)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert key not in stored and key[len("agora_") :] not in stored


@pytest.mark.parametrize(
    "header",
    ["Bearer agora_not-a-real-key", "Bearer ", "Token agora_whatever", "agora_whatever"],
    ids=["unknown", "empty", "wrong-scheme", "no-scheme"],
)
def test_bad_tokens_are_401_on_reads_and_writes(alice, thread, header):
    client = Client(headers={"Authorization": header})
    for response in (client.get(f"{API}/threads/{thread.pk}/comments"), post(client, thread)):
        assert response.status_code == 401
        assert error_of(response)["code"] == "invalid_token"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Comment.objects.exists()


def test_revoked_tokens_and_disabled_accounts_are_refused(alice, thread):
    token, key = ApiToken.issue(alice)
    client = Client(headers=bearer(key))
    assert post(client, thread).status_code == 201
    token.revoke()
    response = post(client, thread)
    assert response.status_code == 401
    assert error_of(response) == {"code": "invalid_token", "message": "This token has been revoked."}

    _, key = ApiToken.issue(alice)
    alice.is_active = False
    alice.save()
    response = post(Client(headers=bearer(key)), thread)
    assert response.status_code == 401 and "disabled" in error_of(response)["message"]
    assert Comment.objects.count() == 1


def test_token_failures_are_rate_limited_per_address(settings, alice):
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "token_failure": 2}
    _, key = ApiToken.issue(alice)
    guesser = Client(headers=bearer("agora_guess"), REMOTE_ADDR="203.0.113.9")
    assert [guesser.get(f"{API}/me").status_code for _ in range(2)] == [401, 401]
    blocked = guesser.get(f"{API}/me")
    assert blocked.status_code == 429
    assert error_of(blocked)["code"] == "rate_limited"
    assert 1 <= int(blocked["Retry-After"]) <= 60
    # Guessing stays refused from that address; a valid key from it works all the same.
    assert guesser.get(f"{API}/me").status_code == 429
    assert Client(headers=bearer(key), REMOTE_ADDR="203.0.113.9").get(f"{API}/me").status_code == 200
    assert Client(headers=bearer(key), REMOTE_ADDR="198.51.100.7").get(f"{API}/me").status_code == 200


def test_ten_bad_tokens_from_an_address_never_block_a_valid_one_from_it(alice):
    """The documented default (10 failures a minute): an address past it still serves valid tokens."""
    _, key = ApiToken.issue(alice)
    guesser = Client(headers=bearer("agora_guess"), REMOTE_ADDR="203.0.113.10")
    failures = [guesser.get(f"{API}/me").status_code for _ in range(11)]
    assert failures == [401] * 10 + [429]
    owner = Client(headers=bearer(key), REMOTE_ADDR="203.0.113.10")
    assert owner.get(f"{API}/me").status_code == 200
    assert (
        owner.post(f"{API}/threads/0/comments", {"body": "x"}, content_type="application/json").status_code
        == 404
    )


# --- Sessions ----------------------------------------------------------------------------------------------


def test_session_write_needs_the_csrf_token(alice, thread):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    refused = post(browser, thread)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "csrf_failed"
    assert not Comment.objects.exists()

    csrf = browser.get(f"{API}/csrf").json()["csrf_token"]
    assert post(browser, thread, headers={"X-CSRFToken": csrf}).status_code == 201
    assert browser.get(f"{API}/me").json()["auth"] == "session"


def test_anonymous_session_write_is_401_not_a_csrf_error(thread):
    response = post(Client(enforce_csrf_checks=True), thread)
    assert response.status_code == 401


def test_token_writes_need_no_csrf(alice, thread):
    _, key = ApiToken.issue(alice)
    assert post(Client(enforce_csrf_checks=True, headers=bearer(key)), thread).status_code == 201


# --- Making and revoking tokens -------------------------------------------------------------------------


def test_create_api_token_command_prints_the_key_once(alice):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "alice", "--name", "ci", stdout=out, stderr=err)
    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.name == "ci" and token.user == alice
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert "cannot be shown again" in err.getvalue()
    assert Client(headers=bearer(key)).get(f"{API}/me").json()["username"] == "alice"


def test_create_api_token_command_refuses_unknown_users(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody")


def test_tokens_are_revoked_in_the_admin(alice):
    token, key = ApiToken.issue(alice, "laptop")
    admin = make_user("admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/api/apitoken/")
    assert listing.status_code == 200 and b"laptop" in listing.content
    assert client.get("/admin/api/apitoken/add/").status_code == 403
    response = client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client(headers=bearer(key)).get(f"{API}/me").status_code == 401
