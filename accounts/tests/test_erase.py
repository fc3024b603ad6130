"""Erasing your account: password first, then one transaction that leaves other readers' data alone."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError
from django.db.models import Count, Q

from accounts import throttle
from accounts.tests.conftest import PASSWORD
from discussions import services
from discussions.lifecycle import set_status
from discussions.models import Comment, CommentRevision, Mention, Reaction, Thread
from discussions.tests.conftest import make_user
from moderation import services as featuring
from posting import actions

pytestmark = pytest.mark.django_db
User = get_user_model()


def assert_counts_are_right(thread):
    """The denormalised counts equal a fresh count of published comments."""
    published = Comment.objects.filter(thread=thread, status=Comment.Status.PUBLISHED)
    assert Thread.objects.get(pk=thread.pk).comment_count == published.count()
    for root in Comment.objects.filter(thread=thread, depth=0).annotate(
        live=Count("descendants", filter=Q(descendants__status=Comment.Status.PUBLISHED))
    ):
        assert root.reply_count == root.live, root
    for comment in Comment.objects.filter(thread=thread).annotate(n=Count("reactions")):
        assert comment.reaction_count == comment.n, comment


def others_snapshot(*users):
    return sorted(
        Comment.objects.filter(author__in=users).values_list(
            "pk", "body", "body_html", "status", "parent_id", "is_featured", "edited_at"
        )
    )


@pytest.fixture
def discussion(alice, bob, carol, thread):
    """Alice writes, edits, reacts and is mentioned; Bob and Carol reply to her and react."""
    root = actions.post_comment(alice, thread, "Alice's opening point about the harbour, cc @bob")
    actions.edit_comment(alice, root, "Alice's opening point about the harbour (edited), cc @bob")
    bob_reply = actions.post_comment(bob, thread, "Bob replies to Alice", root)
    alice_reply = actions.post_comment(alice, thread, "Alice answers Bob", bob_reply)
    carol_reply = actions.post_comment(
        carol, thread, "Carol replies under Alice's answer, @alice", alice_reply
    )
    held = actions.post_comment(alice, thread, "Alice's comment waiting for review")
    set_status(held, Comment.Status.HELD)
    own_deleted = actions.post_comment(alice, thread, "Alice deleted this herself")
    actions.delete_own_comment(alice, own_deleted)
    bob_root = actions.post_comment(bob, thread, "Bob's separate point")
    services.react(alice, bob_root)
    services.react(alice, carol_reply)
    services.react(bob, root)
    services.react(carol, bob_root)
    featuring.set_featured(make_editor(), root, True)
    return {
        "root": root,
        "bob_reply": bob_reply,
        "alice_reply": alice_reply,
        "carol_reply": carol_reply,
        "held": held,
        "own_deleted": own_deleted,
        "bob_root": bob_root,
    }


def make_editor():
    editor = make_user("editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    return editor


def test_the_page_needs_logging_in(client):
    assert client.get("/accounts/erase/").status_code == 302
    assert client.post("/accounts/erase/", {"password": PASSWORD}).status_code == 302


def test_the_page_explains_and_asks_for_the_password(client, alice):
    client.force_login(alice)
    html = client.get("/accounts/erase/").content.decode()
    assert "This cannot be undone" in html
    assert '<label for="id_password">Your password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert 'href="/accounts/data.json"' in html


@pytest.mark.parametrize("password", ["", "not-my-password", PASSWORD.upper()])
def test_a_wrong_password_erases_nothing(client, alice, discussion, password):
    client.force_login(alice)
    before = others_snapshot(alice)
    response = client.post("/accounts/erase/", {"password": password})
    assert response.status_code == 400
    html = response.content.decode()
    assert "That is not your password" in html or "This field is required" in html
    assert User.objects.filter(pk=alice.pk).exists()
    assert others_snapshot(alice) == before
    assert client.get("/accounts/").status_code == 200  # still logged in


def test_password_guesses_are_limited(client, alice):
    client.force_login(alice)
    for _ in range(throttle.ERASE_PER_USER.limit):
        assert client.post("/accounts/erase/", {"password": "guess"}).status_code == 400
    refused = client.post("/accounts/erase/", {"password": PASSWORD})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    html = refused.content.decode()
    assert "Too many attempts, try again in" in html and "That is not your password" not in html
    assert User.objects.filter(pk=alice.pk).exists()


def test_erasing_end_to_end(
    client, alice, bob, carol, article, thread, discussion, django_capture_on_commit_callbacks
):
    d = discussion
    alice_ids = [d[k].pk for k in ("root", "alice_reply", "held", "own_deleted")]
    others_before = others_snapshot(bob, carol)
    bob_reaction_on_alice = Reaction.objects.get(user=bob, comment=d["root"])
    # An anonymous reader's copy of the page is cached before the erasure.
    page_before = client.get(article.get_absolute_url()).content.decode()
    assert "opening point about the harbour" in page_before

    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/erase/", {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[0] == ("/", 302)
    assert "Your account is erased" in response.content.decode()
    assert "_auth_user_id" not in client.session

    # The user row is gone; the comments stay as empty, authorless tombstones.
    assert not User.objects.filter(username="alice").exists()
    for comment in Comment.objects.filter(pk__in=alice_ids):
        assert (comment.body, comment.body_html, comment.status) == ("", "", Comment.Status.DELETED)
        assert comment.author_id is None and not comment.is_featured and comment.edited_at is None
    assert not CommentRevision.objects.filter(comment_id__in=alice_ids).exists()
    # Her reactions are gone, and the counts on what she reacted to went down.
    assert not Reaction.objects.filter(user_id=alice.pk).exists()
    assert Comment.objects.get(pk=d["bob_root"].pk).reaction_count == 1  # Carol's
    assert Comment.objects.get(pk=d["carol_reply"].pk).reaction_count == 0
    # Mentions of her and by her are gone.
    assert not Mention.objects.filter(Q(user_id=alice.pk) | Q(comment_id__in=alice_ids)).exists()
    # Published counts are exactly right (two of her five were published).
    assert Thread.objects.get(pk=thread.pk).comment_count == 3
    assert Comment.objects.get(pk=d["root"].pk).reply_count == 2  # Bob's and Carol's replies
    assert_counts_are_right(thread)

    # Nothing of anyone else changed: their comments, and Bob's reaction row.
    assert others_snapshot(bob, carol) == others_before
    assert Reaction.objects.filter(pk=bob_reaction_on_alice.pk).exists()
    assert User.objects.filter(username__in=["bob", "carol"]).count() == 2

    # The article page (fresh, not the cached copy) keeps the replies under "[deleted]".
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Bob replies to Alice" in html and "Carol replies under" in html
    assert "[deleted]" in html
    assert "opening point" not in html and "Alice answers Bob" not in html and "Alice Martin" not in html
    # And the erased comment's own permalink shows the tombstone.
    permalink = client.get(f"/discussions/comments/{d['root'].pk}/").content.decode()
    assert "[deleted]" in permalink and "Bob replies to Alice" in permalink


def test_erasing_someone_with_no_activity(client, newcomer):
    client.force_login(newcomer)
    response = client.post("/accounts/erase/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=newcomer.pk).exists()


def test_the_same_username_can_sign_up_again_without_inheriting_anything(client, alice, thread):
    actions.post_comment(alice, thread, "Old words")
    client.force_login(alice)
    client.post("/accounts/erase/", {"password": PASSWORD})
    client.post(
        "/accounts/signup/",
        {
            "username": "alice",
            "email": "alice@example.org",
            "password1": "correct-horse-battery-9",
            "password2": "correct-horse-battery-9",
        },
    )
    new_alice = User.objects.get(username="alice")
    assert not Comment.objects.filter(author=new_alice).exists()
    assert not Comment.objects.filter(body="Old words").exists()


def test_deleting_a_user_in_the_admin_erases_the_same_way(client, alice, bob, thread):
    root = actions.post_comment(alice, thread, "Alice's words")
    actions.post_comment(bob, thread, "Bob's reply", root)
    bob_root = actions.post_comment(bob, thread, "Bob's point")
    services.react(alice, bob_root)
    admin = make_user("boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(f"/admin/accounts/user/{alice.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    root.refresh_from_db()
    assert (root.body, root.status, root.author_id) == ("", Comment.Status.DELETED, None)
    assert_counts_are_right(thread)
    assert Thread.objects.get(pk=thread.pk).comment_count == 2


def test_bulk_delete_in_the_admin_erases_each_user(client, alice, bob, carol, thread):
    actions.post_comment(alice, thread, "Alice's words")
    actions.post_comment(bob, thread, "Bob's words")
    actions.post_comment(carol, thread, "Carol's words")
    admin = make_user("boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [alice.pk, bob.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(
        User.objects.filter(username__in=["alice", "bob", "carol"]).values_list("username", flat=True)
    ) == ["carol"]
    assert_counts_are_right(thread)
    assert Thread.objects.get(pk=thread.pk).comment_count == 1


def test_erasure_is_one_transaction(client, alice, bob, thread):
    """A failure near the end (a count that would go negative) leaves everything as it was."""
    root = actions.post_comment(alice, thread, "Alice's words")
    actions.edit_comment(alice, root, "Alice's edited words")
    actions.post_comment(bob, thread, "Bob's reply", root)
    bob_root = actions.post_comment(bob, thread, "Bob's point")
    services.react(alice, bob_root)
    Comment.objects.filter(pk=bob_root.pk).update(reaction_count=0)  # a corrupted count
    before = sorted(Comment.objects.values_list("pk", "body", "status", "author_id", "reply_count"))
    client.force_login(alice)
    with pytest.raises(IntegrityError):
        client.post("/accounts/erase/", {"password": PASSWORD})
    assert User.objects.filter(pk=alice.pk).exists()
    assert sorted(Comment.objects.values_list("pk", "body", "status", "author_id", "reply_count")) == before
    assert Thread.objects.get(pk=thread.pk).comment_count == 3
    assert CommentRevision.objects.filter(comment=root).count() == 1
    assert Reaction.objects.filter(user=alice).count() == 1
