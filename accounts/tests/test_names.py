"""Nobody passes for someone else: display names, usernames, and the badges of the newsroom."""

import pytest

from accounts.roles import EDITORS, MODERATORS
from discussions.tests.conftest import make_user
from posting import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def tomas(db):
    return make_user("tomas", display_name="Tomas")


def set_display_name(client, user, name):
    client.force_login(user)
    return client.post("/accounts/profile/", {"display_name": name, "bio": ""})


@pytest.mark.parametrize("name", ["tomas", "TOMAS", "t o m a s", "Tom.as"])
def test_a_display_name_that_reads_as_another_readers_username_is_refused(client, alice, tomas, name):
    response = set_display_name(client, alice, name)
    assert response.status_code == 400 and "another reader&#x27;s username" in response.content.decode()
    alice.refresh_from_db()
    assert alice.display_name == "Alice Martin"


@pytest.mark.parametrize("name", ["Agora Moderator", "M0derator", "The Staff", "agora", "Site Admin"])
def test_a_display_name_that_passes_for_the_newsroom_is_refused(client, alice, name):
    response = set_display_name(client, alice, name)
    assert "moderators or staff" in response.content.decode()
    alice.refresh_from_db()
    assert alice.display_name == "Alice Martin"


@pytest.mark.parametrize("name", ["Badminton fan", "Moderately wise", "Tomasz", "Alice M."])
def test_ordinary_names_are_fine(client, alice, tomas, name):
    assert set_display_name(client, alice, name).status_code == 302
    alice.refresh_from_db()
    assert alice.display_name == name


def test_a_moderator_may_say_so(client):
    moderator = make_user("kim", role=MODERATORS)
    assert set_display_name(client, moderator, "Agora Moderator").status_code == 302


def test_a_username_that_passes_for_the_newsroom_is_refused_at_sign_up(client):
    data = {"username": "agora_moderator", "email": "x@example.org"}
    data |= {"password1": "correct-horse-battery-9", "password2": "correct-horse-battery-9"}
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 400 and "moderators or staff" in response.content.decode()


def test_comments_show_the_username_beside_the_name_and_the_newsroom_badge(client, article, thread, tomas):
    editor = make_user("reporter", role=EDITORS, display_name="Dana Reporter")
    actions.post_comment(tomas, thread, "A reader's view.")
    actions.post_comment(editor, thread, "From the newsroom.")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Tomas</a>" in html and "@tomas" in html
    assert "@reporter" in html and '<span class="badge badge--role">Journalist</span>' in html
    assert html.count("badge--role") == 1
    api = client.get(f"/api/v1/threads/{thread.pk}/comments").json()
    badges = {c["author"]["username"]: c["author"]["badge"] for c in api["comments"]}
    assert badges == {"tomas": "", "reporter": "Journalist"}
