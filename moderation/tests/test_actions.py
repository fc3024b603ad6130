"""Moderators' actions: approve, reject, remove, warn, suspend, ban, lift — authorised, audited, counted."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from discussions.errors import CommentError
from discussions.lifecycle import set_status
from discussions.models import Comment
from moderation import services as moderation
from moderation import trust
from moderation.models import AuditEntry, Ban, ModerationDecision, UserTrust
from moderation.tests.conftest import counts
from notifications.models import Notification
from posting import actions

pytestmark = pytest.mark.django_db

TOXIC = "You are a stupid worthless piece of shit, shut up"


@pytest.fixture
def root(bob, thread):
    return actions.post_comment(bob, thread, "The root of the discussion.")


@pytest.fixture
def held_reply(alice, thread, root):
    reply = actions.post_comment(alice, thread, TOXIC, root)
    assert reply.status == "held"
    return reply


def audit_actions(target) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- approve and reject ------------------------------------------------------------------------------


def test_approving_publishes_counts_it_and_logs_it(moderator, held_reply, thread, root):
    assert counts(thread, root) == (1, 0)
    moderation.approve(moderator, held_reply, "Robust but fair")
    assert Comment.objects.get(pk=held_reply.pk).status == "published"
    assert counts(thread, root) == (2, 1)
    decision = ModerationDecision.objects.get(comment=held_reply, is_current=True)
    assert (decision.source, decision.action, decision.moderator) == ("moderator", "publish", moderator)
    entry = AuditEntry.objects.get(action="approve_comment")
    assert (entry.actor, entry.reason, entry.target_id) == (moderator, "Robust but fair", str(held_reply.pk))


def test_rejecting_tells_the_author_by_notification_and_email(
    moderator, held_reply, alice, thread, root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        moderation.reject(moderator, held_reply, "Personal abuse is not allowed here.")
    assert Comment.objects.get(pk=held_reply.pk).status == "rejected"
    assert counts(thread, root) == (1, 0)
    note = Notification.objects.get(recipient=alice)
    assert note.key.startswith("moderation:rejected:") and "Personal abuse is not allowed here." in note.text
    assert note.comment == held_reply
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.org"]
    assert "Personal abuse is not allowed here." in mail.outbox[0].body
    assert audit_actions(held_reply) == ["reject_comment"]


def test_trust_grows_with_approvals_and_drops_with_rejections(moderator, newcomer, thread, settings):
    settings.MODERATION_PREMODERATE_FIRST = 1
    settings.MODERATION_RATE_LIMITS = {"new": 10, "member": 10, "trusted": 10}
    first = actions.post_comment(newcomer, thread, "My first comment here.")
    moderation.approve(moderator, first)
    assert trust.level_of(newcomer) == trust.MEMBER
    second = actions.post_comment(newcomer, thread, "My second comment here.")
    assert second.status == "published"
    record = UserTrust.objects.get(user=newcomer)
    assert (record.score, record.approved_count, record.rejected_count) == (2, 2, 0)
    bad = actions.post_comment(newcomer, thread, TOXIC)
    moderation.reject(moderator, bad, "Abuse")
    record.refresh_from_db()
    assert (record.score, record.rejected_count) == (-3, 1)
    assert trust.level_of(newcomer) == trust.NEW  # pre-moderated again
    assert actions.post_comment(newcomer, thread, "A calmer comment.").status == "held"


def test_approving_a_comment_twice_does_not_count_trust_twice(moderator, bob, root, settings):
    settings.MODERATION_REPORTS_TO_HOLD = 1
    before = UserTrust.objects.get(user=bob).score
    set_status(root, Comment.Status.HELD)
    moderation.approve(moderator, root)
    assert UserTrust.objects.get(user=bob).score == before  # already credited when published


def test_only_moderators_review(alice, bob, held_reply):
    for who in (alice, bob):
        with pytest.raises(CommentError) as refused:
            moderation.approve(who, held_reply)
        assert refused.value.status == 403
        with pytest.raises(CommentError):
            moderation.reject(who, held_reply, "No")
    assert Comment.objects.get(pk=held_reply.pk).status == "held"
    assert not AuditEntry.objects.exists()


def test_admins_review_too(held_reply, thread):
    from accounts.roles import ADMINS
    from discussions.tests.conftest import make_user

    moderation.approve(make_user("boss", role=ADMINS), held_reply)
    assert Comment.objects.get(pk=held_reply.pk).status == "published"


def test_review_rules(moderator, held_reply, root):
    with pytest.raises(CommentError) as no_reason:
        moderation.reject(moderator, held_reply, "  ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(CommentError) as published:
        moderation.reject(moderator, root, "Too late")
    assert published.value.code == "not_held"
    with pytest.raises(CommentError):
        moderation.approve(moderator, root)


def test_removing_a_published_comment_leaves_a_tombstone(
    moderator, root, thread, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        moderation.remove(moderator, root, "Doxxing")
    assert Comment.objects.get(pk=root.pk).status == "removed" and counts(thread) == (0, None)
    assert Notification.objects.get(recipient=bob).key.startswith("moderation:removed:")
    assert audit_actions(root) == ["remove_comment"]


def test_moderators_can_overturn_an_automatic_rejection(moderator, alice, thread):
    rejected = actions.post_comment(alice, thread, "Kill yourself is what the villain says in act two.")
    assert rejected.status == "rejected"
    moderation.approve(moderator, rejected, "Quoting the play")
    assert Comment.objects.get(pk=rejected.pk).status == "published" and counts(thread) == (1, None)


# --- warnings, suspensions, bans ---------------------------------------------------------------------


def test_a_banned_reader_can_read_but_not_post(
    moderator, alice, thread, article, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ban = moderation.ban(moderator, alice, "Repeated abuse after warnings.")
    assert ban.until is None
    with pytest.raises(CommentError) as refused:
        actions.post_comment(alice, thread, "Can I still post?")
    assert refused.value.status == 403 and refused.value.code == "banned"
    assert "Repeated abuse after warnings." in refused.value.message
    assert Comment.objects.count() == 0
    client.force_login(alice)
    assert client.get(article.get_absolute_url()).status_code == 200
    assert audit_actions(alice) == ["ban_user"]
    assert Notification.objects.get(recipient=alice).key.startswith("moderation:ban:")


def test_a_suspension_ends_by_itself(moderator, alice, thread):
    until = timezone.now() + timedelta(hours=2)
    moderation.suspend(moderator, alice, "Cool down.", until=until)
    with pytest.raises(CommentError) as refused:
        actions.post_comment(alice, thread, "Let me in.")
    assert refused.value.code == "suspended" and "until" in refused.value.message
    assert timezone.localtime(until).strftime("%H:%M") in refused.value.message
    Ban.objects.filter(user=alice).update(until=timezone.now() - timedelta(seconds=1))  # time passes
    assert actions.post_comment(alice, thread, "Back, and calmer.").status == "published"


def test_a_banned_reader_cannot_edit_either(moderator, alice, thread):
    comment = actions.post_comment(alice, thread, "Before the ban.")
    moderation.suspend(moderator, alice, "Cool down.", days=1)
    with pytest.raises(CommentError):
        actions.edit_comment(alice, comment, "Sneaky edit after the ban.")
    assert Comment.objects.get(pk=comment.pk).body == "Before the ban."


def test_lifting_ends_every_ban(moderator, alice, thread):
    moderation.suspend(moderator, alice, "Cool down.", days=3)
    moderation.ban(moderator, alice, "And worse.")
    assert moderation.lift(moderator, alice, "Appeal accepted.") == 2
    assert actions.post_comment(alice, thread, "Thank you.").status == "published"
    assert audit_actions(alice) == ["suspend_user", "ban_user", "lift_ban"]
    assert Ban.objects.filter(lifted_by=moderator).count() == 2


def test_warning_a_reader(moderator, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        moderation.warn(moderator, alice, "Keep it about the story.")
    assert (
        Notification.objects.get(recipient=alice).text
        == "A warning from the moderators: Keep it about the story."
    )
    assert len(mail.outbox) == 1
    assert audit_actions(alice) == ["warn_user"]


def test_ban_rules(moderator, alice, bob):
    with pytest.raises(CommentError) as not_allowed:
        moderation.ban(alice, bob, "I do not like him")
    assert not_allowed.value.status == 403
    with pytest.raises(CommentError):
        moderation.ban(moderator, moderator, "Oops")
    with pytest.raises(CommentError) as past:
        moderation.suspend(moderator, alice, "Late", until=timezone.now() - timedelta(minutes=1))
    assert past.value.code == "bad_until"
    with pytest.raises(CommentError):
        moderation.ban(moderator, alice, "")
    assert not Ban.objects.exists() and not AuditEntry.objects.exists()


def test_notifications_page(client, moderator, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        moderation.warn(moderator, alice, "Keep it about the story.")
    client.force_login(alice)
    response = client.get("/moderation/notifications/")  # the old address leads to the one notifications page
    assert response.status_code == 301 and response["Location"] == "/notifications/"
    html = client.get("/notifications/").content.decode()
    assert "Keep it about the story." in html and "New" in html
