"""RSS and Atom feeds: one article per item, idempotent, bad items reported and skipped."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import Article
from articles.tests.conftest import chosen_topics
from articles.tests.ingest_support import Route, fixture, ingest, serve

RSS = "application/rss+xml; charset=utf-8"
GAZETTE = "https://gazette.example.net/news/"


def body(article: Article) -> list[tuple[str, str]]:
    return [(b.kind, b.text or b.caption or b.image_url) for b in article.blocks.all()]


@pytest.mark.django_db
def test_rss_items_become_articles() -> None:
    out, _ = ingest(fixture("feed-rss.xml"))
    assert Article.objects.count() == 3
    assert out.count("created: ") == 3
    market = Article.objects.get(feed_guid="gazette-2024-0412-fish-market")
    assert market.origin == Article.Origin.FEED
    assert market.canonical_url == GAZETTE + "fish-market-moves"
    assert market.headline == "Fish market moves to the old customs hall"
    assert market.standfirst == "Traders sell their first catch in the restored hall on the quay."
    assert market.byline == "Rune Aldahl"
    assert market.published_at == datetime(2024, 4, 12, 7, 30, tzinfo=UTC)
    assert sorted(chosen_topics(market)) == ["Harbour", "Local business"]


@pytest.mark.django_db
def test_rss_content_becomes_sanitised_blocks_with_figures() -> None:
    ingest(fixture("feed-rss.xml"))
    market = Article.objects.get(feed_guid="gazette-2024-0412-fish-market")
    assert [kind for kind, _ in body(market)] == [
        "figure",  # the enclosure, as the lead image
        "paragraph",
        "subhead",
        "paragraph",
        "figure",
        "paragraph",
    ]
    enclosure, figure = market.blocks.filter(kind="figure")
    assert (enclosure.image_url, enclosure.alt_text) == (
        "https://gazette.example.net/img/market-front.jpg",
        "Image",
    )
    assert figure.caption == "Traders set out their stalls in the restored hall."
    assert figure.alt_text == "Traders at stalls inside a brick hall"
    assert market.lead_image_src == enclosure.image_url
    assert not any("alert" in text or "<" in text for _, text in body(market))


@pytest.mark.django_db
def test_rss_description_only_item_and_media_content() -> None:
    ingest(fixture("feed-rss.xml"))
    path = Article.objects.get(canonical_url=GAZETTE + "coastal-path-reopens")
    assert path.feed_guid == GAZETTE + "coastal-path-reopens"
    assert path.byline == "Lea Fjord", "the e-mail address is not a byline"
    assert path.standfirst == ""
    assert body(path) == [
        ("figure", "https://gazette.example.net/img/coastal-path.jpg"),
        (
            "paragraph",
            "The cliff path between Senn and Oller reopened on Thursday after engineers stabilised a "
            "section that slid towards the sea in February.",
        ),
        ("paragraph", "Walkers are asked to keep to the marked route while the new fencing settles."),
    ]


@pytest.mark.django_db
def test_atom_entries_become_articles() -> None:
    ingest(fixture("feed-atom.xml"), "--section", "Valley News", "--status", "draft")
    cherries = Article.objects.get(feed_guid="tag:courier.example.com,2024:cherry-harvest")
    assert cherries.canonical_url == "https://courier.example.com/farming/cherry-harvest"
    assert cherries.byline == "Nadia Serrin"
    assert cherries.published_at == datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    assert cherries.standfirst.startswith("A warm spring and no late frost")
    assert [kind for kind, _ in body(cherries)] == ["paragraph", "subhead", "paragraph"]
    assert chosen_topics(cherries) == ["Farming"]
    assert (cherries.section.slug, cherries.status) == ("valley-news", Article.Status.DRAFT)
    tolls = Article.objects.get(feed_guid="tag:courier.example.com,2024:bridge-tolls")
    assert tolls.headline == "Bridge tolls scrapped for local drivers"
    assert tolls.published_at == datetime(2024, 5, 30, 15, 0, tzinfo=UTC)
    assert [text for _, text in body(tolls)] == [
        "Drivers registered in the valley will no longer pay to cross the Essen bridge from July, "
        "the regional council decided on Thursday.",
        "The toll for other drivers stays at two euros.",
    ]


@pytest.mark.django_db
def test_ingesting_a_feed_twice_updates_instead_of_duplicating() -> None:
    ingest(fixture("feed-rss.xml"))
    ids = set(Article.objects.values_list("pk", flat=True))
    out, _ = ingest(fixture("feed-rss.xml"))
    assert set(Article.objects.values_list("pk", flat=True)) == ids
    assert out.count("updated: ") == 3


@pytest.mark.django_db
def test_same_guid_with_a_new_link_updates_the_same_article(tmp_path) -> None:
    ingest(fixture("feed-rss.xml"))
    moved = fixture("feed-rss.xml").read_text().replace("news/fish-market-moves", "news/fish-market-v2")
    (tmp_path / "moved.xml").write_text(moved)
    ingest(tmp_path / "moved.xml")
    assert Article.objects.count() == 3
    market = Article.objects.get(feed_guid="gazette-2024-0412-fish-market")
    assert market.canonical_url == GAZETTE + "fish-market-v2"


@pytest.mark.django_db
def test_bad_items_are_reported_and_skipped_and_the_rest_land() -> None:
    with pytest.raises(CommandError, match=r"feed-bad-items\.xml: 2 failures, reported above") as raised:
        ingest(fixture("feed-bad-items.xml"))
    headlines = set(Article.objects.values_list("headline", flat=True))
    assert headlines == {"Market hall opens its doors", "School choir tours the islands"}
    assert raised.value.returncode == 1


@pytest.mark.django_db
def test_bad_items_are_named_on_stderr() -> None:
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("ingest", str(fixture("feed-bad-items.xml")), stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error: ") and "feed-bad-items.xml: item 2 " in lines[0]
    assert lines[0].endswith("it has no title")
    assert 'item 3 "Guid far too long": invalid: feed_guid: Ensure this value has at most 500' in lines[1]


@pytest.mark.django_db
def test_malformed_feed_is_refused() -> None:
    with pytest.raises(CommandError, match=r"feed-malformed\.xml: malformed feed: .+ at line \d+"):
        ingest(fixture("feed-malformed.xml"))
    assert Article.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.network
def test_feed_over_http_resolves_relative_links_against_the_feed_url() -> None:
    feed = fixture("feed-rss.xml").read_bytes().replace(b"https://gazette.example.net/news/", b"news/")
    routes = {"/feeds/latest.xml": Route([feed], content_type=RSS)}
    with serve(routes) as base:
        ingest(f"{base}/feeds/latest.xml")
        assert Article.objects.filter(canonical_url=f"{base}/feeds/news/coastal-path-reopens").exists()
