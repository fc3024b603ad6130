"""Who hears about an article: every follower once, with the strongest reason, in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.tests.conftest import build_article
from discussions import services as discussions_services
from interests import selectors, services
from interests.events import article_announced
from interests.followables import of_discussion, topic_key
from interests.models import Announcement, Follow
from interests.tests.conftest import follow_agency, follow_author, follow_section, follow_topic
from notifications.display import describe
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def test_followers_through_topics_section_authors_agency_and_discussion(alice, bob):
    article = build_article("Aid reaches Syria", topics=("Syria", "Aid"), byline="Ana Lind", source="AFP")
    carol, dan, erin = (get_user_model().objects.create_user(n) for n in ["carol", "dan", "erin"])
    follow_topic(alice, "Syria")
    follow_topic(alice, "Aid")
    follow_section(alice, "world")  # alice: three follows, told once
    follow_author(bob, "Ana Lind")
    follow_section(carol, "world")
    follow_agency(dan, "AFP")
    services.follow(erin, of_discussion(discussions_services.thread_for_article(article)))
    follow_topic(erin, "Syria")
    with CaptureQueriesContext(connection) as queries:
        followers = {f.user_id: f for f in selectors.followers_of(article)}
    assert len(queries.captured_queries) == 3, "topics, discussion, then one query for the followers"
    assert {u: followers[u.pk].kind for u in [alice, bob, carol, dan, erin]} == {
        alice: "topic",
        bob: "author",
        carol: "section",
        dan: "agency",
        erin: "discussion",
    }
    assert followers[bob.pk].reason == "because you follow Ana Lind"
    assert followers[alice.pk].label in {"Syria", "Aid"}


def test_readers_following_something_else_are_not_told(alice):
    article = build_article("Aid reaches Syria", topics=("Syria",), source="")
    build_article("Harbour", topics=("Harbours",), section="business")
    follow_topic(alice, "Harbours")
    follow_section(alice, "business")
    assert list(selectors.followers_of(article)) == []


def test_the_follower_query_uses_the_key_index(alice):
    article = build_article("Aid reaches Syria", topics=("Syria",))
    follow_topic(alice, "Syria")
    keys = list(selectors.follow_keys_of(article))
    if connection.vendor == "postgresql":  # a table this small is read whole; ask what it would use
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Follow.objects.filter(key__in=keys).values_list("user_id", "key").explain()
    assert "follow_key_user_idx" in plan and "Sort" not in plan, plan
    if connection.vendor == "sqlite":  # (PostgreSQL reads the index alone once VACUUM has run)
        assert "COVERING INDEX" in plan and "TEMP B-TREE" not in plan, "no table lookups, no sort"


def test_followers_are_notified_once_of_a_new_article_with_their_reason(
    alice, bob, django_capture_on_commit_callbacks
):
    build_article("Earlier story", topics=("Syria",), byline="Ana Lind")
    follow_topic(alice, "Syria")
    follow_author(bob, "Ana Lind")
    wire = "https://wire.example/aid"
    with django_capture_on_commit_callbacks(execute=True):
        article = build_article("Aid reaches Syria", topics=("Syria",), byline="Ana Lind", canonical_url=wire)
    with django_capture_on_commit_callbacks(execute=True):
        build_article("Aid reaches Syria, updated", topics=("Syria",), canonical_url=wire)  # ingested again
    with django_capture_on_commit_callbacks(execute=True):
        draft = build_article("Not yet", topics=("Syria",), status="draft")
    told = Notification.objects.filter(kind=Kind.FOLLOWED, article=article)
    assert {(n.recipient, n.text) for n in told} == {(alice, "Syria"), (bob, "Ana Lind")}
    assert Announcement.objects.filter(article=article).count() == 1
    assert not Notification.objects.filter(article=draft).exists()
    assert not Announcement.objects.filter(article=draft).exists()
    assert describe(told.get(recipient=alice)).title == "New in Syria: Aid reaches Syria, updated"


def test_announced_articles_reach_the_notifications_layer_after_commit(django_capture_on_commit_callbacks):
    announced = []

    def receiver(article, **kwargs):
        announced.append(article.headline)

    article_announced.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            build_article("Aid reaches Syria")
        assert announced == [], "not before the transaction commits"
        for callback in callbacks:
            callback()
    finally:
        article_announced.disconnect(receiver)
    assert announced == ["Aid reaches Syria"]


def test_scheduled_articles_are_announced_when_their_time_comes(django_capture_on_commit_callbacks):
    scheduled = build_article("Tomorrow's story", hours_ago=-24)
    assert not Announcement.objects.filter(article=scheduled).exists()
    type(scheduled).objects.filter(pk=scheduled.pk).update(
        published_at=scheduled.published_at.replace(year=2000)
    )
    assert services.announce_due() == 0, "too old to announce"
    build_article("Due now", hours_ago=0.01, status="draft")
    due = build_article("Due now", hours_ago=0.01)
    Announcement.objects.filter(article=due).delete()
    assert services.announce_due() == 1
    assert services.announce_due() == 0


def test_unpublishing_takes_an_article_out_of_feeds(alice):
    article = build_article("Aid reaches Syria", topics=("Syria",))
    follow_topic(alice, "Syria")
    assert selectors.for_you(alice)[0].article == article
    article.status = "draft"
    article.save()
    services.index_article(article)
    assert selectors.for_you(alice) == []
    assert not Follow.objects.filter(key=topic_key(0)).exists()
