"""The task engine's periodic work (the scheduler's schedule replaces cron)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from agora.celery import app
from articles import tasks as article_tasks
from articles.models import Article
from articles.tests.ingest_support import Route, closed_port, fixture, serve
from moderation import tasks as moderation_tasks
from moderation.models import HeatGuard


def test_every_scheduled_task_is_a_registered_task():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {"heat-guard-sweep", "notifications-sweep", "daily-digest", "weekly-digest"} <= set(schedule)
    assert schedule["heat-guard-sweep"]["schedule"] == 60.0  # the old cron line: every minute
    for entry in schedule.values():
        assert entry["task"] in app.tasks


@pytest.mark.django_db
@pytest.mark.network
def test_polling_a_feed_keeps_its_conditional_get_between_runs():
    route = Route(
        [fixture("feed-rss.xml").read_bytes()], content_type="application/rss+xml", conditional=True
    )
    with serve({"/feed.xml": route}) as base:
        first = article_tasks.poll_feed.delay(f"{base}/feed.xml").get()
        second = article_tasks.poll_feed.delay(f"{base}/feed.xml").get()
    assert first == {"created": 3, "updated": 0, "problems": 0} and Article.objects.count() == 3
    assert second == {"created": 0, "updated": 0, "problems": 0}
    assert route.statuses == [200, 304]


@pytest.mark.django_db
def test_a_feed_that_cannot_be_fetched_is_reported_and_tried_next_time():
    result = article_tasks.poll_feed.delay(f"http://127.0.0.1:{closed_port()}/feed.xml").get()
    assert result == {"created": 0, "updated": 0, "problems": 1}


@pytest.mark.django_db
def test_the_heat_guard_sweep_releases_calm_guards(thread):
    long_ago = timezone.now() - timedelta(hours=3)
    HeatGuard.objects.create(
        thread=thread, engaged=True, mode="premoderated", engaged_at=long_ago, last_heated_at=long_ago
    )
    assert moderation_tasks.sweep_heat_guards.delay().get() == 1
    assert not HeatGuard.objects.get(thread=thread).engaged
    assert moderation_tasks.sweep_heat_guards.delay().get() == 0
