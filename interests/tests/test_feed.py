"""'For you': ranking by what a reader follows, with reasons; most discussed for new readers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from articles.tests.conftest import build_article
from discussions import services as discussions_services
from discussions.tests.conftest import bulk_thread
from interests import selectors
from interests.models import ArticleInterest
from interests.tests.conftest import follow_agency, follow_author, follow_section, follow_topic

pytestmark = pytest.mark.django_db


def discussed(article: Article, comments: int, author) -> Article:
    bulk_thread(discussions_services.thread_for_article(article), author, roots=comments)
    return article


def headlines(feed: list[selectors.FeedItem]) -> list[str]:
    return [item.article.headline for item in feed]


def test_articles_on_what_you_follow_come_first_with_the_reason(alice):
    old_syria = build_article("Older Syria story", topics=("Syria",), hours_ago=30)
    build_article("Harbour story", topics=("Harbours",), hours_ago=0.5)
    new_syria = build_article("New Syria story", topics=("Syria",), hours_ago=1)
    follow_topic(alice, "Syria")
    feed = selectors.for_you(alice)
    assert headlines(feed)[:2] == ["New Syria story", "Older Syria story"]
    assert [r.label for r in feed[0].reasons] == ["Syria"]
    assert feed[0].reasons[0].url == "/topic/syria/"
    assert feed[0].article == new_syria and feed[1].article == old_syria
    assert "Harbour story" not in headlines(feed), "nothing discussed to fill with, nothing unrelated"


def test_the_more_a_story_matches_and_the_closer_the_follow_the_higher_it_ranks(alice):
    build_article("Section only", section="business", topics=("Weather",), hours_ago=1)
    build_article("Topic and author", topics=("Syria",), byline="Ana Lind", hours_ago=1)
    build_article("Topic only", topics=("Syria",), hours_ago=1)
    build_article("Agency only", topics=("Weather",), source="Reuters", hours_ago=1)
    follow_topic(alice, "Syria")
    follow_author(alice, "Ana Lind")
    follow_section(alice, "business")
    follow_agency(alice, "Reuters")
    feed = selectors.for_you(alice)
    assert headlines(feed) == ["Topic and author", "Topic only", "Section only", "Agency only"]
    assert [r.label for r in feed[0].reasons] == ["Ana Lind", "Syria"], "an author is the closer reason"


def test_old_stories_drop_out_and_drafts_and_scheduled_ones_never_show(alice):
    build_article("Last month", topics=("Syria",), hours_ago=24 * 20)
    build_article("A draft", topics=("Syria",), status=Article.Status.DRAFT)
    scheduled = build_article("Tomorrow's", topics=("Syria",), hours_ago=-24)
    follow_topic(alice, "Syria")
    assert selectors.for_you(alice) == []
    assert ArticleInterest.objects.filter(article=scheduled).exists(), "indexed, shown when its time comes"


def test_a_new_reader_gets_the_most_discussed_articles(alice, bob):
    quiet = build_article("Quiet story", hours_ago=1)
    busy = discussed(build_article("Busy story", hours_ago=5), 12, bob)
    discussed(build_article("Lively story", hours_ago=3), 4, bob)
    discussed(build_article("Old busy story", hours_ago=24 * 10), 40, bob)
    feed = selectors.for_you(alice)
    assert headlines(feed) == ["Busy story", "Lively story"]
    assert feed[0].article == busy and feed[0].reasons == []
    assert quiet not in [item.article for item in feed]


def test_follows_come_first_then_most_discussed_fill_the_page(alice, bob):
    discussed(build_article("Busy story", topics=("Harbours",), hours_ago=2), 9, bob)
    build_article("Syria story", topics=("Syria",), hours_ago=4)
    follow_topic(alice, "Syria")
    feed = selectors.for_you(alice)
    assert headlines(feed) == ["Syria story", "Busy story"]
    assert [bool(item.reasons) for item in feed] == [True, False]


def test_the_page_explains_itself(client, alice, bob):
    build_article("Syria story", topics=("Syria",), hours_ago=4)
    discussed(build_article("Busy story", hours_ago=2), 3, bob)
    client.force_login(alice)
    assert "You follow nothing yet" in client.get("/for-you/").content.decode()
    follow_topic(alice, "Syria")
    html = client.get("/for-you/").content.decode()
    assert 'Because you follow <a href="/topic/syria/">Syria</a>' in html
    assert "Most discussed this week" in html
    client.logout()
    assert "Log in</a> and follow" in client.get("/for-you/").content.decode()


def test_the_feed_costs_the_same_queries_for_one_follow_or_fifty(alice, bob):
    names = [f"Subject {n}" for n in range(50)]
    for n, name in enumerate(names):
        build_article(f"Story {n}", topics=(name,), hours_ago=n / 10)
    follow_topic(alice, names[0])
    with CaptureQueriesContext(connection) as one:
        assert len(selectors.for_you(alice)) == 1
    for name in names[1:]:
        follow_topic(alice, name)
    with CaptureQueriesContext(connection) as fifty:
        assert len(selectors.for_you(alice)) == selectors.FEED_SIZE
    # follows, the index (one statement for all fifty keys), articles; and the most-discussed fill
    # when the follows bring fewer than a page
    assert (len(one.captured_queries), len(fifty.captured_queries)) == (4, 3)


def test_for_you_page_has_a_fixed_number_of_queries(client, alice, django_assert_max_num_queries):
    for n in range(30):
        build_article(f"Story {n}", topics=("Syria", f"Subject {n}"), hours_ago=n / 10)
    follow_topic(alice, "Syria")
    client.force_login(alice)
    client.get("/for-you/")
    # the signed-in page's own: session, user, the header's two permission reads and its bell,
    # navigation; the feed's: follows, index, articles, the most-discussed fill
    with django_assert_max_num_queries(10):
        assert client.get("/for-you/").status_code == 200


def test_the_window_starts_in_the_past(alice):
    now = timezone.now()
    build_article("Fresh", topics=("Syria",), hours_ago=1)
    follow_topic(alice, "Syria")
    assert headlines(selectors.for_you(alice, now=now - timedelta(days=30))) == []
