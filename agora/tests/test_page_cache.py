"""The page cache and the API read cache: what one request stores is only ever served where it is right.

A cached page holds absolute URLs built from its request (canonical link, sitemap, feeds, API
`url` fields), so an entry made through one allowed host or scheme must never answer another.
"""

import re

import pytest
from django.test import Client

from api.tests.conftest import API
from articles.tests.conftest import build_article
from posting import actions

CANONICAL = re.compile(r'<link rel="canonical" href="([^"]+)">')


@pytest.fixture
def two_hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example"]


def canonical_of(response) -> str:
    return CANONICAL.search(response.content.decode()).group(1)


def test_a_page_cached_through_another_host_or_scheme_does_not_answer_the_canonical_one(db, two_hosts):
    article = build_article("Harbour talks resume")
    url = article.get_absolute_url()
    client = Client()
    assert client.get(url, HTTP_HOST="mirror.example")["X-Page-Cache"] == "miss"
    assert client.get(url, secure=True)["X-Page-Cache"] == "miss"

    page = client.get(url)

    assert page["X-Page-Cache"] == "miss"
    assert canonical_of(page) == f"http://testserver{url}"
    assert client.get(url)["X-Page-Cache"] == "hit"


@pytest.mark.parametrize("url", ["/sitemap-articles.xml", "/feeds/latest.rss"])
def test_sitemaps_and_feeds_name_the_host_they_were_asked_on(db, two_hosts, url):
    build_article("Harbour talks resume")
    client = Client()
    client.get(url, HTTP_HOST="mirror.example")
    body = client.get(url).content.decode()
    assert "mirror.example" not in body and "http://testserver/" in body


@pytest.mark.django_db(transaction=True)
def test_api_reads_cached_through_another_host_do_not_answer_the_canonical_one(two_hosts, alice, thread):
    actions.post_comment(alice, thread, "First")
    url = f"{API}/threads/{thread.pk}/comments"
    client = Client()
    assert client.get(url, HTTP_HOST="mirror.example")["X-Api-Cache"] == "miss"

    response = client.get(url)

    assert response["X-Api-Cache"] == "miss"
    assert response.json()["comments"][0]["url"].startswith("http://testserver/")


def test_unknown_query_parameters_are_served_the_cached_page(db):
    article = build_article("Harbour talks resume")
    client = Client()
    for url in ("/", article.get_absolute_url(), "/feeds/latest.rss"):
        assert client.get(url)["X-Page-Cache"] == "miss"
        assert client.get(url, {"utm_source": "mail", "x": "1"})["X-Page-Cache"] == "hit"
        assert client.get(url, {"cache_buster": "2"})["X-Page-Cache"] == "hit"


def test_the_parameters_a_page_reads_still_key_it(db):
    article = build_article("Harbour talks resume")
    client = Client()
    url = article.get_absolute_url()
    assert client.get(url)["X-Page-Cache"] == "miss"
    oldest = client.get(url, {"sort": "oldest", "utm_source": "mail"})
    assert oldest["X-Page-Cache"] == "miss"
    assert client.get(url, {"utm_source": "feed", "sort": "oldest"})["X-Page-Cache"] == "hit"
    assert client.get("/search/", {"q": "harbour"})["X-Page-Cache"] == "miss"
    assert "Harbour talks resume" in client.get("/search/", {"q": "harbour", "ref": "x"}).content.decode()


@pytest.mark.django_db(transaction=True)
def test_unknown_query_parameters_are_served_the_cached_api_read(alice, thread):
    actions.post_comment(alice, thread, "First")
    url = f"{API}/threads/{thread.pk}/comments"
    client = Client()
    assert client.get(url, {"sort": "oldest"})["X-Api-Cache"] == "miss"
    assert client.get(url, {"sort": "oldest", "nonce": "1"})["X-Api-Cache"] == "hit"
    assert client.get(url, {"sort": "newest", "nonce": "1"})["X-Api-Cache"] == "miss"
