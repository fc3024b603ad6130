"""HTML article pages: metadata, body structure, images and their captions, from files and URLs."""

from datetime import UTC, datetime

import pytest
from django.core.management.base import CommandError

from articles.ingest.html import absolute_http_url, blocks_from_fragment
from articles.models import Article
from articles.tests.ingest_support import Route, fixture, ingest, serve

HTML = "text/html; charset=utf-8"


def blocks(article: Article) -> list[tuple[str, str]]:
    return [(b.kind, b.text or b.caption) for b in article.blocks.all()]


@pytest.mark.django_db
def test_article_page_keeps_metadata_and_structure() -> None:
    out, _ = ingest(fixture("article.html"))
    article = Article.objects.get()
    assert article.headline == "Lighthouse keepers return to Hallin Point after automation trial"
    assert article.standfirst.startswith("A two-year experiment with an unstaffed light")
    assert article.byline == "Oskar Wendt"
    assert article.source == "The Northern Tide"
    assert article.published_at == datetime(2024, 5, 14, 6, 45, tzinfo=UTC)
    assert article.canonical_url == "https://tide.example.org/coast/lighthouse-keepers-return"
    assert article.origin == Article.Origin.HTML
    assert [kind for kind, _ in blocks(article)] == [
        "paragraph",
        "figure",
        "paragraph",
        "subhead",
        "paragraph",
        "paragraph",
        "paragraph",
    ]
    assert out == f"created: {article.headline} ({article.get_absolute_url()})\n"


@pytest.mark.django_db
def test_figure_keeps_absolute_image_alt_caption_and_credit() -> None:
    ingest(fixture("article.html"))
    figure = Article.objects.get().blocks.get(kind="figure")
    assert figure.image_url == "https://tide.example.org/media/hallin-point.jpg"
    assert figure.alt_text == "The white lighthouse at Hallin Point under a grey sky"
    assert figure.caption == "The lighthouse at Hallin Point, where keepers will live again from Monday."
    assert figure.credit == "Photo: Ines Vahl"


@pytest.mark.django_db
def test_page_chrome_scripts_and_repeats_are_not_imported() -> None:
    ingest(fixture("article.html"))
    article = Article.objects.get()
    text = " ".join(text for _, text in blocks(article))
    for chrome in ("Sign in", "tracking", "All rights reserved", "newsletter", "font-size"):
        assert chrome not in text
    assert article.headline not in text, "the page's h1 repeats the headline"
    assert "data:" not in "".join(article.blocks.values_list("image_url", flat=True))


@pytest.mark.django_db
def test_file_without_canonical_link_drops_relative_images() -> None:
    ingest(fixture("article-no-canonical.html"))
    article = Article.objects.get()
    assert article.canonical_url is None
    images = list(article.blocks.filter(kind="figure").values_list("image_url", flat=True))
    assert images == ["https://cdn.example.com/bakery/ovens.jpg"]
    assert article.lead_image_src == "https://cdn.example.com/bakery/ovens.jpg"


@pytest.mark.django_db
def test_page_file_without_address_is_updated_on_second_ingest() -> None:
    ingest(fixture("article-no-canonical.html"))
    out, _ = ingest(fixture("article-no-canonical.html"))
    assert Article.objects.count() == 1
    assert out.startswith("updated: Village bakery wins national bread prize")


@pytest.mark.django_db
@pytest.mark.network
def test_page_over_http_resolves_images_against_the_final_url() -> None:
    page = fixture("article-no-canonical.html").read_bytes()
    routes = {
        "/old/bakery": Route([b""], status=301, location="/food/bakery-prize.html"),
        "/food/bakery-prize.html": Route([page], content_type=HTML),
    }
    with serve(routes) as base:
        ingest(f"{base}/old/bakery")
        article = Article.objects.get()
        assert article.canonical_url == f"{base}/food/bakery-prize.html"
        images = list(article.blocks.filter(kind="figure").values_list("image_url", flat=True))
        assert images == [f"{base}/food/images/rye-loaf.jpg", "https://cdn.example.com/bakery/ovens.jpg"]
        assert "Agora" in routes["/food/bakery-prize.html"].requests[0]["User-Agent"]


@pytest.mark.django_db
def test_page_without_an_article_is_refused() -> None:
    with pytest.raises(CommandError, match=r"no-article\.html: no article found in this HTML page"):
        ingest(fixture("no-article.html"))
    assert Article.objects.count() == 0


def test_fragment_is_stored_as_plain_text() -> None:
    fragment = (
        "<p>One <b>bold</b> &amp; <a href='/x'>linked</a> line<br>then another</p>"
        "<ul><li>First point</li><li>Second point</li></ul>"
        "<blockquote><p>A quote.</p></blockquote><script>evil()</script><h4>Aside</h4>"
    )
    assert [(b.kind, b.text) for b in blocks_from_fragment(fragment, None)] == [
        ("paragraph", "One bold & linked line"),
        ("paragraph", "then another"),
        ("paragraph", "First point"),
        ("paragraph", "Second point"),
        ("paragraph", "A quote."),
        ("subhead", "Aside"),
    ]


@pytest.mark.parametrize(
    ("src", "base", "expected"),
    [
        ("/a.jpg", "https://x.example/p/q.html", "https://x.example/a.jpg"),
        ("a.jpg", "https://x.example/p/q.html", "https://x.example/p/a.jpg"),
        ("//cdn.example/a.jpg", "https://x.example/", "https://cdn.example/a.jpg"),
        ("a.jpg", None, ""),
        ("data:image/png;base64,AAAA", "https://x.example/", ""),
        ("javascript:alert(1)", "https://x.example/", ""),
        ("https://x.example/" + "a" * 600, None, ""),
    ],
)
def test_image_urls_must_be_absolute_http(src: str, base: str | None, expected: str) -> None:
    assert absolute_http_url(src, base) == expected
