"""GET /accounts/data.json: everything we hold about the reader, and nobody else's."""

import json

import pytest

from discussions import services
from discussions.lifecycle import set_status
from discussions.models import Comment
from posting import actions

pytestmark = pytest.mark.django_db


def test_download_needs_logging_in(client):
    response = client.get("/accounts/data.json")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_only_get(client, alice):
    client.force_login(alice)
    assert client.post("/accounts/data.json").status_code == 405


def test_download_holds_all_of_your_data(client, alice, bob, carol, thread):
    alice.bio = "Reader in Leeds."
    alice.save()
    root = actions.post_comment(alice, thread, "First thoughts, @bob?")
    actions.edit_comment(alice, root, "Second thoughts, @bob?")
    held = actions.post_comment(alice, thread, "Needs review")
    set_status(held, Comment.Status.HELD)
    reply = actions.post_comment(bob, thread, "A reply by bob", root)
    services.react(alice, reply)
    services.react(bob, root)
    mention = actions.post_comment(carol, thread, "Agree with @alice")
    actions.post_comment(bob, thread, "Bob's own point")

    client.force_login(alice)
    response = client.get("/accounts/data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="alice-data-')
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    data = json.loads(response.content)

    profile = data["profile"]
    assert profile["username"] == "alice" and profile["email"] == "alice@example.org"
    assert profile["display_name"] == "Alice Martin" and profile["bio"] == "Reader in Leeds."
    assert profile["email_verified_at"] and profile["date_joined"]
    assert profile["profile_url"] == "http://testserver/accounts/people/alice/"

    comments = {c["id"]: c for c in data["comments"]}
    assert set(comments) == {root.pk, held.pk}  # none of bob's or carol's
    first = comments[root.pk]
    assert first["body"] == "Second thoughts, @bob?"
    assert first["status"] == "published" and first["created_at"] and first["edited_at"]
    assert first["thread"]["id"] == thread.pk and first["thread"]["title"] == "Harbour talks resume"
    assert first["thread"]["url"].startswith("http://testserver/") and first["reaction_count"] == 1
    assert [r["body"] for r in first["revisions"]] == ["First thoughts, @bob?"]
    assert first["url"] == f"http://testserver/discussions/comments/{root.pk}/#c{root.pk}"
    assert comments[held.pk]["status"] == "held"

    assert [r["comment_id"] for r in data["reactions"]] == [reply.pk]
    assert data["mentions"]["of_you"] == [
        {
            "comment_id": mention.pk,
            "comment_url": f"http://testserver/discussions/comments/{mention.pk}/#c{mention.pk}",
        }
    ]
    assert data["mentions"]["by_you"] == [{"comment_id": root.pk, "username": "bob"}]
    text = response.content.decode()
    assert "A reply by bob" not in text and "Bob's own point" not in text and "Agree with" not in text


def test_a_new_account_downloads_an_empty_history(client, newcomer):
    client.force_login(newcomer)
    data = json.loads(client.get("/accounts/data.json").content)
    assert data["comments"] == [] and data["reactions"] == []
    assert data["mentions"] == {"of_you": [], "by_you": []}
    assert data["profile"]["email_verified_at"] is None


def test_the_download_holds_notifications_email_choices_and_mutes(
    client, alice, bob, thread, django_capture_on_commit_callbacks
):
    from accounts.services import mute
    from notifications.services import set_frequency

    with django_capture_on_commit_callbacks(execute=True):
        root = actions.post_comment(alice, thread, "Root")
        actions.post_comment(bob, thread, "A reply by bob", root)
    set_frequency(alice, "reaction", "weekly")
    mute(alice, bob)
    client.force_login(alice)
    data = json.loads(client.get("/accounts/data.json").content)
    (note,) = data["notifications"]
    assert note["kind"] == "reply" and note["url"].startswith("http://testserver/discussions/comments/")
    assert data["email_preferences"] == {"reaction": "weekly"} and data["muted"] == ["bob"]
    assert "A reply by bob" not in client.get("/accounts/data.json").content.decode()  # bob's words are his
