"""Operations that change the newsroom.  Views, the admin and ingestion call these."""

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from agora.page_cache import current_generation
from articles.events import ALIAS_SCOPE, article_stored
from articles.models import (
    Article,
    ArticleBlock,
    ArticleTopic,
    RelatedArticle,
    Section,
    Topic,
    TopicAlias,
    TopicExclusion,
)
from articles.reading import count_words, reading_minutes
from articles.topics.aliases import SUBJECT, AliasTable, alias_key, shipped_table
from articles.topics.extraction import ExtractedTopic, Extractor, article_segments

SLUG_MAX = 200


@dataclass
class BlockData:
    kind: str
    text: str = ""
    image_url: str = ""
    alt_text: str = ""
    caption: str = ""
    credit: str = ""


@dataclass
class ArticleData:
    """An article as ingestion or an import produces it, before it is stored."""

    headline: str
    blocks: list[BlockData]
    standfirst: str = ""
    byline: str = ""
    source: str = ""
    section_slug: str = ""
    topics: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    canonical_url: str | None = None
    feed_guid: str | None = None
    origin: str = Article.Origin.EDITOR
    # None keeps what an existing article has (an editor may have unpublished it); new ones publish.
    status: str | None = None
    slug: str = ""  # a stable address for our own articles (the demo newsroom); derived when blank


def reader_texts(article: Article, blocks: Sequence[ArticleBlock]) -> list[str]:
    """The texts a reader reads on the article page, in order (headline excluded)."""
    texts = [article.standfirst]
    for block in blocks:
        texts.append(block.text if block.kind != ArticleBlock.Kind.FIGURE else block.caption)
    return texts


def refresh_derived_fields(article: Article, topics: bool = True) -> None:
    """Recompute what derives from the body: word count, reading time, search text, lead image, then
    (unless `topics` is False: derive_topics will, later) the topics and the related articles, and
    tell the layers above that the article is stored.

    Called after the body changes (the admin's save_related, ingestion, the demo loader).
    Uses a save with update_fields so that updated_at and the cache signals behave as for any save.
    """
    blocks = list(article.blocks.all())
    texts = reader_texts(article, blocks)
    words = count_words(texts)
    lead = next((b for b in blocks if b.kind == ArticleBlock.Kind.FIGURE and b.image_src), None)
    article.word_count = words
    article.reading_minutes = reading_minutes(words)
    article.search_text = "\n".join([article.headline, *[t for t in texts if t]])
    article.lead_image_src = lead.image_src if lead else ""
    article.lead_image_alt = lead.alt_text if lead else ""
    article.save(
        update_fields=[
            "word_count",
            "reading_minutes",
            "search_text",
            "lead_image_src",
            "lead_image_alt",
            "updated_at",
        ]
    )
    if topics:
        derive_topics(article, blocks)


@transaction.atomic
def derive_topics(article: Article, blocks: Sequence[ArticleBlock] | None = None) -> None:
    """Extract the article's topics, store its related articles, and send `article_stored` (the layers
    above index and announce it).  Bulk ingestion runs this in a background task (articles.tasks)."""
    assign_topics(article, list(article.blocks.all()) if blocks is None else blocks)
    refresh_related(article)
    article_stored.send(sender=Article, article=article)


def unique_slug(headline: str, exclude_pk: int | None = None) -> str:
    base = slugify(headline)[:SLUG_MAX].strip("-") or "article"
    slug, n = base, 2
    taken = Article.objects.all() if exclude_pk is None else Article.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)] + suffix
        n += 1
    return slug


def get_or_create_section(slug: str) -> Section:
    slug = slugify(slug) or slugify(settings.INGEST_DEFAULT_SECTION)
    section, _ = Section.objects.get_or_create(
        slug=slug, defaults={"name": slug.replace("-", " ").title(), "position": 100}
    )
    return section


def get_or_create_topics(names: Iterable[str]) -> list[Topic]:
    """The topics these names stand for (through aliases and merges), created when new.

    A new topic takes its kind from the alias table when the table knows the name, else is a subject.
    """
    table = alias_table()
    wanted: dict[str, tuple[str, str]] = {}
    for name in names:
        name = " ".join(name.split())[:80]
        entry = table.lookup(name)
        wanted.setdefault(name, (entry.name, entry.kind) if entry else (name, SUBJECT))
    found = resolve_topics(list(wanted.values()))
    topics = [found[alias_key(name)] for name, _ in wanted.values() if alias_key(name) in found]
    return list(dict.fromkeys(topics))  # two names of one topic give it once


def resolve_topics(names: Sequence[tuple[str, str]]) -> dict[str, Topic]:
    """(name, kind) pairs to topics, keyed by alias_key(name): an alias or a topic's slug finds an
    existing topic (a merged one stands for the topic it was merged into), in two queries however
    many names; the others are created with that name and kind."""
    keys = {alias_key(name): (name, kind) for name, kind in names if alias_key(name)}
    by_alias = {a.key: a.topic for a in TopicAlias.objects.filter(key__in=keys).select_related("topic")}
    by_slug = {t.slug: t for t in Topic.objects.filter(slug__in=keys)}
    found: dict[str, Topic] = {}
    for key, (name, kind) in keys.items():
        topic = by_alias.get(key) or by_slug.get(key)
        if topic is None:
            topic, _ = Topic.objects.get_or_create(
                slug=key, defaults={"name": unique_topic_name(name), "kind": kind}
            )
        found[key] = topic
    merged = {t.merged_into_id for t in found.values() if t.merged_into_id}
    if merged:
        targets = Topic.objects.in_bulk(merged)
        found = {key: targets[t.merged_into_id] if t.merged_into_id else t for key, t in found.items()}
    return found


def unique_topic_name(name: str) -> str:
    """`name`, or with a number when another topic has it in another spelling ("C++" and "C")."""
    candidate, n = name[:80], 2
    while Topic.objects.filter(name=candidate).exists():
        candidate = f"{name[:75]} ({n})"
        n += 1
    return candidate


class _Extractors:
    """One Extractor per process for the current alias table: rebuilt when editors change an alias
    (signals bump ALIAS_SCOPE's generation), checked with one cache read per article."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._table: AliasTable | None = None
        self._extractor: Extractor | None = None

    def table(self) -> AliasTable:
        self._refresh()
        assert self._table is not None
        return self._table

    def extractor(self) -> Extractor:
        self._refresh()
        with self._lock:
            if self._extractor is None or self._extractor.table is not self._table:
                assert self._table is not None
                self._extractor = Extractor(self._table)
            return self._extractor

    def _refresh(self) -> None:
        generation = current_generation(ALIAS_SCOPE)
        with self._lock:
            if generation == self._generation and self._table is not None:
                return
            aliases = TopicAlias.objects.filter(topic__merged_into=None).values_list(
                "name", "topic__name", "topic__kind"
            )
            self._table = shipped_table().with_aliases(aliases)
            self._generation = generation


_extractors = _Extractors()


def alias_table() -> AliasTable:
    """The shipped alias table with editors' aliases on top."""
    return _extractors.table()


def extract_topics(article: Article, blocks: Sequence[ArticleBlock]) -> list[ExtractedTopic]:
    paragraphs = [b.text for b in blocks if b.kind != ArticleBlock.Kind.FIGURE]
    captions = [b.caption for b in blocks if b.kind == ArticleBlock.Kind.FIGURE]
    segments = article_segments(article.headline, article.standfirst, paragraphs, captions)
    return _extractors.extractor().extract(segments)


def assign_topics(article: Article, blocks: Sequence[ArticleBlock]) -> None:
    """Link the article to the topics extracted from its text, with their salience.

    Links an editor (or the source's own categories) chose stay whatever the text says; topics an
    editor removed (TopicExclusion) are never linked again; extracted links the text no longer
    supports go.  TOPIC_EXTRACTION=False keeps only the chosen links.
    """
    extracted = extract_topics(article, blocks) if settings.TOPIC_EXTRACTION else []
    topics = resolve_topics([(t.name, t.kind) for t in extracted])
    excluded = set(TopicExclusion.objects.filter(article=article).values_list("topic_id", flat=True))
    wanted: dict[int, float] = {}
    for item in extracted:
        topic = topics[alias_key(item.name)]
        if topic.pk not in excluded:
            wanted[topic.pk] = max(wanted.get(topic.pk, 0.0), item.salience)
    links = {link.topic_id: link for link in ArticleTopic.objects.filter(article=article)}
    stale = [
        link.pk
        for link in links.values()
        if link.origin == ArticleTopic.Origin.EXTRACTED and link.topic_id not in wanted
    ]
    ArticleTopic.objects.filter(pk__in=stale).delete()
    ArticleTopic.objects.bulk_create(
        ArticleTopic(article=article, topic_id=pk, salience=salience, origin=ArticleTopic.Origin.EXTRACTED)
        for pk, salience in wanted.items()
        if pk not in links
    )
    for pk, salience in wanted.items():
        link = links.get(pk)
        if link is not None and link.origin == ArticleTopic.Origin.EXTRACTED and link.salience != salience:
            ArticleTopic.objects.filter(pk=link.pk).update(salience=salience)
    recount_topics(set(links) | set(wanted))


def editor_topics_changed(article: Article, added: Sequence[Topic], removed_ids: Sequence[int]) -> None:
    """An editor linked `added` and unlinked `removed_ids` by hand: the first stay whatever the text
    says, the second never come back by extraction (until the editor adds them again)."""
    ArticleTopic.objects.filter(article=article, topic_id__in=removed_ids).delete()
    TopicExclusion.objects.bulk_create(
        [TopicExclusion(article=article, topic_id=pk) for pk in set(removed_ids)], ignore_conflicts=True
    )
    for topic in added:
        ArticleTopic.objects.update_or_create(
            article=article, topic=topic, defaults={"origin": ArticleTopic.Origin.EDITOR, "salience": 1.0}
        )
    TopicExclusion.objects.filter(article=article, topic__in=added).delete()
    recount_topics({*removed_ids, *(t.pk for t in added)})


def recount_topics(topic_ids: Iterable[int]) -> None:
    """Recount the published articles of these topics (one UPDATE)."""
    ids = set(topic_ids)
    if not ids:
        return
    published = (
        ArticleTopic.objects.filter(topic=OuterRef("pk"), article__status=Article.Status.PUBLISHED)
        .values("topic")
        .annotate(n=Count("id"))
        .values("n")
    )
    Topic.objects.filter(pk__in=ids).update(article_count=Coalesce(Subquery(published), 0))


def merge_topic(source: Topic, target: Topic) -> None:
    """Fold `source` into `target`: its article links (the higher salience where an article has both),
    exclusions and aliases move, its name becomes an alias, and it stays as a row pointing at
    `target` (its address redirects).  Followers are the interests layer's to move."""
    if source.pk == target.pk or target.merged_into_id is not None:
        raise ValueError(f"Cannot merge {source} into {target}.")
    both = ArticleTopic.objects.filter(topic=target).values("article_id")
    for link in ArticleTopic.objects.filter(topic=source, article_id__in=both):
        ArticleTopic.objects.filter(
            topic=target, article_id=link.article_id, salience__lt=link.salience
        ).update(salience=link.salience)
    ArticleTopic.objects.filter(topic=source, article_id__in=both).delete()
    ArticleTopic.objects.filter(topic=source).update(topic=target)
    excluded_both = TopicExclusion.objects.filter(topic=target).values("article_id")
    TopicExclusion.objects.filter(topic=source, article_id__in=excluded_both).delete()
    TopicExclusion.objects.filter(topic=source).update(topic=target)
    TopicAlias.objects.filter(topic=source).update(topic=target)
    Topic.objects.filter(merged_into=source).update(merged_into=target)
    add_alias(target, source.name)
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    recount_topics([source.pk, target.pk])


def rename_topic(topic: Topic, name: str) -> Topic:
    """Give a topic a new name (and address); the old name stays an alias, so extraction keeps
    filing it here."""
    name = " ".join(name.split())[:80]
    if not alias_key(name):
        raise ValueError("A topic's name needs letters or digits.")
    old_name = topic.name
    topic.name, topic.slug = name, alias_key(name)
    topic.full_clean(exclude=["merged_into"])
    topic.save(update_fields=["name", "slug"])
    add_alias(topic, old_name)
    return topic


def add_alias(topic: Topic, name: str) -> None:
    """`name` means `topic` from now on (an alias another topic had moves here)."""
    key = alias_key(name)
    if key and key != topic.slug:
        TopicAlias.objects.update_or_create(key=key, defaults={"topic": topic, "name": name})


# --- Related articles, stored -------------------------------------------------------------------

RELATED_KEEP = 8
RELATED_OFFER = 3 * RELATED_KEEP
RELATED_CANDIDATES_PER_TOPIC = 50
SAME_SECTION_BONUS = 0.25


def related_scores(article: Article) -> dict[int, float]:
    """Articles sharing topics with `article`, scored by the topics they share weighted by salience
    (the lesser of the two saliences per topic) plus SAME_SECTION_BONUS for the same section.

    The score is symmetric, so it is also `article`'s score in each candidate's list.  Candidates are
    the newest RELATED_CANDIDATES_PER_TOPIC articles of each of its topics (index range scans of the
    link table, one UNION ALL): the cost follows the article's topics, never the archive.
    """
    own = dict(ArticleTopic.objects.filter(article=article).values_list("topic_id", "salience"))
    if not own:
        return {}
    part = (
        "SELECT * FROM (SELECT article_id, topic_id, salience FROM articles_article_topics "  # noqa: S608
        "WHERE topic_id = %s AND article_id <> %s ORDER BY article_id DESC LIMIT %s) AS recent"
    )
    params: list[int] = []
    for topic_id in own:
        params += [topic_id, article.pk, RELATED_CANDIDATES_PER_TOPIC]
    scores: dict[int, float] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([part] * len(own)), params)
        for candidate_id, topic_id, salience in cursor.fetchall():
            scores[candidate_id] = scores.get(candidate_id, 0.0) + min(own[topic_id], salience)
    same_section = Article.objects.filter(pk__in=scores, section_id=article.section_id).values_list(
        "pk", flat=True
    )
    for pk in same_section:
        scores[pk] += SAME_SECTION_BONUS
    return scores


def refresh_related(article: Article) -> None:
    """Store `article`'s best RELATED_KEEP related articles, and offer it to its closest candidates'
    lists (each keeps its own best RELATED_KEEP), so a new story shows up under the older ones it is
    closest to.  Its entries in other lists are first dropped: its topics may have changed."""
    scores = related_scores(article)
    ranked = sorted(scores, key=lambda pk: (scores[pk], pk), reverse=True)
    offered = ranked[:RELATED_OFFER]
    RelatedArticle.objects.filter(Q(article=article) | Q(related=article)).delete()
    RelatedArticle.objects.bulk_create(
        [RelatedArticle(article=article, related_id=pk, score=scores[pk]) for pk in ranked[:RELATED_KEEP]]
        + [RelatedArticle(article_id=pk, related=article, score=scores[pk]) for pk in offered]
    )
    trim_related(offered)


def trim_related(article_ids: Sequence[int]) -> None:
    """Drop all but the best RELATED_KEEP entries of these articles (one read, one delete)."""
    rows = RelatedArticle.objects.filter(article_id__in=article_ids).values_list("pk", "article_id", "score")
    kept: dict[int, list[tuple[float, int]]] = {}
    for pk, article_id, score in rows:
        kept.setdefault(article_id, []).append((score, pk))
    surplus = [pk for entries in kept.values() for _, pk in sorted(entries, reverse=True)[RELATED_KEEP:]]
    if surplus:
        RelatedArticle.objects.filter(pk__in=surplus).delete()


def find_existing(data: ArticleData) -> Article | None:
    """The stored article this data updates: same canonical URL, else feed GUID, else given slug."""
    keys = [
        ("canonical_url", data.canonical_url),
        ("feed_guid", data.feed_guid),
        ("slug", data.slug),
    ]
    for field_name, value in keys:
        if value:
            found = Article.objects.filter(**{field_name: value}).first()
            if found:
                return found
    return None


@transaction.atomic
def upsert_article(data: ArticleData, topics: bool = True) -> tuple[Article, bool]:
    """Store an article, updating the existing one with the same canonical URL or GUID.

    Runs in one transaction: either the article and its whole body are written, or nothing is.
    With `topics` False, the caller runs derive_topics later (bulk ingestion, in the background).
    Returns (article, created).
    """
    article = find_existing(data)
    created = article is None
    if article is None:
        article = Article(slug=data.slug or unique_slug(data.headline))
    article.headline = data.headline.strip()[:300]
    article.standfirst = data.standfirst.strip()
    article.byline = data.byline.strip()[:200]
    article.source = data.source.strip()[:100]
    if data.section_slug or created:
        # An update without a section keeps the one an editor may have chosen.
        article.section = get_or_create_section(data.section_slug or settings.INGEST_DEFAULT_SECTION)
    article.origin = data.origin
    if data.status is not None or created:
        article.status = data.status or Article.Status.PUBLISHED
    if data.published_at is not None:
        article.published_at = data.published_at
    elif created:
        article.published_at = timezone.now()
    article.canonical_url = data.canonical_url or article.canonical_url
    article.feed_guid = data.feed_guid or article.feed_guid
    article.full_clean(exclude=["slug"] if not created else None)
    article.save()

    blocks = [
        ArticleBlock(
            article=article,
            position=position,
            kind=block.kind,
            text=block.text.strip(),
            image_url=block.image_url,
            alt_text=block.alt_text.strip()[:300],
            caption=block.caption.strip(),
            credit=block.credit.strip()[:200],
        )
        for position, block in enumerate(data.blocks)
    ]
    for block in blocks:
        block.full_clean(exclude=["article"])
    article.blocks.all().delete()
    ArticleBlock.objects.bulk_create(blocks)
    if data.topics:  # the source's own categories (a feed's, the demo's): kept whatever the text says
        editor_topics_changed(article, added=get_or_create_topics(data.topics), removed_ids=[])
    refresh_derived_fields(article, topics=topics)
    return article, created
