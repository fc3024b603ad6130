"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds to articles, one per item, through feedparser.

A feed that cannot be parsed at all raises IngestError.  An item that cannot become an
article (no title, no identity) comes back as a FeedItem with a problem, so the caller can
report it and carry on with the others.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

import feedparser

from articles.ingest.html import ALT_FALLBACK, absolute_http_url, blocks_from_fragment, normalise
from articles.ingest.sources import Fetched, IngestError, check_text
from articles.ingest.wire import detect_agency
from articles.models import Article, ArticleBlock
from articles.services import ArticleData, BlockData

LABEL_MAX = 80


class ItemProblem(Exception):
    """Why one feed item cannot become an article."""


@dataclass
class FeedItem:
    label: str  # 'item 3 "Harbour reopens"', for messages
    data: ArticleData | None
    problem: str = ""


def parse_feed(fetched: Fetched) -> list[FeedItem]:
    check_text(fetched)
    headers = {"content-type": fetched.content_type} if fetched.content_type else {}
    if fetched.url:
        headers["content-location"] = fetched.url  # the base for relative links in the feed
    parsed = feedparser.parse(fetched.data, response_headers=headers, sanitize_html=True)
    items = [feed_item(number, entry, fetched.url) for number, entry in enumerate(parsed.entries, start=1)]
    if parsed.bozo and not any(item.data for item in items):
        raise IngestError(fetched.source, f"malformed feed: {describe_parse_error(parsed.bozo_exception)}")
    if not parsed.version and not items:
        raise IngestError(fetched.source, "not an RSS, RDF or Atom feed")
    return items


def describe_parse_error(error: Exception) -> str:
    line = getattr(error, "getLineNumber", None)
    where = f" at line {line()}" if callable(line) else ""
    message = getattr(error, "getMessage", None)
    return f"{message() if callable(message) else error}{where}"


def feed_item(number: int, entry: Any, base_url: str | None) -> FeedItem:
    title = text_of(entry, "title") or entry.get("id", "")
    label = f'item {number} "{title[:LABEL_MAX]}"' if title else f"item {number}"
    try:
        return FeedItem(label, article_from_entry(entry, base_url))
    except ItemProblem as exc:
        return FeedItem(label, None, str(exc))


def as_html(detail: dict[str, str]) -> str:
    """A feedparser text construct as HTML: text/plain becomes paragraphs at blank lines."""
    value = detail.get("value", "")
    if "html" in detail.get("type", "text/html"):
        return value
    return "".join(f"<p>{escape(paragraph)}</p>" for paragraph in value.split("\n\n"))


def text_of(entry: Any, key: str) -> str:
    """Plain text of the entry's title or summary, whether feedparser holds it as HTML or text."""
    detail = entry.get(f"{key}_detail") or {"value": entry.get(key, ""), "type": "text/html"}
    blocks = blocks_from_fragment(as_html(detail), None)
    return normalise(" ".join(block.text for block in blocks))


def article_from_entry(entry: Any, base_url: str | None) -> ArticleData:
    headline = text_of(entry, "title")
    if not headline:
        raise ItemProblem("it has no title")
    link = absolute_http_url(entry.get("link"), base_url) or None
    guid = entry.get("id") or link
    if not guid:
        raise ItemProblem("it has neither a guid/id nor a link, so a later run could not update it")
    content = entry_content(entry)
    body = blocks_from_fragment(content or as_html(entry.get("summary_detail", {})), base_url)
    blocks = media_figures(entry, base_url, body) + body
    if not any(block.kind == ArticleBlock.Kind.PARAGRAPH for block in blocks):
        raise ItemProblem("it has no text (no content and no summary)")
    return ArticleData(
        headline=headline,
        standfirst=standfirst(entry, body) if content else "",
        byline=byline(entry),
        source=detect_agency(" ".join(b.text for b in body[:2])),
        topics=[tag.get("label") or tag["term"] for tag in entry.get("tags", []) if tag.get("term")],
        blocks=blocks,
        published_at=published(entry),
        canonical_url=link,
        feed_guid=guid,
        origin=Article.Origin.FEED,
    )


def entry_content(entry: Any) -> str:
    """The item's full content (content:encoded, Atom content) as HTML, preferring an HTML version."""
    contents = sorted(entry.get("content", []), key=lambda detail: "html" not in detail.get("type", ""))
    return as_html(contents[0]) if contents else ""


def standfirst(entry: Any, body: list[BlockData]) -> str:
    """The summary, unless it merely repeats the start of the body."""
    summary = text_of(entry, "summary")
    body_text = normalise(" ".join(block.text for block in body))
    return "" if body_text.startswith(summary.rstrip(".… ")) else summary


def byline(entry: Any) -> str:
    name = entry.get("author_detail", {}).get("name") or entry.get("author", "")
    return "" if "@" in name else normalise(name)


def published(entry: Any) -> datetime | None:
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(moment), tz=UTC) if moment else None


def media_figures(entry: Any, base_url: str | None, body: list[BlockData]) -> list[BlockData]:
    """Figures for images attached as enclosures or media:content, unless the body shows them."""
    shown = {block.image_url for block in body}
    candidates = [(e.get("href"), e.get("type", "")) for e in entry.get("enclosures", [])]
    candidates += [
        (m.get("url"), m.get("type") or m.get("medium", "")) for m in entry.get("media_content", [])
    ]
    figures = []
    for src, kind in candidates:
        url = absolute_http_url(src, base_url)
        if url and kind.startswith("image") and url not in shown:
            shown.add(url)
            figures.append(BlockData(ArticleBlock.Kind.FIGURE, image_url=url, alt_text=ALT_FALLBACK))
    return figures
