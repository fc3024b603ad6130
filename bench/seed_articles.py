"""Fill an empty, migrated database with N published articles, fast.

Run by bench/pages.py with the benchmark's DATABASE_URL; by hand:

    DATABASE_URL=sqlite:///var/bench/try.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:///var/bench/try.sqlite3 .venv/bin/python bench/seed_articles.py --count 1000

Writes 6 sections, 50 topics, and N articles of about 600 words each (8 blocks: six
paragraphs, a subhead and a figure), 1-3 topics apiece, published one every 25 minutes
back from now.  Derived fields (word count, reading time, search text, lead image) are
computed with the product's own functions, so pages show what the admin would produce.
Everything goes through bulk_create in batched transactions: no per-row save() and no
signals, but the FTS5 triggers still index every article as it is inserted.

Prints one JSON line at the end: counts, seconds, and the slug of the middle article.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import django

REPO_ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("DATABASE_URL"):
    sys.exit("seed_articles: set DATABASE_URL to the benchmark database (it is never the default one).")
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from articles.models import Article, ArticleBlock, Section, Topic  # noqa: E402
from articles.reading import count_words, reading_minutes  # noqa: E402
from articles.services import reader_texts  # noqa: E402

BATCH = 1000
SPACING = timedelta(minutes=25)

SECTIONS = ["World", "Politics", "Business", "Science", "Culture", "Sport"]
TOPIC_WORDS = [
    "Elections", "Climate", "Energy", "Housing", "Health", "Schools", "Transport", "Trade",
    "Inflation", "Jobs", "Courts", "Police", "Migration", "Farming", "Oceans", "Space",
    "Artificial intelligence", "Privacy", "Cycling", "Football", "Tennis", "Athletics", "Film",
    "Books", "Music", "Theatre", "Architecture", "Museums", "Food", "Travel", "Water", "Forests",
    "Wildlife", "Vaccines", "Hospitals", "Pensions", "Taxes", "Banks", "Startups", "Railways",
    "Aviation", "Shipping", "Mining", "Cities", "Villages", "Parliament", "Diplomacy", "Defence",
    "Universities", "Science policy",
]  # fmt: skip
NOUNS = [
    "council", "minister", "river", "company", "report", "study", "budget", "court", "team", "city",
    "market", "plan", "vote", "school", "hospital", "bridge", "harbour", "festival", "museum",
    "scientist", "farmer", "union", "railway", "forest", "election", "storm", "border", "treaty",
    "league", "coach", "village", "parliament", "agency", "port", "record", "season", "drought",
    "research"
]  # fmt: skip
VERBS = [
    "says", "expects", "warns", "approves", "rejects", "delays", "announces", "reviews", "questions",
    "backs", "blocks", "opens", "closes", "reports", "finds", "plans", "considers", "confirms",
    "denies", "restores", "extends", "cuts", "raises"
]  # fmt: skip
ADJECTIVES = [
    "new", "local", "national", "regional", "early", "late", "major", "minor", "rising", "falling",
    "quiet", "busy", "public", "private", "final", "first", "annual", "remote", "coastal", "northern",
    "southern", "urgent", "modest"
]  # fmt: skip
PLACES = [
    "Lisbon", "Lagos", "Lyon", "Leeds", "Lima", "Lahore", "Leipzig", "Luanda", "Oslo", "Osaka", "Quito",
    "Quebec", "Dakar", "Dublin", "Delhi", "Durban", "Hanoi", "Harare", "Kyiv", "Kochi", "Manila",
    "Madrid", "Nairobi", "Naples", "Perth", "Porto", "Seoul", "Sofia", "Turin", "Tunis"
]  # fmt: skip


def sentence(rng: random.Random) -> str:
    """One plausible news sentence of 12-19 words."""
    words = [rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(VERBS), "the", rng.choice(NOUNS)]
    filler = rng.choices(NOUNS + VERBS + ADJECTIVES + ["and", "of", "in", "for", "after", "with"], k=8)
    tail = ["in", rng.choice(PLACES), "on", rng.choice(["Monday", "Tuesday", "Friday", "Sunday"])]
    padding = rng.choices(
        ["officials", "said", "this", "week", "more", "than", "before"], k=rng.randint(0, 2)
    )
    text = " ".join(words + filler + padding + tail)
    return text[0].upper() + text[1:] + "."


def headline(rng: random.Random) -> str:
    return (
        f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS)} in {rng.choice(PLACES)} "
        f"{rng.choice(VERBS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    )


class TextPool:
    """Pre-generated sentences, sampled into paragraphs: realistic enough, and cheap for 100,000 articles."""

    def __init__(self, rng: random.Random, size: int = 5000) -> None:
        self.rng = rng
        self.sentences = [sentence(rng) for _ in range(size)]

    def paragraph(self, sentences: int = 5) -> str:
        return " ".join(self.rng.choices(self.sentences, k=sentences))


def seed_taxonomy() -> tuple[list[Section], list[Topic]]:
    """The six sections and fifty topics every article draws from."""
    sections = Section.objects.bulk_create(
        Section(id=i + 1, name=name, slug=slugify(name), position=i) for i, name in enumerate(SECTIONS)
    )
    topics = Topic.objects.bulk_create(
        Topic(id=i + 1, name=name, slug=slugify(name)) for i, name in enumerate(TOPIC_WORDS)
    )
    return sections, topics


def build_article(
    number: int, published_at: datetime, section: Section, pool: TextPool
) -> tuple[Article, list[ArticleBlock]]:
    """An unsaved Article (id = number) and its eight unsaved blocks, derived fields filled in."""
    rng = pool.rng
    title = headline(rng)
    article = Article(
        id=number,
        headline=title,
        slug=f"{slugify(title)[:180]}-{number}",
        standfirst=pool.paragraph(2),
        byline=rng.choice(["", "Ana Costa", "Kofi Mensah", "Mei Tanaka", "Lars Berg"]),
        source=rng.choice(["", "", "AFP", "Reuters"]),
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=published_at,
    )
    image = f"/media/figures/bench/photo-{number % 40:02d}.jpg"
    figure = ArticleBlock(
        kind=ArticleBlock.Kind.FIGURE,
        image_url=image,
        alt_text=f"A photograph of the {rng.choice(NOUNS)}",
        caption=pool.paragraph(1),
        credit=rng.choice(["Photo: Agora", "Photo: AFP"]),
    )
    subhead = ArticleBlock(kind=ArticleBlock.Kind.SUBHEAD, text=headline(rng))
    paragraphs = [ArticleBlock(kind=ArticleBlock.Kind.PARAGRAPH, text=pool.paragraph()) for _ in range(6)]
    blocks = paragraphs[:2] + [figure, paragraphs[2], subhead] + paragraphs[3:]
    for position, block in enumerate(blocks):
        block.article = article
        block.position = position
    texts = reader_texts(article, blocks)
    article.word_count = count_words(texts)
    article.reading_minutes = reading_minutes(article.word_count)
    article.search_text = "\n".join([article.headline, *[t for t in texts if t]])
    article.lead_image_src = image
    article.lead_image_alt = figure.alt_text
    return article, blocks


def seed_batch(
    first: int,
    last: int,
    count: int,
    sections: list[Section],
    topics: list[Topic],
    pool: TextPool,
    now: datetime,
) -> int:
    """Insert articles first..last (inclusive) in one transaction; returns the number of blocks."""
    rng = pool.rng
    articles, blocks, links = [], [], []
    Link = Article.topics.through
    for number in range(first, last + 1):
        published_at = now - SPACING * (count - number + 1) + timedelta(seconds=rng.randint(0, 600))
        article, article_blocks = build_article(number, published_at, sections[number % len(sections)], pool)
        articles.append(article)
        blocks.extend(article_blocks)
        links.extend(Link(article_id=number, topic_id=t.pk) for t in rng.sample(topics, rng.randint(1, 3)))
    with transaction.atomic():
        Article.objects.bulk_create(articles)
        ArticleBlock.objects.bulk_create(blocks)
        Link.objects.bulk_create(links)
    return len(blocks)


def finish(count: int) -> str:
    """Make created/updated equal to publication (bulk_create stamps them 'now'); the middle slug."""
    Article.objects.update(created_at=F("published_at"), updated_at=F("published_at"))
    return Article.objects.values_list("slug", flat=True).get(pk=max(1, count // 2))


def seed(count: int, seed_value: int) -> dict:
    if Article.objects.exists():
        sys.exit("seed_articles: the database already holds articles; seed a fresh one.")
    started = time.monotonic()
    pool = TextPool(random.Random(seed_value))
    sections, topics = seed_taxonomy()
    now = timezone.now() - timedelta(minutes=5)
    blocks = 0
    for first in range(1, count + 1, BATCH):
        blocks += seed_batch(first, min(first + BATCH - 1, count), count, sections, topics, pool, now)
    middle_slug = finish(count)
    return {
        "articles": count,
        "blocks": blocks,
        "seconds": round(time.monotonic() - started, 2),
        "middle_slug": middle_slug,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, required=True, help="how many published articles to write")
    parser.add_argument("--seed", type=int, default=20240601, help="random seed (same seed, same text)")
    args = parser.parse_args()
    print(json.dumps(seed(args.count, args.seed)))


if __name__ == "__main__":
    main()
