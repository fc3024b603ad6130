"""Through the real broker and a real Celery worker (no eager tasks): the embedded filesystem broker on the
SQLite run, Redis where REDIS_URL is set (CI's PostgreSQL run)."""

import time

import pytest
from django.core import mail

from notifications import tasks
from notifications.delivery import make_event
from notifications.models import EmailDelivery, Kind, Notification
from posting import actions
from tests.task_worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reply_is_told_by_the_worker_in_the_app_and_by_email(through_the_broker, alice, bob, thread):
    root = actions.post_comment(alice, thread, "The harbour deal looks fragile.")
    reply = actions.post_comment(bob, thread, "It held last winter.", parent=root)
    assert wait_for(lambda: Notification.objects.filter(recipient=alice, key=f"reply:{reply.pk}").exists())
    assert wait_for(lambda: EmailDelivery.objects.filter(recipient=alice, status="sent").exists())
    assert [m.subject for m in mail.outbox] == ["Agora: bob replied to your comment"]


def test_a_task_delivered_twice_tells_once(through_the_broker, alice, bob):
    event = make_event(Kind.MODERATION, "moderation:warning:twice", text="A warning from the moderators.")
    tasks.record.delay(event, [alice.pk, bob.pk])
    tasks.record.delay(event, [alice.pk, bob.pk])  # the broker redelivers it
    assert wait_for(lambda: Notification.objects.filter(key=event["key"]).count() == 2)
    time.sleep(1)  # the second delivery has run by now, too
    assert Notification.objects.filter(key=event["key"]).count() == 2
    assert wait_for(lambda: len(mail.outbox) == 2)
    time.sleep(1)
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "bob@example.org"]
