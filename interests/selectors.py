"""Reads: what a reader follows, who follows an article, the "For you" feed, active discussions.

Each returns a bounded amount of data in a fixed number of queries.
"""

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from articles.models import Article, ArticleTopic, Section, Topic
from articles.selectors import Page, decode_cursor, encode_cursor, listing
from discussions.models import Comment, Thread
from interests.followables import (
    Followable,
    Kind,
    discussion_key,
    name_key,
    of_agency,
    of_author,
    of_discussion,
    of_section,
    of_topic,
    section_key,
    sources_of,
    topic_key,
)
from interests.models import ArticleInterest, Follow

FEED_SIZE = 20
FEED_WINDOW = timedelta(days=14)
FEED_CANDIDATES = 2  # articles considered per place on the page (ranked_by_keys)
MIN_PER_KEY = 5
# How much following each kind of thing counts when an article matches it (a topic also by its
# salience in the article): an author is a strong signal, a section or a whole agency a broad one.
KIND_WEIGHT = {Kind.TOPIC: 1.0, Kind.AUTHOR: 0.9, Kind.SECTION: 0.4, Kind.AGENCY: 0.3}
# Strongest reason first when several follows lead to the same article.
REASON_ORDER = [Kind.DISCUSSION, Kind.AUTHOR, Kind.TOPIC, Kind.AGENCY, Kind.SECTION]
MOST_DISCUSSED_WINDOW = timedelta(days=7)
ACTIVE_SCAN = 500  # the newest published comments that "active discussions" counts
ACTIVE_WINDOW = timedelta(hours=48)
TOPIC_DISCUSSIONS_SCAN = 100  # the topic's newest articles whose discussions a topic page ranks


# --- What a reader follows ------------------------------------------------------------------------


def followed_keys(request: HttpRequest) -> set[str]:
    """The keys the signed-in reader follows (one query per request, however many buttons)."""
    if not request.user.is_authenticated:
        return set()
    cached: set[str] | None = getattr(request, "_followed_keys", None)
    if cached is None:
        cached = set(Follow.objects.filter(user=request.user).values_list("key", flat=True))
        request._followed_keys = cached  # type: ignore[attr-defined]
    return cached


def follows_of(user: User) -> list[Followable]:
    """What `user` follows, by kind then name (one query)."""
    rows = Follow.objects.filter(user=user).order_by("kind", "label").values_list(*_FOLLOW_COLUMNS)
    return [of_follow(*row) for row in rows]


def follower_count(key: str) -> int:
    return Follow.objects.filter(key=key).count()


def followable_from_form(kind: str, target: str) -> Followable | None:
    """What a follow form names (kind and target, as Followable.target gives them), if it exists."""
    target = target.strip()
    if kind in (Kind.TOPIC, Kind.SECTION, Kind.DISCUSSION) and not target.isdigit():
        return None
    if kind == Kind.TOPIC:
        topic = Topic.objects.select_related("merged_into").filter(pk=target).first()
        return of_topic(topic.merged_into or topic) if topic else None
    if kind == Kind.SECTION:
        section = Section.objects.filter(pk=target).first()
        return of_section(section) if section else None
    if kind == Kind.DISCUSSION:
        thread = Thread.objects.select_related("article").filter(pk=target).first()
        return of_discussion(thread) if thread else None
    if kind in (Kind.AUTHOR, Kind.AGENCY) and target:
        found = of_author(target) if kind == Kind.AUTHOR else of_agency(target)
        return found if ArticleInterest.objects.filter(key=found.key).exists() else None
    return None


def source_by_slug(kind: str, slug: str) -> Followable | None:
    """An author or agency by the slug in its address, named as its newest article names it."""
    key = name_key(kind, slug)
    newest = (
        ArticleInterest.objects.filter(key=key, published_at__lte=timezone.now())
        .select_related("article")
        .order_by("-published_at")
        .first()
    )
    if newest is None:
        return None
    return next((f for f in sources_of(newest.article) if f.key == key), None)


# --- Articles and their keys ----------------------------------------------------------------------


def article_keys(article: Article) -> dict[str, tuple[float, str]]:
    """Every key the article is found by in feeds: key -> (weight, label).  One query (its topics; its
    section's name too, unless already loaded)."""
    keys: dict[str, tuple[float, str]] = {}
    links = ArticleTopic.objects.filter(article=article, topic__merged_into=None).select_related("topic")
    for link in links:
        keys[topic_key(link.topic_id)] = (link.salience, link.topic.name)
    keys[section_key(article.section_id)] = (1.0, article.section.name)
    for source in sources_of(article):
        keys[source.key] = (1.0, source.label)
    return keys


def articles_by_key(key: str, cursor: str | None, size: int = 20) -> Page:
    """Published articles found by a key (an author's, an agency's), newest first, keyset-paginated."""
    rows = ArticleInterest.objects.filter(key=key, published_at__lte=timezone.now())
    position = decode_cursor(cursor)
    if position:
        when, pk = position
        rows = rows.filter(Q(published_at__lt=when) | Q(published_at=when, article_id__lt=pk))
    ids = list(rows.order_by("-published_at", "-article_id").values_list("article_id", flat=True)[: size + 1])
    by_id = {a.pk: a for a in listing(Article.objects.filter(pk__in=ids)) if a.is_published}
    items = [by_id[pk] for pk in ids if pk in by_id]
    next_cursor = encode_cursor(items[size - 1]) if len(items) > size else None
    return Page(items=items[:size], next_cursor=next_cursor)


# --- Who to tell about an article -----------------------------------------------------------------


@dataclass(frozen=True)
class Follower:
    user_id: int
    kind: str  # of the follow that makes them a follower (the strongest, per REASON_ORDER)
    label: str  # what they follow: "Syria", "AFP"

    @property
    def reason(self) -> str:
        return f"because you follow {self.label}"


def follow_keys_of(article: Article) -> dict[str, str]:
    """Every key by which a reader may follow `article`, with what the article calls it: its topics,
    section, authors, agency, and its discussion when it has one.  Two queries."""
    keys = {key: label for key, (_, label) in article_keys(article).items()}
    thread = Thread.objects.filter(article=article).first()
    if thread is not None:
        keys[discussion_key(thread.pk)] = str(thread)
    return keys


_REASON_RANK = {kind: rank for rank, kind in enumerate(REASON_ORDER)}


def followers_of(article: Article, chunk_size: int = 5000) -> Iterator[Follower]:
    """Every reader following something the article is filed under, once each, with the reason (the
    strongest of their follows, per REASON_ORDER, named as the article names it).

    One query, ``key IN (...)``, answered from the (key, user) index alone and streamed in chunks;
    readers are told apart in a dict here (an entry per follower: ~10 MB at 100,000) rather than
    by making the database sort the rows.
    """
    labels = follow_keys_of(article)
    kinds = {key: Kind(key.partition(":")[0]) for key in labels}
    best: dict[int, str] = {}
    rows = Follow.objects.filter(key__in=list(labels)).values_list("user_id", "key").iterator(chunk_size)
    for user_id, key in rows:
        held = best.get(user_id)
        if held is None or _REASON_RANK[kinds[key]] < _REASON_RANK[kinds[held]]:
            best[user_id] = key
    for user_id, key in best.items():
        yield Follower(user_id, kinds[key], labels[key])


# --- "For you" ------------------------------------------------------------------------------------


@dataclass
class FeedItem:
    article: Article
    reasons: list[Followable] = field(default_factory=list)  # strongest first; empty: most discussed
    relevance: float = 0.0


# Hours between a parameter and the newest published_at of a group, in each database's own terms.
_AGE_HOURS = {
    "sqlite": "(julianday(%s) - julianday(MAX(published_at))) * 24",
    "postgresql": "EXTRACT(EPOCH FROM (%s - MAX(published_at))) / 3600",
}
_KEYS = {"sqlite": "group_concat(key, ' ')", "postgresql": "string_agg(key, ' ')"}


def ranked_by_keys(
    weights: dict[str, float], size: int, since: datetime, until: datetime
) -> list[tuple[int, float, list[str]]]:
    """The `size` best articles for these keys (each with the weight of following it), ranked as
    for_you explains: (article id, relevance, the keys it matched), best first.

    One statement: the newest articles of each key in the window (per-key scans of an index that
    holds every column they read; UNION ALL of LIMITed subqueries, so the cost follows the keys,
    never the archive), grouped, scored and ranked by the database, which returns `size` rows.
    The candidates are FEED_CANDIDATES per place on the page, shared among the keys, but at least
    MIN_PER_KEY from each: 40 for one follow, the 5 newest of each of fifty.
    """
    if not weights:
        return []
    per_key = max(MIN_PER_KEY, math.ceil(FEED_CANDIDATES * size / len(weights)))
    part = (
        "SELECT * FROM (SELECT article_id, key, published_at, %s * (0.5 + 0.5 * weight) AS relevance "  # noqa: S608
        "FROM interests_articleinterest WHERE key = %s AND published_at <= %s AND published_at >= %s "
        "ORDER BY published_at DESC, article_id DESC LIMIT %s) AS newest"
    )
    vendor, union = connection.vendor, " UNION ALL ".join([part] * len(weights))
    sql = (
        f"SELECT article_id, SUM(relevance), {_KEYS[vendor]} FROM ({union}) AS matched "  # noqa: S608
        f"GROUP BY article_id ORDER BY (1 + {_AGE_HOURS[vendor]}) / SUM(relevance), article_id DESC LIMIT %s"
    )
    until_value, since_value = map(connection.ops.adapt_datetimefield_value, (until, since))
    params: list[str | float | int | None] = []
    for key, weight in weights.items():
        params += [weight, key, until_value, since_value, per_key]
    params += [until_value, size]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(article_id, relevance, keys.split(" ")) for article_id, relevance, keys in cursor.fetchall()]


def for_you(user: User, size: int = FEED_SIZE, now: datetime | None = None) -> list[FeedItem]:
    """Recent articles ranked by what `user` follows, each with the follows that put it there.

    An article's relevance is the sum, over the follows it matches, of KIND_WEIGHT times how much
    it is about the followed thing (0.5 plus half a topic's salience; authors, agencies and sections
    count whole).  It ranks by its age divided by its relevance: an article twice as relevant counts
    as half as old (ages start at an hour, so the newest minutes do not all tie).  A reader who
    follows nothing yet, or whose follows bring fewer than `size` articles from the last FEED_WINDOW,
    gets the most-discussed recent articles after them.  Four queries at most, whatever they follow.
    """
    now = now or timezone.now()
    rows = Follow.objects.filter(user=user).exclude(kind=Kind.DISCUSSION).values_list(*_FOLLOW_COLUMNS)
    follows = {row[1]: of_follow(*row) for row in rows}
    weights = {key: KIND_WEIGHT[Kind(followable.kind)] for key, followable in follows.items()}
    ranked = ranked_by_keys(weights, size, since=now - FEED_WINDOW, until=now)
    articles = {
        a.pk: a for a in listing(Article.objects.filter(pk__in=[r[0] for r in ranked])) if a.is_published
    }
    feed = []
    for article_id, relevance, keys in ranked:
        if article_id in articles:
            reasons = sorted((follows[key] for key in keys), key=lambda f: REASON_ORDER.index(Kind(f.kind)))
            feed.append(FeedItem(articles[article_id], reasons, relevance))
    if len(feed) < size:
        shown = [item.article.pk for item in feed]
        feed += [FeedItem(article) for article in most_discussed(size - len(feed), exclude=shown, now=now)]
    return feed


_FOLLOW_COLUMNS = ("kind", "key", "label", "topic__slug", "section__slug", "thread_id")


def of_follow(
    kind: str, key: str, label: str, topic_slug: str | None, section_slug: str | None, thread_id: int | None
) -> Followable:
    """A Followable from a stored follow's columns (_FOLLOW_COLUMNS; labels follow renames)."""
    slug = {Kind.TOPIC: topic_slug, Kind.SECTION: section_slug, Kind.DISCUSSION: str(thread_id)}.get(
        Kind(kind), key.partition(":")[2]
    )
    return Followable(kind, key, label, slug or "")


def most_discussed(limit: int, exclude: Sequence[int] = (), now: datetime | None = None) -> list[Article]:
    """The published articles of the last MOST_DISCUSSED_WINDOW with the most comments (one query)."""
    now = now or timezone.now()
    recent = Article.objects.published().filter(
        published_at__gte=now - MOST_DISCUSSED_WINDOW, thread__comment_count__gt=0
    )
    return list(
        listing(recent.exclude(pk__in=exclude)).order_by("-thread__comment_count", "-published_at")[:limit]
    )


# --- Active discussions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveDiscussion:
    thread: Thread
    recent_comments: int


def active_discussions(
    limit: int = 5, exclude_articles: Sequence[int] = (), now: datetime | None = None
) -> list[ActiveDiscussion]:
    """The discussions with the most of the site's newest ACTIVE_SCAN published comments written in
    the last ACTIVE_WINDOW, on published articles.  Two queries, each reading a bounded number of
    rows (the newest comments by primary key), however large the archive."""
    now = now or timezone.now()
    newest = (
        Comment.objects.filter(status=Comment.Status.PUBLISHED).order_by("-id").values("id")[:ACTIVE_SCAN]
    )
    counts = list(
        Comment.objects.filter(id__in=Subquery(newest), created_at__gte=now - ACTIVE_WINDOW)
        .values("thread_id")
        .annotate(n=Count("id"), last=Max("id"))
        .order_by("-n", "-last")[: limit + len(exclude_articles)]
    )
    threads = {
        t.pk: t
        for t in Thread.objects.filter(pk__in=[c["thread_id"] for c in counts], article__isnull=False)
        .exclude(article_id__in=exclude_articles)
        .select_related("article")
        if t.article is not None and t.article.is_published
    }
    found = [ActiveDiscussion(threads[c["thread_id"]], c["n"]) for c in counts if c["thread_id"] in threads]
    return found[:limit]


def topic_discussions(topic: Topic, limit: int = 5) -> QuerySet[Thread]:
    """The active discussions of a topic: among its TOPIC_DISCUSSIONS_SCAN newest articles, those
    with comments, the most recently commented first.  One query: an index range scan of the topic's
    links, and per thread one index seek for its newest published comment."""
    newest = (
        ArticleTopic.objects.filter(topic=topic)
        .order_by("-article_id")
        .values("article_id")[:TOPIC_DISCUSSIONS_SCAN]
    )
    last_comment = (
        Comment.objects.filter(thread=OuterRef("pk"), status=Comment.Status.PUBLISHED)
        .order_by("-id")
        .values("id")[:1]
    )
    return (
        Thread.objects.filter(
            article_id__in=Subquery(newest),
            comment_count__gt=0,
            article__status=Article.Status.PUBLISHED,
            article__published_at__lte=timezone.now(),
        )
        .select_related("article")
        .annotate(last_comment=Subquery(last_comment))
        .order_by(F("last_comment").desc(nulls_last=True), "-id")[:limit]
    )
