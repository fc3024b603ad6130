"""Topic pages, the topic index and the active-discussions module: what they show and what they cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Topic
from articles.tests.conftest import build_article
from discussions import services as discussions_services
from discussions.tests.conftest import bulk_thread
from interests import services
from interests.tests.conftest import follow_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 0


def comment_on(article, author, comments: int):
    bulk_thread(discussions_services.thread_for_article(article), author, roots=comments)


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_topic_page_shows_followers_related_topics_and_its_active_discussions(client, alice, bob):
    busy = build_article("Aid convoy reaches Idlib", topics=("Syria", "Aid"), hours_ago=3)
    build_article("Border talks", topics=("Syria", "Aid", "Borders"), hours_ago=2)
    comment_on(build_article("Earlier talk", topics=("Syria",), hours_ago=9), bob, 20)
    comment_on(busy, bob, 5)  # commented last
    follow_topic(alice, "Syria")
    html = client.get("/topic/syria/").content.decode()
    assert "1 follower" in html and "Log in to follow" in html
    related = html[html.index("Often with") :]
    assert related.index(">Aid<") < related.index(">Borders<"), "most often together first"
    module = html[html.index("Active discussions on Syria") :]
    assert module.index("Aid convoy reaches Idlib") < module.index("Earlier talk"), "latest activity first"
    assert "5 comments" in module and "20 comments" in module
    assert 'href="/topics/"' in html


@pytest.mark.usefixtures("no_page_cache")
def test_topic_page_queries_do_not_grow_with_articles_followers_or_discussions(client, alice, bob):
    first = build_article(topics=("Syria", "Aid"))
    comment_on(first, bob, 3)
    small = queries_for(client, "/topic/syria/")
    for i in range(40):
        article = build_article(topics=("Syria", f"Subject {i % 7}"))
        comment_on(article, bob, 1 + i % 3)
    follow_topic(alice, "Syria")
    follow_topic(bob, "Syria")
    large = queries_for(client, "/topic/syria/")
    # topic, articles, related topics, follower count, most discussed, navigation
    assert small == large == 6
    client.force_login(alice)
    signed_in = queries_for(client, "/topic/syria/")
    assert signed_in == large + 6, (
        "session, user, the header's permissions (2) and bell, the reader's follows"
    )


@pytest.mark.usefixtures("no_page_cache")
def test_article_page_query_budget_for_a_signed_in_reader(client, alice, django_assert_max_num_queries):
    article = build_article(topics=("Ports", "Trade", "Weather"))
    client.force_login(alice)
    client.get(article.get_absolute_url())
    # the anonymous page's eleven (articles.tests.test_performance); the signed-in page's five
    # (session, user, the header's two permission reads and its bell's unread count), the
    # discussion's checks of the reader's standing (ban), role and mutes; the reader's follows (the
    # discussion to follow comes with the article)
    with django_assert_max_num_queries(20):
        assert "Follow this story" in client.get(article.get_absolute_url()).content.decode()


def test_topic_index_lists_topics_by_kind_and_letter_and_is_in_the_navigation(client):
    build_article("Aid convoy reaches Idlib", topics=("Syria", "Aid"))
    build_article("Harbour reopens", topics=("Harbours",))
    Topic.objects.filter(name="Syria").update(kind="place")
    home = client.get("/").content.decode()
    assert 'href="/topics/"' in home and 'href="/for-you/"' in home
    html = client.get("/topics/").content.decode()
    places = html[html.index(">Places<") : html.index(">Organisations<")]
    assert "Syria" in places and "Harbours" not in places
    by_letter = client.get("/topics/?letter=h").content.decode()
    assert "Harbours" in by_letter and ">Syria<" not in by_letter
    assert client.get("/topics/?letter=%F0%9F%98%80").status_code == 200


def test_merged_topics_leave_the_index(client, alice):
    build_article("Harbour reopens", topics=("Harbours", "Harbour works"))
    services.merge_topics(
        alice, [Topic.objects.get(name="Harbour works")], Topic.objects.get(name="Harbours")
    )
    html = client.get("/topics/").content.decode()
    assert "Harbour works" not in html and "Harbours" in html


def test_home_shows_active_discussions_of_stories_not_already_shown(client, bob):
    old = build_article("Old but lively", hours_ago=40)
    for hours in range(18):  # more than the latest twelve and the section row's four
        build_article(f"Story {hours:02d}", hours_ago=hours + 1)
    shown = build_article("Newest story", hours_ago=0.1)
    comment_on(old, bob, 7)
    comment_on(shown, bob, 9)
    html = client.get("/").content.decode()
    module = html[html.index("Active discussions") :]
    assert "Old but lively" in module and "7 new comments" in module
    assert "Newest story" not in module, "already on the page, with its comment count"
    assert html.count(">Newest story<") == 1


@pytest.mark.usefixtures("no_page_cache")
def test_home_queries_stay_fixed_with_the_active_discussions_module(client, bob):
    for i in range(16):
        build_article(section=["world", "business"][i % 2], hours_ago=i + 1)
    comment_on(build_article(section="world", hours_ago=49), bob, 2)
    small = queries_for(client, "/")
    for i in range(30):
        comment_on(build_article(section="world", hours_ago=50 + i), bob, 1 + i % 4)
    assert queries_for(client, "/") == small <= 9
