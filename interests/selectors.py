"""Reads: what a reader follows, who follows an article, the "For you" feed, active discussions.

Each returns a bounded amount of data in a fixed number of queries.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
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
    """Every key the article is found by in feeds: key -> (weight, label).  One query (its topics)."""
    keys: dict[str, tuple[float, str]] = {}
    links = ArticleTopic.objects.filter(article=article, topic__merged_into=None).select_related("topic")
    for link in links:
        keys[topic_key(link.topic_id)] = (link.salience, link.topic.name)
    keys[section_key(article.section_id)] = (1.0, "")
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


def follow_keys_of(article: Article) -> list[str]:
    """Every key by which a reader may follow `article`: its topics, section, authors, agency, and its
    discussion when it has one.  Two queries."""
    keys = list(article_keys(article))
    thread_id = Thread.objects.filter(article=article).values_list("pk", flat=True).first()
    if thread_id is not None:
        keys.append(discussion_key(thread_id))
    return keys


def followers_of(article: Article, chunk_size: int = 5000) -> Iterator[Follower]:
    """Every reader following something the article is filed under, once each, with the reason.

    One indexed query (``key IN (...)`` on (key, user)) streamed in chunks, ordered by reader so
    each reader's follows arrive together; the cost follows the number of followers, and memory
    stays flat at 100,000 of them.
    """
    keys = follow_keys_of(article)
    rows = (
        Follow.objects.filter(key__in=keys)
        .order_by("user_id")
        .values_list("user_id", "kind", "label")
        .iterator(chunk_size=chunk_size)
    )
    current: Follower | None = None
    for user_id, kind, label in rows:
        if current is not None and current.user_id != user_id:
            yield current
            current = None
        if current is None or REASON_ORDER.index(Kind(kind)) < REASON_ORDER.index(Kind(current.kind)):
            current = Follower(user_id, kind, label or kind)
    if current is not None:
        yield current


# --- "For you" ------------------------------------------------------------------------------------


@dataclass
class FeedItem:
    article: Article
    reasons: list[Followable] = field(default_factory=list)  # strongest first; empty: most discussed
    score: float = 0.0


def newest_by_keys(
    keys: Sequence[str], per_key: int, since: datetime, until: datetime
) -> list[tuple[int, str, float, datetime]]:
    """(article id, key, weight, published_at) of the newest `per_key` articles of each key in the
    window: one statement of per-key index range scans (UNION ALL of LIMITed subqueries), so its cost
    follows the keys asked for, never the archive."""
    if not keys:
        return []
    part = (
        "SELECT * FROM (SELECT article_id, key, weight, published_at FROM interests_articleinterest "  # noqa: S608
        "WHERE key = %s AND published_at <= %s AND published_at >= %s "
        "ORDER BY published_at DESC, article_id DESC LIMIT %s) AS newest"
    )
    params: list[str | datetime | int] = []
    for key in keys:
        params += [key, until, since, per_key]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([part] * len(keys)), params)
        return [(row[0], row[1], row[2], _as_datetime(row[3])) for row in cursor.fetchall()]


def _as_datetime(value: datetime | str) -> datetime:
    """SQLite hands raw SQL's timestamps back as text (in UTC, as Django stores them)."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


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
    matches = newest_by_keys(list(follows), per_key=size, since=now - FEED_WINDOW, until=now)
    scored: dict[int, FeedItem] = {}
    ages: dict[int, float] = {}
    for article_id, key, weight, published_at in matches:
        followable = follows[key]
        item = scored.setdefault(article_id, FeedItem(article=Article()))
        item.score += KIND_WEIGHT[Kind(followable.kind)] * (0.5 + 0.5 * weight)
        item.reasons.append(followable)
        ages[article_id] = 1.0 + max(0.0, (now - published_at).total_seconds() / 3600)
    best = sorted(scored, key=lambda pk: (ages[pk] / scored[pk].score, -pk))[:size]
    articles = {a.pk: a for a in listing(Article.objects.filter(pk__in=best)) if a.is_published}
    feed = []
    for pk in best:
        if pk in articles:
            item = scored[pk]
            item.article = articles[pk]
            item.reasons.sort(key=lambda f: REASON_ORDER.index(Kind(f.kind)))
            feed.append(item)
    if len(feed) < size:
        shown = [item.article.pk for item in feed]
        feed += [FeedItem(article) for article in most_discussed(size - len(feed), exclude=shown, now=now)]
    return feed


_FOLLOW_COLUMNS = ("kind", "key", "label", "topic__slug", "section__slug", "thread_id")


def of_follow(
    kind: str, key: str, label: str, topic_slug: str | None, section_slug: str | None, thread_id: int | None
) -> Followable:
    """A Followable from a stored follow's columns (_FOLLOW_COLUMNS; labels follow renames)."""
    if kind == Kind.TOPIC:
        return Followable(kind, key, label, reverse("articles:topic", args=[topic_slug]))
    if kind == Kind.SECTION:
        return Followable(kind, key, label, reverse("articles:section", args=[section_slug]))
    if kind == Kind.DISCUSSION:
        return Followable(kind, key, label, reverse("discussions:thread", args=[thread_id]))
    return of_author(label) if kind == Kind.AUTHOR else of_agency(label)


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
    """The most commented discussions among the topic's TOPIC_DISCUSSIONS_SCAN newest articles (one
    query, an index range scan of the topic's links)."""
    newest = (
        ArticleTopic.objects.filter(topic=topic)
        .order_by("-article_id")
        .values("article_id")[:TOPIC_DISCUSSIONS_SCAN]
    )
    return (
        Thread.objects.filter(
            article_id__in=Subquery(newest),
            comment_count__gt=0,
            article__status=Article.Status.PUBLISHED,
            article__published_at__lte=timezone.now(),
        )
        .select_related("article")
        .order_by("-comment_count", "-id")[:limit]
    )
