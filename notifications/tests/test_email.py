"""Emails through a real SMTP server on loopback: immediate, digests, unsubscribing, failures, retries."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from discussions import services
from discussions.tests.conftest import make_user
from notifications import delivery, selectors, tasks
from notifications import services as notifications
from notifications.models import EmailDelivery, EmailPreference, Frequency, Kind
from notifications.tests.conftest import notes
from posting import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(alice, thread, committed):
    with committed():
        return actions.post_comment(alice, thread, "The harbour deal looks fragile to me.")


def reply_to(root, author, committed, text="It held last winter, though."):
    with committed():
        return actions.post_comment(author, root.thread, text, parent=root)


def unsubscribe_path(message) -> str:
    return "".join(message["List-Unsubscribe"].split()).strip("<>").removeprefix("http://127.0.0.1:8000")


def test_an_immediate_email_with_one_click_unsubscribe(smtp, alice, bob, root, committed):
    reply_to(root, bob, committed)
    (message,) = smtp.to("alice@example.org")
    assert message["Subject"] == "Agora: bob replied to your comment"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        message["Message-ID"].startswith("<notifications.") and message["Auto-Submitted"] == "auto-generated"
    )
    text, html = (part.get_payload(decode=True).decode() for part in message.get_payload())
    assert "It held last winter, though." in text and "It held last winter, though." in html
    # RFC 8058: the mail client POSTs the link, with no cookie and no CSRF token; no login needed.
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_path(message), {"List-Unsubscribe": "One-Click"}
    )
    assert (
        response.status_code == 200 and "gets no more emails about replies to your comments" in response.text
    )
    assert EmailPreference.objects.get(user=alice, kind=Kind.REPLY).frequency == Frequency.OFF
    reply_to(root, bob, committed, "Another reply.")
    assert len(smtp.to("alice@example.org")) == 1 and len(notes(alice)) == 2  # still told in the app


def test_an_unsubscribe_link_asks_before_it_acts_and_refuses_tampering(
    smtp, alice, bob, root, committed, client
):
    reply_to(root, bob, committed)
    path = unsubscribe_path(smtp.to("alice@example.org")[0])
    page = client.get(path)
    assert page.status_code == 200 and "Replies to your comments" in page.text and "<button" in page.text
    assert not EmailPreference.objects.exists()  # a mail scanner opening the link changes nothing
    tampered = client.get(path[:-3] + "xyz/")
    assert tampered.status_code == 400 and "not valid" in tampered.text


def test_the_daily_digest_gathers_what_waits_for_it(smtp, alice, bob, carol, root, committed):
    notifications.set_frequency(alice, Kind.REPLY, Frequency.DAILY)
    reply_to(root, bob, committed)
    with committed():
        services.react(bob, root)
        services.react(carol, root)
    assert not smtp.messages
    assert tasks.compose_digests("weekly") == 0  # nothing waits for a weekly email
    assert tasks.compose_digests("daily") == 1
    (digest,) = smtp.messages
    assert digest["Subject"] == "Agora: your daily digest, 2 notifications"
    text = digest.get_payload()[0].get_payload(decode=True).decode()
    assert "bob replied to your comment" in text and "2 people respected your comment" in text
    assert "Stop these emails: http://127.0.0.1:8000/notifications/unsubscribe/" in text
    assert tasks.compose_digests("daily") == 0  # a second run (a retried task) sends nothing again
    assert len(smtp.messages) == 1


def test_read_notifications_are_not_emailed(smtp, alice, bob, root, committed):
    notifications.set_frequency(alice, Kind.REPLY, Frequency.DAILY)
    reply_to(root, bob, committed)
    notifications.mark_read(alice)
    assert tasks.compose_digests("daily") == 0 and not smtp.messages


def test_readers_without_a_confirmed_address_get_no_email(smtp, bob, thread, committed):
    newcomer = make_user("newcomer", verified=False)
    with committed():
        root = actions.post_comment(bob, thread, "Root")
    newcomer.email_verified_at = None
    with committed():
        services.react(newcomer, root)
    reply = make_user("dave")
    with committed():
        actions.post_comment(reply, thread, "@newcomer welcome", parent=root)
    assert notes(newcomer) and not smtp.to("newcomer@example.org")


def test_a_failed_send_is_retried_with_back_off_and_never_lost(smtp, alice, bob, root, committed):
    smtp.fail_next = 3  # the server answers 451 three times
    reply_to(root, bob, committed)
    email = EmailDelivery.objects.get(recipient=alice)
    assert (email.status, email.attempts) == ("pending", 1) and "451" in email.last_error
    assert timedelta(seconds=50) < email.next_attempt_at - timezone.now() <= timedelta(minutes=1)
    assert tasks.sweep() == 0  # not due yet: the sweep leaves it
    waits = []
    for _ in range(3):
        later = EmailDelivery.objects.get(pk=email.pk).next_attempt_at + timedelta(seconds=1)
        outcome = delivery.send(delivery.due_deliveries(later), now=later)
        email.refresh_from_db()
        waits.append(round((email.next_attempt_at - later).total_seconds() / 60))
    assert outcome == {"sent": 1, "empty": 0, "retry": 0, "failed": 0}
    assert email.status == "sent" and email.attempts == 3 and waits[:2] == [2, 4]  # 1, 2, 4 minutes
    assert len(smtp.to("alice@example.org")) == 1


def test_the_sweep_sends_what_is_due(smtp, alice, bob, root, committed):
    smtp.fail_next = 1
    reply_to(root, bob, committed)
    EmailDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert tasks.sweep() == 1
    assert EmailDelivery.objects.get().status == "sent" and len(smtp.messages) == 1


def test_a_refused_address_fails_for_good_and_is_kept(smtp, alice, bob, root, committed):
    smtp.refuse.add("alice@example.org")
    reply_to(root, bob, committed)
    email = EmailDelivery.objects.get(recipient=alice)
    assert email.status == "failed" and "No such mailbox" in email.last_error
    assert delivery.due_deliveries(timezone.now() + timedelta(days=1)) == []


def test_an_email_is_sent_once_when_its_task_is_retried(smtp, alice, bob, root, committed, settings):
    settings.NOTIFICATIONS_IMMEDIATE_DELAY = 60
    notifications.set_frequency(alice, Kind.REPLY, Frequency.DAILY)
    reply_to(root, bob, committed)
    (email_id,) = delivery.compose("daily")
    assert tasks.send.apply(args=([email_id],)).get()["sent"] == 1
    # The broker delivers the same task again (a worker lost its acknowledgement): nothing is sent twice.
    assert tasks.send.apply(args=([email_id],)).get() == {"sent": 0, "empty": 0, "retry": 0, "failed": 0}
    assert len(smtp.to("alice@example.org")) == 1


def test_an_email_claimed_by_a_live_worker_is_left_to_it(smtp, alice, bob, root, committed):
    notifications.set_frequency(alice, Kind.REPLY, Frequency.DAILY)
    reply_to(root, bob, committed)
    (email_id,) = delivery.compose("daily")
    now = timezone.now()
    EmailDelivery.objects.filter(pk=email_id).update(
        claim="other-worker", claimed_until=now + timedelta(minutes=5)
    )
    assert delivery.send([email_id])["sent"] == 0 and delivery.due_deliveries() == []
    later = now + timedelta(minutes=11)  # that worker died: its claim lapses, and the email goes
    assert delivery.due_deliveries(later) == [email_id]
    assert delivery.send([email_id], now=later)["sent"] == 1 and len(smtp.messages) == 1


def test_changing_a_frequency_moves_what_waits(alice, bob, root, committed):
    notifications.set_frequency(alice, Kind.REPLY, Frequency.WEEKLY)
    reply_to(root, bob, committed)
    assert notes(alice)[0].email_schedule == "weekly"
    notifications.set_frequency(alice, Kind.REPLY, Frequency.OFF)
    assert notes(alice)[0].email_schedule == ""
    assert selectors.preferences(alice)[Kind.REPLY] == Frequency.OFF


def test_unsubscribe_links_are_rate_limited_per_client(client, alice, monkeypatch):
    from notifications import emails, views

    monkeypatch.setattr(views, "UNSUBSCRIBES_PER_HOUR", 2)
    path = emails.unsubscribe_url(alice.pk, ["reply"]).removeprefix("http://127.0.0.1:8000")
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]
    refused = client.post(path)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert not EmailPreference.objects.exists()


def test_an_unsubscribe_link_of_an_erased_account(client, alice):
    from notifications import emails

    path = emails.unsubscribe_url(alice.pk, ["reply"]).removeprefix("http://127.0.0.1:8000")
    alice.delete()
    assert client.post(path).status_code == 404


def test_readers_told_the_same_thing_each_get_their_own_email(smtp, alice, bob, carol):
    """One send renders shared words once and fills in each reader's name (escaped in HTML) and their
    own signed unsubscribe links."""
    from notifications import emails

    bob.display_name = "Bob <b>& co"
    bob.save()
    for user in (alice, bob, carol):
        notifications.set_frequency(user, Kind.MODERATION, Frequency.DAILY)
    event = delivery.make_event(Kind.MODERATION, "moderation:notice:1", text="A notice\nTo every reader.")
    delivery.record(event, [alice.pk, bob.pk, carol.pk])
    assert tasks.compose_digests("daily") == 3 and len(smtp.messages) == 3
    assert (
        "Hello Bob &lt;b&gt;&amp; co,"
        in smtp.to(bob.email)[0].get_payload()[1].get_payload(decode=True).decode()
    )
    for user in (alice, bob, carol):
        (message,) = smtp.to(user.email)
        text, html = (part.get_payload(decode=True).decode() for part in message.get_payload())
        assert f"Hello {user.public_name}," in text and f"Hello {escape(user.public_name)}," in html
        assert "To every reader." in text and "To every reader." in html
        token = unsubscribe_path(message).removeprefix("/notifications/unsubscribe/").strip("/")
        assert emails.read_unsubscribe_token(token) == (user.pk, ["moderation"])
        assert text.count(token) == 2 and html.count(token) == 2  # its section's link, and the one for all
