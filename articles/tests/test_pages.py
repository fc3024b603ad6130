"""The public pages, through Django's test client and the real database."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from articles.models import Article
from articles.tests.conftest import build_article

pytestmark = pytest.mark.django_db


def json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


def test_article_page_shows_what_a_reader_expects(client):
    article = build_article(
        "Harbour talks resume", topics=("Diplomacy", "Shipping"), canonical_url="https://wire.example/h"
    )
    other = build_article("Shipping lanes reopen", topics=("Shipping",))
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<h1 id="story-headline">Harbour talks resume</h1>' in html
    assert "By Ada Reporter" in html
    assert '<span class="agency">AFP</span>' in html
    assert f"{article.reading_minutes}-min read" in html
    assert '<p class="lede">' in html
    assert '<h2 class="subhead">Next steps</h2>' in html
    assert 'alt="A harbour"' in html and "<figcaption>The harbour" in html
    assert 'href="/topic/shipping/"' in html
    assert other.headline in html  # related articles
    assert '<link rel="canonical" href="https://wire.example/h">' in html
    assert 'property="og:title" content="Harbour talks resume"' in html
    assert 'name="twitter:card"' in html
    assert html.count("<main") == 1 and "Skip to content" in html


def test_json_ld_is_a_news_article_and_cannot_break_out_of_its_script(client):
    article = build_article('Talks end </script><script>alert("x")</script>')
    html = client.get(article.get_absolute_url()).content.decode()
    data = json_ld(html)
    assert data["@type"] == "NewsArticle"
    assert data["headline"].startswith("Talks end </script>")
    assert data["timeRequired"] == f"PT{article.reading_minutes}M"
    assert '<script>alert("x")' not in html


def test_drafts_and_scheduled_articles_are_not_public(client):
    draft = build_article(status=Article.Status.DRAFT)
    scheduled = build_article(hours_ago=-3)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(scheduled.get_absolute_url()).status_code == 404
    assert draft.headline not in client.get("/").content.decode()


def test_preview_is_for_staff_only(client):
    draft = build_article("Embargoed budget story", status=Article.Status.DRAFT)
    url = f"/preview/{draft.pk}/"
    assert client.get(url).status_code == 302  # to the admin login
    reader = User.objects.create_user("reader", password="pw-123456-long")
    client.force_login(reader)
    assert client.get(url).status_code == 302
    editor = User.objects.create_user("editor", password="pw-123456-long", is_staff=True)
    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 200
    assert "Embargoed budget story" in response.content.decode()
    assert "not visible to readers yet" in response.content.decode()


def test_home_lists_latest_then_each_sections_others_and_never_a_story_twice(client):
    for hours in range(16):
        build_article(f"Story {hours:02d}", section=["world", "business"][hours % 2], hours_ago=hours + 1)
    html = client.get("/").content.decode()
    assert html.index("Story 00") < html.index("Story 01")
    latest, _, sections = html.partition('id="section-')
    assert "Story 11" in latest and "Story 12" not in latest, "the latest twelve"
    assert 'id="section-world"' in html and 'id="section-business"' in html
    assert all(f"Story {n:02d}" in sections for n in range(12, 16)), "the sections show the others"
    for n in range(16):
        assert html.count(f">Story {n:02d}<") == 1, f"Story {n:02d} appears once"
    assert "-min read" in html


def test_an_editors_pinned_lead_leads_the_home_page_until_its_time(client):
    pinned = build_article("Pinned story", hours_ago=30)
    build_article("Newest story", hours_ago=1)
    pinned.lead_pinned_until = timezone.now() + timedelta(hours=2)
    pinned.save()  # as the admin does
    html = client.get("/").content.decode()
    assert html.index("Pinned story") < html.index("Newest story")
    assert html.count(">Pinned story<") == 1
    assert "card--lead" in html[: html.index("Pinned story")]
    pinned.lead_pinned_until = timezone.now() - timedelta(minutes=1)
    pinned.save()
    html = client.get("/").content.decode()
    assert html.index("Newest story") < html.index("Pinned story")


def test_section_and_topic_pages_paginate_with_a_cursor(client):
    for hours in range(25):
        build_article(f"Story {hours:02d}", section="world", topics=("Ports",), hours_ago=hours + 1)
    first = client.get("/section/world/").content.decode()
    assert "Story 00" in first and "Story 19" in first and "Story 20" not in first
    cursor = re.search(r'href="\?before=([^"]+)"', first).group(1)
    second = client.get(f"/section/world/?before={cursor}").content.decode()
    assert "Story 20" in second and "Story 24" in second and "Story 19" not in second
    assert "Older articles" not in second
    topic = client.get("/topic/ports/").content.decode()
    assert "Story 00" in topic


def test_bad_cursor_shows_the_first_page(client):
    build_article("Only story")
    assert "Only story" in client.get("/section/world/?before=garbage").content.decode()


def test_unknown_section_topic_and_article_are_404(client):
    assert client.get("/section/nope/").status_code == 404
    assert client.get("/topic/nope/").status_code == 404
    assert client.get("/articles/nope/").status_code == 404


@pytest.mark.parametrize("query", ["harbour", "HARBOUR talks", "harb", "negotiators"])
def test_search_finds_articles_by_headline_and_body(client, query):
    build_article("Harbour talks resume")
    build_article("Election results are in", topics=("Elections",))
    html = client.get("/search/", {"q": query}).content.decode()
    assert "Harbour talks resume" in html


def test_search_ranks_and_excludes_unpublished(client):
    build_article("Harbour talks resume")
    build_article("Harbour strike draft", status=Article.Status.DRAFT)
    html = client.get("/search/", {"q": "harbour"}).content.decode()
    assert "Harbour talks resume" in html and "Harbour strike draft" not in html


@pytest.mark.parametrize("query", ['"', "AND", "*", "a OR", "NEAR(", "'; DROP TABLE", "   ", "ü" * 300])
def test_search_survives_any_input(client, query):
    build_article("Harbour talks resume")
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


def test_search_without_matches_says_so(client):
    build_article("Harbour talks resume")
    assert "No articles match" in client.get("/search/", {"q": "zebra"}).content.decode()


@pytest.mark.parametrize(
    ("url", "root_tag"),
    [("/feeds/latest.rss", "rss"), ("/feeds/latest.atom", "{http://www.w3.org/2005/Atom}feed")],
)
def test_feeds_are_valid_xml_with_our_articles(client, url, root_tag):
    build_article("Harbour talks resume")
    response = client.get(url)
    root = ET.fromstring(response.content)
    assert root.tag == root_tag
    assert b"Harbour talks resume" in response.content


def test_section_feeds(client):
    build_article("Markets rally", section="business")
    build_article("Harbour talks resume", section="world")
    body = client.get("/feeds/section/business.rss").content
    assert b"Markets rally" in body and b"Harbour talks resume" not in body
    assert client.get("/feeds/section/business.atom").status_code == 200
    assert client.get("/feeds/section/nope.rss").status_code == 404


def test_sitemaps_and_robots(client):
    article = build_article()
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-articles.xml" in index
    assert article.get_absolute_url() in client.get("/sitemap-articles.xml").content.decode()
    assert "Sitemap:" in client.get("/robots.txt").content.decode()
