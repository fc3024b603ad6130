"""Our RSS and Atom feeds: text that reached an article as markup stays text in the feed's HTML."""

import xml.etree.ElementTree as ET

import pytest

from articles.models import Article
from articles.tests.ingest_support import fixture, ingest

ATOM = "{http://www.w3.org/2005/Atom}"
PAYLOAD = "<img src=x onerror=alert(1)>"


def html_fields(url: str, content: bytes) -> list[str]:
    """What a feed reader renders as HTML: RSS item descriptions, Atom summaries of type html."""
    root = ET.fromstring(content)
    if url.endswith(".rss"):
        return [item.findtext("description") or "" for item in root.iter("item")]
    return [s.text or "" for s in root.iter(f"{ATOM}summary") if s.get("type") == "html"]


@pytest.mark.parametrize("url", ["/feeds/latest.rss", "/feeds/latest.atom", "/feeds/section/world.rss"])
def test_an_entity_encoded_meta_description_stays_text_in_feed_html(client, db, tmp_path, url):
    page = fixture("article.html").read_text()
    crafted = page.replace(
        'content="A two-year experiment',
        # Entity-encoded twice: the page's HTML decodes one level, trafilatura's metadata the other.
        'content="&amp;lt;img src=x onerror=alert(1)&amp;gt; A two-year experiment',
    )
    source = tmp_path / "crafted.html"
    source.write_text(crafted)
    ingest(source, "--section", "world")
    article = Article.objects.get()
    assert article.standfirst.startswith(PAYLOAD)  # ingestion decoded the entities into markup
    article.status = Article.Status.PUBLISHED
    article.save()

    fields = html_fields(url, client.get(url).content)

    assert fields, "the article is in the feed"
    assert all("<img" not in html for html in fields)
    assert any(html.startswith("&lt;img src=x onerror=alert(1)&gt;") for html in fields)
