"""Read-side queries for pages.  Each returns a bounded amount of data in a fixed number of queries."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import Article, ArticleBlock, Section, Topic

LISTING_FIELDS = (
    "id",
    "headline",
    "slug",
    "standfirst",
    "byline",
    "source",
    "status",
    "published_at",
    "updated_at",
    "reading_minutes",
    "lead_image_src",
    "lead_image_alt",
    "section__name",
    "section__slug",
    "thread__comment_count",
)


def listing(queryset: QuerySet[Article]) -> QuerySet[Article]:
    """Only what a listing card shows, with its section and discussion count joined in."""
    return queryset.select_related("section", "thread").only(*LISTING_FIELDS)


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
    try:
        when = parse_datetime(stamp.replace(" ", "+"))
    except ValueError:  # well-formed but impossible: 30 February, month 13
        return None
    if when is None or not pk.isdecimal():
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


def latest_by_section(sections: list[Section], per_section: int = 4) -> dict[int, list[Article]]:
    """The newest few published articles of every section.

    One statement of per-section index range scans (UNION ALL of LIMITed subqueries), then
    one fetch: the cost follows the number of sections, never the size of the archive.
    """
    section_ids = [section.pk for section in sections]
    if not section_ids:
        return {}
    part = (
        "SELECT * FROM (SELECT id FROM articles_article "  # noqa: S608 (placeholders only)
        "WHERE section_id = %s AND status = %s AND published_at <= %s "
        "ORDER BY published_at DESC, id DESC LIMIT %s) AS newest"
    )
    params: list[int | str | datetime] = []
    now = timezone.now()
    for section_id in section_ids:
        params += [section_id, Article.Status.PUBLISHED, now, per_section]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([part] * len(section_ids)), params)
        ids = [row[0] for row in cursor.fetchall()]
    grouped: dict[int, list[Article]] = {}
    for article in listing(Article.objects.filter(pk__in=ids)).order_by("-published_at", "-id"):
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


RELATED_CANDIDATES_PER_TOPIC = 25


def related_articles(article: Article, limit: int = 4) -> list[Article]:
    """Published articles sharing the most topics with this one, newest first; else its section's newest.

    Candidates are the most recent articles of each of its topics (an index range scan on
    the topic link table per topic), so the cost is bounded by the article's topics, not
    by the archive.
    """
    topic_ids = [topic.pk for topic in article.topics.all()]
    shared: dict[int, int] = {}
    if topic_ids:
        part = (
            "SELECT * FROM (SELECT article_id FROM articles_article_topics "  # noqa: S608 (placeholders)
            "WHERE topic_id = %s AND article_id <> %s ORDER BY article_id DESC LIMIT %s) AS recent"
        )
        params: list[int] = []
        for topic_id in topic_ids:
            params += [topic_id, article.pk, RELATED_CANDIDATES_PER_TOPIC]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join([part] * len(topic_ids)), params)
            for (candidate_id,) in cursor.fetchall():
                shared[candidate_id] = shared.get(candidate_id, 0) + 1
    # Fetched by id alone, publication checked here: with the publication filter in SQL, SQLite
    # walks the (status, published_at) index of the whole archive instead of looking up the ids.
    candidates = [a for a in listing(Article.objects.filter(pk__in=shared)) if a.is_published]
    candidates.sort(key=lambda a: (shared[a.pk], a.published_at, a.pk), reverse=True)
    if len(candidates) < limit:
        seen = {a.pk for a in candidates} | {article.pk}
        same_section = listing(Article.objects.published()).filter(section_id=article.section_id)
        same_section = same_section.exclude(pk__in=seen)
        candidates += list(same_section.order_by("-published_at", "-id")[: limit - len(candidates)])
    return candidates[:limit]


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
