"""Every kind of notification, end to end: the event, the row, what the reader sees, the email."""

import pytest
from django.core import mail

from accounts import services as accounts
from accounts.roles import EDITORS
from articles.tests.conftest import build_article
from discussions import services
from discussions.tests.conftest import make_user
from moderation import services as featuring
from moderation import services as moderation
from moderation.models import ModerationRule
from notifications import selectors, tasks
from notifications import services as notifications
from notifications.display import describe
from notifications.models import EmailDelivery, Frequency, Kind, Notification
from notifications.tests.conftest import notes
from posting import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(alice, thread, committed):
    with committed():
        return actions.post_comment(alice, thread, "The harbour deal looks fragile to me.")


def test_a_reply_tells_the_parent_author_in_the_app_and_by_email(alice, bob, thread, root, committed):
    with committed():
        reply = actions.post_comment(bob, thread, "It held last winter, though.", parent=root)
    (note,) = notes(alice)
    assert (note.kind, note.actor, note.comment, note.key) == ("reply", bob, reply, f"reply:{reply.pk}")
    assert note.url == f"/discussions/comments/{reply.pk}/#c{reply.pk}" and note.read_at is None
    assert selectors.unread_count(alice) == 1 and not notes(bob)  # no one is told of their own comment
    (email,) = mail.outbox  # replies are emailed at once by default
    assert email.to == ["alice@example.org"] and email.subject == "Agora: bob replied to your comment"
    assert "It held last winter, though." in email.body
    assert f"http://127.0.0.1:8000/discussions/comments/{reply.pk}/#c{reply.pk}" in email.body
    assert email.extra_headers["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:8000/notifications/unsubscribe/"
    )
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_mentions_tell_each_reader_once(alice, bob, carol, thread, root, committed):
    with committed():
        reply = actions.post_comment(bob, thread, "@carol and @alice, see the figures.", parent=root)
    assert [n.kind for n in notes(alice)] == ["reply"]  # replied to and mentioned: told once
    (mention,) = notes(carol)
    assert (mention.kind, mention.actor, mention.comment) == ("mention", bob, reply)
    with committed():  # an edit that keeps the mention tells no one again
        actions.edit_comment(bob, reply, "@carol and @alice, see the new figures.")
    assert len(notes(carol)) == 1 and len(notes(alice)) == 1


def test_a_held_reply_tells_no_one_until_it_is_published(alice, bob, thread, root, moderator, committed):
    ModerationRule.objects.create(phrase="scam", kind=ModerationRule.Kind.SUSPECT)
    with committed():
        held = actions.post_comment(bob, thread, "This deal is a scam, @carol.", parent=root)
    assert held.status == "held" and not notes(alice)
    with committed():
        moderation.approve(moderator, held, "Fair comment")
    assert [n.kind for n in notes(alice)] == ["reply"]
    (outcome,) = notes(bob)  # and its author hears the outcome
    assert (
        outcome.kind == "moderation" and outcome.text == "Your comment is published: a moderator approved it."
    )


def test_a_removed_comment_disappears_from_notifications_and_emails(
    alice, bob, thread, root, moderator, committed
):
    notifications.set_frequency(alice, Kind.REPLY, Frequency.DAILY)
    with committed():
        reply = actions.post_comment(bob, thread, "I disagree with alice on the tariffs.", parent=root)
    assert selectors.unread_count(alice) == 1
    with committed():
        moderation.remove(moderator, reply, "Personal attack")
    assert selectors.unread_count(alice) == 0 and selectors.page(alice).items == []
    tasks.compose_digests("daily")
    assert EmailDelivery.objects.get(recipient=alice).status == "empty"  # nothing left to tell: not sent
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]  # only the author hears of the removal


def test_respect_is_batched_per_comment_and_counts_each_reader_once(alice, thread, root, committed):
    readers = [make_user(f"reader{i}") for i in range(12)]
    for reader in readers:
        with committed():
            services.react(reader, root)
    (note,) = notes(alice)
    assert (note.kind, note.count, note.actor) == ("reaction", 12, readers[-1])
    assert sorted(note.actor_ids) == sorted(r.pk for r in readers)
    with committed():  # taking it back and giving it again is still one reader
        services.unreact(readers[0], root)
        services.react(readers[0], root)
    note.refresh_from_db()
    assert note.count == 12
    assert describe(note).title == "12 people respected your comment"
    assert not mail.outbox  # respect is in the daily digest by default


def test_respect_after_reading_makes_it_unread_again(alice, bob, carol, thread, root, committed):
    with committed():
        services.react(bob, root)
    notifications.mark_read(alice)
    assert selectors.unread_count(alice) == 0
    with committed():
        services.react(carol, root)
    (note,) = notes(alice)
    assert note.read_at is None and note.count == 2


def test_an_editors_pick_tells_its_author(alice, thread, root, committed):
    editor = make_user("eddie", role=EDITORS, is_staff=True)
    with committed():
        featuring.set_featured(editor, root, True)
        featuring.set_featured(editor, root, False)
        featuring.set_featured(editor, root, True)
    (note,) = notes(alice)
    assert (note.kind, note.comment) == ("featured", root)
    assert mail.outbox[-1].subject == "Agora: Your comment is an editor’s pick"


def test_a_new_article_reaches_every_follower_once(alice, bob, carol, committed):
    article = build_article("Idlib ceasefire holds")
    with committed():
        batches = notifications.notify_followers(article, [alice.pk, bob.pk, carol.pk], because="Syria")
    assert batches == 1
    rows = Notification.objects.filter(kind=Kind.FOLLOWED).order_by("recipient_id")
    assert [n.recipient for n in rows] == [alice, bob, carol]
    assert {(n.article_id, n.text, n.url) for n in rows} == {
        (article.pk, "Syria", article.get_absolute_url())
    }
    with committed():  # fanned out again (a retried ingest): nothing new
        notifications.notify_followers(
            article, Notification.objects.values_list("recipient_id", flat=True), "Syria"
        )
    assert Notification.objects.filter(kind=Kind.FOLLOWED).count() == 3
    assert {n.email_schedule for n in rows} == {"daily"}  # batched into the daily digest by default


def test_fan_out_in_batches(committed, monkeypatch):
    monkeypatch.setattr(notifications, "FAN_OUT_BATCH", 2)
    readers = [make_user(f"follower{i}") for i in range(5)]
    article = build_article("Harbour reopens")
    with committed():
        assert notifications.notify_followers(article, (r.pk for r in readers), because="Ports") == 3
    assert Notification.objects.filter(kind=Kind.FOLLOWED).count() == 5


def test_the_moderators_decision_reaches_the_author_even_about_a_hidden_comment(
    alice, bob, thread, root, moderator, committed
):
    with committed():
        reply = actions.post_comment(bob, thread, "Words the moderators took down.", parent=root)
        moderation.remove(moderator, reply, "Insults")
    (note,) = notes(bob)
    assert (
        note.kind == "moderation"
        and "Insults" in note.text
        and "Words the moderators took down." in note.text
    )
    assert selectors.unread_count(bob) == 1  # the author may see their own removed comment
    assert "Your comment was removed by a moderator: Insults" in mail.outbox[-1].body


def test_a_muted_reader_notifies_no_one_who_muted_them(alice, bob, carol, thread, root, committed):
    accounts.mute(alice, bob)
    with committed():
        reply = actions.post_comment(bob, thread, "Hello @alice", parent=root)
        services.react(bob, root)
        actions.post_comment(carol, thread, "Agreed.", parent=root)
    assert [n.actor for n in notes(alice)] == [carol]
    assert reply.status == "published"
    accounts.unmute(alice, bob)
    assert [n.actor for n in notes(alice)] == [carol]  # what was suppressed stays suppressed


def test_muting_later_hides_what_they_already_did(alice, bob, thread, root, committed):
    with committed():
        actions.post_comment(bob, thread, "Hello", parent=root)
    assert selectors.unread_count(alice) == 1
    accounts.mute(alice, bob)
    assert selectors.unread_count(alice) == 0 and selectors.page(alice).items == []


def test_inactive_readers_are_not_told(alice, bob, thread, root, committed):
    alice.is_active = False
    alice.save()
    with committed():
        actions.post_comment(bob, thread, "Anyone?", parent=root)
    assert not notes(alice)
