"""Read-side queries for pages.  Each returns a bounded amount of data in a fixed number of queries."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.dateparse import parse_datetime

from articles.models import Article, ArticleBlock, Section, Topic

LISTING_FIELDS = (
    "id",
    "headline",
    "slug",
    "standfirst",
    "byline",
    "source",
    "published_at",
    "updated_at",
    "reading_minutes",
    "lead_image_src",
    "lead_image_alt",
    "section__name",
    "section__slug",
)


def listing(queryset: QuerySet[Article]) -> QuerySet[Article]:
    """Only what a listing card shows, with its section joined in."""
    return queryset.select_related("section").only(*LISTING_FIELDS)


@dataclass
class Page:
    """A page of a listing and the cursor of the next (older) one."""

    items: list[Article]
    next_cursor: str | None


def encode_cursor(article: Article) -> str:
    return f"{article.published_at.isoformat()}~{article.pk}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor or "~" not in cursor:
        return None
    stamp, _, pk = cursor.rpartition("~")
    when = parse_datetime(stamp.replace(" ", "+"))
    if when is None or not pk.isdigit():
        return None
    return when, int(pk)


def latest_page(queryset: QuerySet[Article], cursor: str | None, size: int = 20) -> Page:
    """Keyset pagination on (published_at, id): constant cost however deep the reader goes."""
    position = decode_cursor(cursor)
    if position:
        when, pk = position
        queryset = queryset.filter(Q(published_at__lt=when) | Q(published_at=when, id__lt=pk))
    items = list(listing(queryset.order_by("-published_at", "-id"))[: size + 1])
    next_cursor = encode_cursor(items[size - 1]) if len(items) > size else None
    return Page(items=items[:size], next_cursor=next_cursor)


def sections() -> list[Section]:
    return list(Section.objects.all())


def latest_by_section(per_section: int = 4) -> dict[int, list[Article]]:
    """The newest few published articles of every section, in one query."""
    ranked = (
        listing(Article.objects.published())
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("section_id")],
                order_by=[F("published_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=per_section)
        .order_by("section__position", "rank")
    )
    grouped: dict[int, list[Article]] = {}
    for article in ranked:
        grouped.setdefault(article.section_id, []).append(article)
    return grouped


def article_for_page(slug: str, include_drafts: bool = False) -> Article | None:
    base = Article.objects.all() if include_drafts else Article.objects.published()
    return (
        base.select_related("section")
        .prefetch_related(
            Prefetch("blocks", queryset=ArticleBlock.objects.order_by("position", "id")),
            Prefetch("topics", queryset=Topic.objects.order_by("name")),
        )
        .filter(slug=slug)
        .first()
    )


def related_articles(article: Article, limit: int = 4) -> list[Article]:
    """Published articles sharing the most topics with this one, then the newest of its section."""
    topic_ids = [topic.pk for topic in article.topics.all()]
    candidates = listing(Article.objects.published().exclude(pk=article.pk))
    if topic_ids:
        candidates = candidates.filter(Q(topics__in=topic_ids) | Q(section_id=article.section_id))
        shared = Count("topics", filter=Q(topics__in=topic_ids), distinct=True)
        candidates = candidates.annotate(shared=shared).order_by("-shared", "-published_at", "-id")
    else:
        candidates = candidates.filter(section_id=article.section_id).order_by("-published_at", "-id")
    return list(candidates[:limit])


def _search_words(text: str) -> list[str]:
    """The words of what a reader typed; operators and punctuation are never passed through."""
    return re.findall(r"\w+", text)[:12]


def search_articles(text: str, limit: int = 20, offset: int = 0) -> list[Article]:
    """Full-text search over published articles, best match first.

    Every word must match; the last one may be a prefix, so results follow typing.
    SQLite uses the FTS5 index kept by triggers (articles.search_index); PostgreSQL its
    own full-text search over a GIN expression index on the same text.
    """
    words = _search_words(text)
    if not words:
        return []
    published = listing(Article.objects.published())
    if connection.vendor == "sqlite":
        match = " ".join(f'"{w}"' for w in words) + "*"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id FROM articles_article_fts f "
                "JOIN articles_article a ON a.id = f.rowid "
                "WHERE articles_article_fts MATCH %s AND a.status = 'published' "
                "ORDER BY bm25(articles_article_fts, 10.0, 1.0), a.published_at DESC LIMIT %s OFFSET %s",
                [match, limit + 20, offset],
            )
            ids = [row[0] for row in cursor.fetchall()]
        by_id = {a.pk: a for a in published.filter(pk__in=ids)}
        return [by_id[pk] for pk in ids if pk in by_id][:limit]
    tsquery = " & ".join(words) + ":*"
    vector = "to_tsvector('english', articles_article.search_text)"
    query = "to_tsquery('english', %s)"
    return list(
        # Only the constant SQL above is interpolated; the reader's words are a bound parameter.
        published.extra(  # noqa: S610
            select={"rank": f"ts_rank({vector}, {query})"},
            select_params=[tsquery],
            where=[f"{vector} @@ {query}"],
            params=[tsquery],
        ).order_by("-rank", "-published_at")[offset : offset + limit]
    )
