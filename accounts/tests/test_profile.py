"""The public profile, editing it, avatar initials, and the "Your account" page."""

import pytest
from django.contrib.auth import get_user_model

from discussions.tests.conftest import make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_your_account_needs_logging_in(client):
    response = client.get("/accounts/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/accounts/"


def test_your_account_links_to_everything(client, alice):
    client.force_login(alice)
    html = client.get("/accounts/").content.decode()
    for href in (
        "/accounts/profile/",
        "/accounts/people/alice/",
        "/accounts/password/",
        "/accounts/data.json",
        "/accounts/erase/",
    ):
        assert f'href="{href}"' in html
    assert "alice@example.org" in html and "confirmed" in html
    assert "Confirm your email address" not in html


def test_edit_profile_and_see_it_in_public(client, bob):
    client.force_login(bob)
    page = client.get("/accounts/profile/").content.decode()
    assert '<label for="id_display_name">' in page and '<label for="id_bio">' in page
    assert 'aria-describedby="id_bio_helptext"' in page and "<textarea" in page
    response = client.post(
        "/accounts/profile/", {"display_name": "  Robert   Dupont ", "bio": " Reader in Lyon. "}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/people/bob/"
    bob.refresh_from_db()
    assert bob.display_name == "Robert Dupont" and bob.bio == "Reader in Lyon."
    client.logout()
    html = client.get("/accounts/people/bob/").content.decode()
    assert '<h1 id="profile-name">Robert Dupont</h1>' in html
    assert "Reader in Lyon." in html and "@bob" in html
    assert ">RD<" in html  # the avatar
    assert "Edit your profile" not in html  # only for its owner


def test_an_empty_display_name_falls_back_to_the_username(client, alice):
    client.force_login(alice)
    client.post("/accounts/profile/", {"display_name": "", "bio": ""})
    alice.refresh_from_db()
    assert alice.public_name == "alice" and alice.initials == "A"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"display_name": "x" * 61, "bio": ""}, "at most 60 characters"),
        ({"display_name": "Bob", "bio": "x" * 281}, "at most 280 characters"),
        ({"display_name": "[deleted]", "bio": ""}, "kept for labels"),
        ({"display_name": "[ moderator ]", "bio": ""}, "kept for labels"),
    ],
)
def test_bad_profile_input_is_refused_and_explained(client, bob, data, message):
    client.force_login(bob)
    response = client.post("/accounts/profile/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'aria-invalid="true"' in html
    bob.refresh_from_db()
    assert bob.display_name == "" and bob.bio == ""


def test_editing_needs_logging_in(client):
    response = client.post("/accounts/profile/", {"display_name": "Sneaky"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_and_inactive_profiles_are_404(client):
    assert client.get("/accounts/people/nobody/").status_code == 404
    make_user("gone", is_active=False)
    assert client.get("/accounts/people/gone/").status_code == 404


@pytest.mark.parametrize(
    ("username", "display_name", "initials"),
    [
        ("alice", "Alice Martin", "AM"),
        ("alice", "alice marie martin", "AM"),
        ("jean_luc.picard", "", "JL"),
        ("bob", "", "B"),
        ("ada", "Ünal Öztürk", "ÜÖ"),
        ("zed", "   ", "Z"),
    ],
)
def test_initials(username, display_name, initials):
    assert User(username=username, display_name=display_name.strip()).initials == initials
