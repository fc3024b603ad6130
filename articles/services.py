"""Operations that change the newsroom.  Views, the admin and ingestion call these."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from articles.models import Article, ArticleBlock, Section, Topic
from articles.reading import count_words, reading_minutes

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


def refresh_derived_fields(article: Article) -> None:
    """Recompute word count, reading time, search text and lead image from the body.

    Called after the body changes (the admin's save_related, ingestion, the demo loader).
    Uses a queryset update so that updated_at and the cache signals behave as for any save.
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
    topics = []
    for name in names:
        name = " ".join(name.split())[:80]
        slug = slugify(name)[:80]
        if not slug:
            continue
        topic, _ = Topic.objects.get_or_create(slug=slug, defaults={"name": name})
        topics.append(topic)
    return topics


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
def upsert_article(data: ArticleData) -> tuple[Article, bool]:
    """Store an article, updating the existing one with the same canonical URL or GUID.

    Runs in one transaction: either the article and its whole body are written, or nothing is.
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
    if data.topics:
        article.topics.set(get_or_create_topics(data.topics))
    refresh_derived_fields(article)
    return article, created
