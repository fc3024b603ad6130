"""A ban survives its reader erasing their account: signing up again with the same address is banned too."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.identity import email_fingerprint, normalise_email
from accounts.roles import MODERATORS
from accounts.tests.conftest import PASSWORD
from discussions.errors import CommentError
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import services as moderation
from moderation.models import AuditEntry, Ban
from posting import actions

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def mod(db):
    return make_user("mod", role=MODERATORS)


def erase_and_sign_up_again(client, user, email=None):
    client.force_login(user)
    assert client.post("/accounts/erase/", {"password": PASSWORD}).status_code == 302
    data = {
        "username": user.username,
        "email": email or user.email,
        "password1": "a-fresh-long-passphrase-9",
        "password2": "a-fresh-long-passphrase-9",
    }
    assert client.post("/accounts/signup/", data).status_code == 302
    again = User.objects.get(username=user.username)
    again.email_verified_at = timezone.now()
    again.save()
    return again


def test_a_banned_reader_who_erases_and_signs_up_again_is_still_banned(client, alice, mod, thread):
    moderation.ban(mod, alice, "Repeated insults.")
    again = erase_and_sign_up_again(client, alice)
    with pytest.raises(CommentError) as refused:
        actions.post_comment(again, thread, "I am back.")
    assert refused.value.code == "banned" and "Repeated insults." in refused.value.message
    assert Comment.objects.filter(author=again).count() == 0
    assert AuditEntry.objects.filter(action="carry_ban", target_id=str(again.pk)).exists()


def test_the_address_itself_is_not_kept_only_its_keyed_fingerprint(client, alice, mod):
    moderation.ban(mod, alice, "Spam.")
    client.force_login(alice)
    client.post("/accounts/erase/", {"password": PASSWORD})
    [ban] = Ban.objects.all()
    assert ban.user is None and ban.email_fingerprint == email_fingerprint("alice@example.org")
    assert "alice" not in ban.email_fingerprint and len(ban.email_fingerprint) == 64
    assert not User.objects.filter(email__iexact="alice@example.org").exists()


def test_the_same_mailbox_written_differently_is_recognised(client, mod):
    gmail = make_user("gm")
    gmail.email = "Jane.Doe+news@gmail.com"
    gmail.save()
    moderation.ban(mod, gmail, "Threats.")
    again = erase_and_sign_up_again(client, gmail, email="janedoe@googlemail.com")
    assert Ban.objects.filter(user=again, lifted_at__isnull=True).exists()
    assert normalise_email("Jane.Doe+news@Gmail.com") == "janedoe@gmail.com"


def test_a_suspension_carries_over_until_its_own_end_and_a_lifted_ban_does_not(client, alice, bob, mod):
    until = timezone.now() + timedelta(days=3)
    moderation.suspend(mod, alice, "Cooling off.", until=until)
    again = erase_and_sign_up_again(client, alice)
    carried = Ban.objects.get(user=again)
    assert carried.until == until
    moderation.ban(mod, bob, "Spam.")
    moderation.lift(mod, bob, "Appeal accepted.")
    client.logout()
    bob_again = erase_and_sign_up_again(client, bob)
    assert not Ban.objects.filter(user=bob_again).exists()


def test_other_addresses_are_not_affected(client, alice, mod):
    moderation.ban(mod, alice, "Spam.")
    client.force_login(alice)
    client.post("/accounts/erase/", {"password": PASSWORD})
    someone = make_user("someone")
    assert not Ban.objects.filter(user=someone).exists()


def test_the_privacy_page_says_what_is_kept(client):
    html = client.get("/accounts/privacy/").content.decode()
    assert "keyed fingerprint of your email address" in html and "The address itself is not kept" in html
