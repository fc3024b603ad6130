"""Pages cost a bounded number of queries, and the page cache is invalidated by edits."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agora.page_cache import _generation_key
from articles.tests.conftest import build_article

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def no_page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 0


@pytest.mark.usefixtures("no_page_cache")
def test_listing_and_article_queries_do_not_grow_with_the_archive(client):
    first = build_article(topics=("Ports", "Trade"))
    sections = ["world", "business", "science"]
    for i in range(15):  # more than the home page's latest twelve, so its section rows have stories
        build_article(section=sections[i % 3], topics=("Ports",))
    client.get(first.get_absolute_url())  # the first view creates the article's discussion thread
    small = {url: queries_for(client, url) for url in ["/", "/section/world/", "/topic/ports/"]}
    small["article"] = queries_for(client, first.get_absolute_url())
    for i in range(60):
        build_article(section=sections[i % 3], topics=("Ports", "Trade"))
    large = {url: queries_for(client, url) for url in ["/", "/section/world/", "/topic/ports/"]}
    large["article"] = queries_for(client, first.get_absolute_url())
    assert small == large
    assert max(large.values()) <= 11


@pytest.mark.usefixtures("no_page_cache")
def test_article_page_query_budget(client, django_assert_max_num_queries):
    article = build_article(topics=("Ports", "Trade", "Weather"))
    client.get(article.get_absolute_url())  # creates the discussion thread
    # article, blocks, topics, related (candidates, fetch, same-section fill), navigation;
    # discussion: thread, featured, top-level comments, newest id
    with django_assert_max_num_queries(11):
        client.get(article.get_absolute_url())


def test_cached_page_costs_no_query(client, django_assert_num_queries):
    article = build_article()
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = client.get(article.get_absolute_url())
    assert response["X-Page-Cache"] == "hit"


def test_editing_an_article_invalidates_its_page_and_listings(client):
    article = build_article("Old headline")
    client.get("/")
    client.get(article.get_absolute_url())
    assert client.get("/")["X-Page-Cache"] == "hit"
    article.headline = "New headline"
    article.save()
    assert "New headline" in client.get(article.get_absolute_url()).content.decode()
    assert "New headline" in client.get("/").content.decode()


def test_an_evicted_generation_never_brings_back_older_pages(client):
    """A cache may drop the generation key; the one that replaces it must not match any stored page."""
    article = build_article()
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    cache.delete(_generation_key("site"))  # evicted, with the cached page still stored
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"


def test_editing_the_body_or_topics_invalidates(client):
    article = build_article()
    client.get(article.get_absolute_url())
    block = article.blocks.get(kind="subhead")
    block.text = "A brand-new subhead"
    block.save()
    assert "A brand-new subhead" in client.get(article.get_absolute_url()).content.decode()
    article.topics.clear()
    assert 'href="/topic/' not in client.get(article.get_absolute_url()).content.decode()


def test_logged_in_users_are_never_served_the_anonymous_cache(client, django_user_model):
    article = build_article()
    client.get(article.get_absolute_url())
    client.force_login(django_user_model.objects.create_user("reader", password="x-long-password-1"))
    assert "X-Page-Cache" not in client.get(article.get_absolute_url())


@pytest.mark.usefixtures("redis_cache")
def test_page_cache_invalidation_with_redis(client):
    """With REDIS_URL (CI has Redis), the shared cache every app process reads is invalidated."""
    article = build_article("Before the edit")
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    article.headline = "After the edit"
    article.save()
    response = client.get(article.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert "After the edit" in response.content.decode()
