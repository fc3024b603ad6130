"""The public profile, editing it, avatar initials, and the "Your account" page."""

import pytest
from django.contrib.auth import get_user_model

from discussions.lifecycle import set_status
from discussions.tests.conftest import make_user
from moderation import services as featuring
from posting import actions

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


# --- the public page: comments, counts, picks; muting -------------------------------------------------


def _comments(thread, author, count: int) -> list:
    """`count` published comments, oldest first (bulk: posting this many would meet the rate limit)."""
    from discussions.models import Comment
    from discussions.tests.conftest import bulk_thread

    bulk_thread(thread, author, roots=count)
    return list(Comment.objects.filter(thread=thread, author=author).order_by("created_at", "id"))


def test_a_profile_lists_published_comments_newest_first_in_keyset_pages(client, alice, bob, thread):
    from accounts import selectors
    from discussions import services
    from discussions.models import Comment
    from moderation.models import ModerationRule

    posted = _comments(thread, bob, selectors.PROFILE_PAGE_SIZE + 5)
    ModerationRule.objects.create(phrase="secret", kind=ModerationRule.Kind.SUSPECT)
    held = actions.post_comment(bob, thread, "A secret held for review")
    set_status(posted[0], Comment.Status.REMOVED)
    services.react(alice, posted[-1])
    featuring.set_featured(make_user("eddie", role="Editors", is_staff=True), posted[-1], True)
    html = client.get("/accounts/people/bob/").text
    assert html.count('class="profile-comment"') == selectors.PROFILE_PAGE_SIZE + 1  # and one pick
    assert html.index("Comment 24") < html.index("Comment 23")
    assert f"/discussions/comments/{posted[-1].pk}/#c{posted[-1].pk}" in html and str(thread) in html
    assert held.body not in html and "Comment 0<" not in html  # held and removed: not public
    assert "<dd>24</dd>" in html and "<dd>1</dd>" in html  # comments; respect and picks
    older = client.get("/accounts/people/bob/", {"after": selectors.published_comments(bob).next_cursor}).text
    assert older.count('class="profile-comment"') == 4 + 1 and "Comment 1<" in older
    assert 'rel="next"' not in older


def test_a_profile_costs_the_same_queries_with_3_and_60_comments(client, alice, bob, thread):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)
    used = []
    for count in (3, 57):
        _comments(thread, bob, count)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/accounts/people/bob/").status_code == 200
        used.append(len(captured))
    # person, comments, counts, picks; session, user, mutes; the header: 2 permissions, the bell, sections
    assert used[0] == used[1] <= 11


def test_muting_and_unmuting_a_reader(client, alice, bob):
    from accounts.models import Mute

    client.force_login(alice)
    assert "Mute bob" in client.get("/accounts/people/bob/").text
    response = client.post("/accounts/people/bob/mute/")
    assert response.status_code == 302 and Mute.objects.filter(muter=alice, muted=bob).exists()
    assert "You muted bob." in client.get("/accounts/people/bob/").text
    assert "bob" in client.get("/accounts/muted/").text
    client.post("/accounts/people/bob/mute/")  # twice: still one
    assert Mute.objects.count() == 1
    client.post("/accounts/people/bob/mute/", {"undo": "1", "next": "/accounts/muted/"})
    assert not Mute.objects.exists()
    assert "Mute" not in client.get("/accounts/people/alice/").text.split("<main")[1]  # not yourself
    assert client.post("/accounts/people/alice/mute/").status_code == 302 and not Mute.objects.exists()
    client.logout()
    assert client.post("/accounts/people/bob/mute/").status_code == 302  # to log in
    assert not Mute.objects.exists()


def test_a_muted_readers_comments_fold_away_and_they_are_not_told(client, alice, bob, thread, article):
    from accounts import services as accounts

    comment = actions.post_comment(bob, thread, "Bob's view on the harbour.")
    accounts.mute(alice, bob)
    client.force_login(alice)
    html = client.get(article.get_absolute_url()).text
    assert '<details class="comment--muted"><summary>A comment by bob, whom you muted</summary>' in html
    assert "Bob's view on the harbour." in html  # still there, one click away
    permalink = client.get(f"/discussions/comments/{comment.pk}/").text
    assert "whom you muted" in permalink
    client.force_login(bob)
    assert "muted" not in client.get(article.get_absolute_url()).text.lower()
    assert "muted" not in client.get("/accounts/people/alice/").text.lower()
