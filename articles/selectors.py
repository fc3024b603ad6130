"""Read-side queries for pages.  Each returns a bounded amount of data in a fixed number of queries."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import Article, ArticleBlock, ArticleTopic, Section, Topic

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


def pinned_lead() -> Article | None:
    """The published article editors pinned as the home page lead, if a pin is still running (the
    one pinned until the latest time, when several are)."""
    now = timezone.now()
    pinned = Article.objects.published().filter(lead_pinned_until__gt=now).order_by("-lead_pinned_until")
    return listing(pinned).first()


def latest_by_section(
    sections: list[Section], per_section: int = 4, exclude: Sequence[int] = ()
) -> dict[int, list[Article]]:
    """The newest few published articles of every section, except those in `exclude` (already shown
    elsewhere on the page).

    One statement of per-section index range scans (UNION ALL of LIMITed subqueries), then
    one fetch: the cost follows the number of sections, never the size of the archive.
    """
    section_ids = [section.pk for section in sections]
    if not section_ids:
        return {}
    skip = "".join(" AND id <> %s" for _ in exclude)
    part = (
        "SELECT * FROM (SELECT id FROM articles_article "  # noqa: S608 (placeholders only)
        f"WHERE section_id = %s AND status = %s AND published_at <= %s{skip} "
        "ORDER BY published_at DESC, id DESC LIMIT %s) AS newest"
    )
    params: list[int | str | datetime] = []
    now = timezone.now()
    for section_id in section_ids:
        params += [section_id, Article.Status.PUBLISHED, now, *exclude, per_section]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([part] * len(section_ids)), params)
        ids = [row[0] for row in cursor.fetchall()]
    grouped: dict[int, list[Article]] = {}
    for article in listing(Article.objects.filter(pk__in=ids)).order_by("-published_at", "-id"):
        grouped.setdefault(article.section_id, []).append(article)
    return grouped


def topics_of(article: Article) -> list[Topic]:
    """An article's topics, most salient first (prefetched by article_for_page)."""
    return [link.topic for link in article.articletopic_set.all()]


def article_for_page(slug: str, include_drafts: bool = False) -> Article | None:
    base = Article.objects.all() if include_drafts else Article.objects.published()
    return (
        base.select_related("section", "thread")  # the thread, if the article has one yet: for follow buttons
        .prefetch_related(
            Prefetch("blocks", queryset=ArticleBlock.objects.order_by("position", "id")),
            Prefetch(
                "articletopic_set",
                queryset=ArticleTopic.objects.select_related("topic").order_by("-salience", "topic__name"),
            ),
        )
        .filter(slug=slug)
        .first()
    )


def related_articles(article: Article, limit: int = 4) -> list[Article]:
    """The related articles stored for this one (articles.services.refresh_related: shared topics
    weighted by salience, and section), best first; else its section's newest.

    Fetched by the article's own entries, publication checked here: with the publication filter in
    SQL, SQLite walks the (status, published_at) index of the whole archive instead.
    """
    stored = listing(Article.objects.filter(related_from__article=article)).order_by("-related_from__score")
    found = [a for a in stored[: limit * 2] if a.is_published][:limit]
    if len(found) < limit:
        seen = {a.pk for a in found} | {article.pk}
        same_section = listing(Article.objects.published()).filter(section_id=article.section_id)
        same_section = same_section.exclude(pk__in=seen)
        found += list(same_section.order_by("-published_at", "-id")[: limit - len(found)])
    return found


RELATED_TOPICS_SCAN = 200  # the topic's newest articles whose other topics count


def related_topics(topic: Topic, limit: int = 10) -> list[Topic]:
    """The topics that appear most often beside this one in its newest articles (one query: an index
    range scan of the topic's links, then their articles' links)."""
    newest = ArticleTopic.objects.filter(topic=topic).order_by("-article_id").values("article_id")
    return list(
        Topic.objects.filter(articletopic__article_id__in=newest[:RELATED_TOPICS_SCAN], merged_into=None)
        .exclude(pk=topic.pk)
        .annotate(shared=Count("articletopic"))
        .order_by("-shared", "name")[:limit]
    )


TOPIC_INDEX_PER_KIND = 30


def topic_index(letter: str = "") -> list[tuple[str, list[Topic]]]:
    """The topic index: per kind, the topics with the most published articles (one query per kind);
    with `letter`, all the topics whose names start with it, alphabetically (one query)."""
    topics = Topic.objects.filter(merged_into=None, article_count__gt=0)
    if letter:
        after = chr(ord(letter) + 1)
        found = topics.filter(slug__gte=letter, slug__lt=after).order_by("name")[:500]
        return [(f"Topics starting with {letter.upper()}", list(found))]
    return [
        (label, list(topics.filter(kind=kind).order_by("-article_count", "name")[:TOPIC_INDEX_PER_KIND]))
        for kind, label in [
            (Topic.Kind.PERSON, "People"),
            (Topic.Kind.PLACE, "Places"),
            (Topic.Kind.ORGANISATION, "Organisations"),
            (Topic.Kind.SUBJECT, "Subjects"),
        ]
    ]


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
