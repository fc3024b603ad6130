"""The effects after a post: deferred, batched, and retried without counting anything twice."""

import pytest
from django.db import OperationalError

from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import heat
from moderation.models import AuditEntry, HeatGuard
from notifications.models import Notification
from posting import aftermath, tasks
from posting.actions import post_comment

ABUSE = "{name}, you are an idiot and a moron, everyone here knows it"


@pytest.fixture
def deferred(monkeypatch):
    """The task queue, held: effects wait in this list until the test runs them."""
    queued: list[dict] = []
    monkeypatch.setattr(tasks, "dispatch", queued.extend)
    return queued


def fail_once_after_counting(monkeypatch) -> list[int]:
    """The heat guard's write fails once, after it counted (a connection lost before commit)."""
    calls: list[int] = []
    feed = heat.feed

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        guard = feed(*args, **kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return guard

    monkeypatch.setattr(heat, "feed", flaky)
    return calls


def test_effects_wait_for_the_queue_and_run_as_one_batch(
    alice, bob, thread, deferred, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post_comment(alice, thread, "The harbour talks resume on Monday.")
        reply = post_comment(bob, thread, "@alice thanks, and good luck to them.", parent=first)
    assert [effect["comment"] for effect in deferred] == [first.pk, reply.pk]
    assert not HeatGuard.objects.filter(thread=thread).exists()  # nothing counted while they wait
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run_aftermath.delay(deferred)  # the worker takes both as one batch
    assert HeatGuard.objects.get(thread=thread).posts == 2
    assert Notification.objects.filter(recipient=alice, comment=reply, kind="reply").count() == 1


def test_a_batch_retried_after_a_failure_counts_each_comment_once(
    alice, bob, thread, deferred, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post_comment(alice, thread, "The harbour talks resume on Monday.")
        post_comment(bob, thread, "@alice they do, at nine.", parent=first)
    assert len(deferred) == 2
    calls = fail_once_after_counting(monkeypatch)
    with pytest.raises(OperationalError):
        aftermath.run(deferred)
    assert not HeatGuard.objects.filter(thread=thread, posts__gt=0).exists()  # rolled back with its markers
    with django_capture_on_commit_callbacks(execute=True):
        aftermath.run(deferred)
        aftermath.run(deferred)  # a redelivered task: nothing more is counted
    assert len(calls) == 2
    assert HeatGuard.objects.get(thread=thread).posts == 2
    assert Notification.objects.filter(recipient=alice, kind="reply").count() == 1


def test_a_storm_engages_the_heat_guard_once_its_deferred_effects_run(
    db, settings, deferred, django_capture_on_commit_callbacks
):
    settings.MODERATION_HEAT_WINDOW_MINUTES = 10
    settings.MODERATION_HEAT_MIN_COMMENTS = 6
    settings.MODERATION_HEAT_FLAGGED_SHARE = 0.5
    settings.MODERATION_HEAT_RATE_PER_MINUTE = 0
    settings.MODERATION_HEAT_MODE = "premoderated"
    thread = services.thread_for_article(build_article("Harbour strike turns ugly", section="world"))
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(4):
            troll = make_user(f"troll{i}")
            for n in range(2):
                post_comment(troll, thread, ABUSE.format(name=f"Reader{i}x{n}"))
    assert len(deferred) == 8 and not services.commenting_state(thread).premoderated  # not yet counted
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run_aftermath.delay(deferred)  # one batch: the worker's next pick
    guard = HeatGuard.objects.get(thread=thread)
    assert guard.engaged and guard.posts == 8 and guard.figures["trigger"] == "flagged"
    assert AuditEntry.objects.filter(action="heat_guard_on").count() == 1
    assert services.commenting_state(thread).premoderated
    civil = post_comment(make_user("calm"), thread, "The strike committee met the port authority.")
    assert civil.status == Comment.Status.HELD
