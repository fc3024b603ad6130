"""The comment lifecycle and every refusal, through the services the views and API share."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings

from articles.models import Article
from articles.tests.conftest import build_article
from discussions import services
from discussions.errors import CommentError
from discussions.lifecycle import set_status
from discussions.models import Comment, CommentRevision, Mention, Reaction, Thread
from moderation import services as featuring
from moderation.models import AuditEntry
from posting import actions

pytestmark = pytest.mark.django_db


def count(thread):
    return Thread.objects.get(pk=thread.pk).comment_count


def test_post_publishes_and_counts(alice, thread):
    comment = actions.post_comment(alice, thread, "  Good reporting.  ")
    assert comment.status == Comment.Status.PUBLISHED
    assert comment.body == "Good reporting."
    assert comment.body_html == "<p>Good reporting.</p>"
    assert count(thread) == 1


def test_replies_nest_and_deep_replies_flatten(alice, bob, thread):
    root = actions.post_comment(alice, thread, "Root")
    chain = [root]
    for level in range(1, 6):
        chain.append(actions.post_comment(bob if level % 2 else alice, thread, f"Level {level}", chain[-1]))
    depths = [c.depth for c in chain]
    assert depths == [0, 1, 2, 3, 4, 5]
    assert all(c.root_id == root.pk for c in chain[1:])
    # Depth 4 and 5 hang off the depth-3 reply, so they read after it, in posting order.
    assert chain[4].path.startswith(chain[3].path + ".")
    assert chain[5].path.startswith(chain[3].path + ".")
    assert chain[5].path.count(".") == chain[4].path.count(".")
    assert sorted(c.path for c in chain[1:]) == [c.path for c in chain[1:]]
    root.refresh_from_db()
    assert root.reply_count == 5
    assert count(thread) == 6


@pytest.mark.parametrize(("body", "code"), [("", "empty"), ("   \n\t ", "empty"), ("x" * 5001, "too_long")])
def test_empty_and_oversized_comments_are_refused(alice, thread, body, code):
    with pytest.raises(CommentError) as error:
        actions.post_comment(alice, thread, body)
    assert error.value.code == code
    assert Comment.objects.count() == 0 and count(thread) == 0


@override_settings(COMMENT_MAX_LENGTH=20)
def test_length_limit_is_configurable(alice, thread):
    with pytest.raises(CommentError, match="at most 20 characters"):
        actions.post_comment(alice, thread, "x" * 21)
    actions.post_comment(alice, thread, "x" * 20)


def test_reply_to_a_deleted_or_foreign_parent_is_refused(alice, bob, thread):
    parent = actions.post_comment(alice, thread, "Parent")
    actions.delete_own_comment(alice, parent)
    with pytest.raises(CommentError) as error:
        actions.post_comment(bob, thread, "Reply", parent)
    assert error.value.code == "bad_parent"
    other_thread = services.thread_for_article(build_article("Another story"))
    foreign = actions.post_comment(alice, other_thread, "Elsewhere")
    with pytest.raises(CommentError):
        actions.post_comment(bob, thread, "Reply", foreign)
    assert Comment.objects.count() == 2


def test_closed_article_refuses_comments_and_keeps_the_old_ones(alice, article, thread):
    actions.post_comment(alice, thread, "Before closing")
    Article.objects.filter(pk=article.pk).update(comment_policy=Article.CommentPolicy.CLOSED)
    thread.article.refresh_from_db()
    with pytest.raises(CommentError) as error:
        actions.post_comment(alice, thread, "After closing")
    assert error.value.code == "closed" and error.value.status == 403
    assert list(Comment.objects.values_list("body", flat=True)) == ["Before closing"]


def test_unverified_accounts_cannot_post_yet(thread):
    from discussions.tests.conftest import make_user

    with pytest.raises(CommentError) as error:
        actions.post_comment(make_user("newbie", verified=False), thread, "Hello")
    assert error.value.code == "unverified" and "Confirm your email" in error.value.message
    assert Comment.objects.count() == 0


def test_readers_can_read_but_not_post_or_react(alice, thread):
    from accounts.roles import READERS
    from discussions.tests.conftest import make_user

    reader = make_user("reader", role=READERS)
    with pytest.raises(CommentError) as error:
        actions.post_comment(reader, thread, "Hello")
    assert error.value.code == "not_a_commenter"
    with pytest.raises(CommentError):
        services.react(reader, actions.post_comment(alice, thread, "Hi"))
    assert Comment.objects.count() == 1


def test_client_key_makes_posting_idempotent(alice, thread):
    first = actions.post_comment(alice, thread, "Once", client_key="k-1")
    again = actions.post_comment(alice, thread, "Once", client_key="k-1")
    assert first.pk == again.pk
    assert Comment.objects.count() == 1 and count(thread) == 1


def test_edit_within_the_window_keeps_history(alice, thread):
    comment = actions.post_comment(alice, thread, "Frist")
    actions.edit_comment(alice, comment, "First")
    comment.refresh_from_db()
    assert comment.body == "First" and comment.edited_at is not None
    assert list(CommentRevision.objects.values_list("body", flat=True)) == ["Frist"]


def test_edit_after_the_window_or_by_someone_else_is_refused(alice, bob, thread):
    comment = actions.post_comment(alice, thread, "Original")
    with pytest.raises(CommentError) as error:
        actions.edit_comment(bob, comment, "Hijacked")
    assert error.value.status == 403
    Comment.objects.filter(pk=comment.pk).update(created_at=comment.created_at - timedelta(minutes=11))
    comment.refresh_from_db()
    with pytest.raises(CommentError) as error:
        actions.edit_comment(alice, comment, "Too late")
    assert error.value.code == "edit_window"
    comment.refresh_from_db()
    assert comment.body == "Original"


def test_delete_leaves_a_tombstone_and_the_replies(alice, bob, thread):
    root = actions.post_comment(alice, thread, "Root")
    reply = actions.post_comment(bob, thread, "Reply", root)
    actions.delete_own_comment(alice, root)
    root.refresh_from_db()
    assert root.status == Comment.Status.DELETED and root.body == "Root"  # hidden, not destroyed
    assert Comment.objects.get(pk=reply.pk).is_public
    assert count(thread) == 1
    with pytest.raises(CommentError):
        actions.delete_own_comment(bob, Comment.objects.get(pk=reply.pk).parent)


def test_one_reaction_per_reader(alice, bob, thread):
    comment = actions.post_comment(alice, thread, "React to me")
    services.react(bob, comment)
    with pytest.raises(CommentError) as error:
        services.react(bob, comment)
    assert error.value.code == "already_reacted"
    with pytest.raises(CommentError):
        services.react(alice, comment)
    assert Comment.objects.get(pk=comment.pk).reaction_count == 1
    services.unreact(bob, comment)
    assert Comment.objects.get(pk=comment.pk).reaction_count == 0
    assert Reaction.objects.count() == 0


def test_mentions_link_to_existing_readers_only(alice, bob, thread):
    comment = actions.post_comment(alice, thread, "Thanks @bob and @nobody.")
    assert '<a class="mention" href="/accounts/people/bob/"' in comment.body_html
    assert "@nobody" in comment.body_html and "people/nobody" not in comment.body_html
    assert list(Mention.objects.values_list("user__username", flat=True)) == ["bob"]


def test_featuring_needs_the_permission(alice, bob, thread):
    comment = actions.post_comment(alice, thread, "Insightful")
    with pytest.raises(CommentError):
        featuring.set_featured(bob, comment, True)
    bob.user_permissions.add(Permission.objects.get(codename="feature_comment"))
    bob = type(bob).objects.get(pk=bob.pk)
    featuring.set_featured(bob, comment, True)
    assert Comment.objects.get(pk=comment.pk).is_featured
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_id) == (bob, "feature_comment", str(comment.pk))


def test_status_changes_keep_counts_right(alice, bob, thread):
    root = actions.post_comment(alice, thread, "Root")
    reply = actions.post_comment(bob, thread, "Reply", root)
    set_status(reply, Comment.Status.HELD)
    assert count(thread) == 1 and Comment.objects.get(pk=root.pk).reply_count == 0
    set_status(reply, Comment.Status.PUBLISHED)
    assert count(thread) == 2 and Comment.objects.get(pk=root.pk).reply_count == 1
