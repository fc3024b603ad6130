"""Load the demo newsroom: six sections, its typed topics and aliases, and twenty original articles.

`make run` calls this after every migrate, so it is safe to repeat:

* every demo article has a fixed slug; a demo article that already exists is kept as it
  is (an editor may have changed it), unless `--refresh` asks to restore the demo text
  and give it fresh publication times;
* it touches no article outside those slugs, so anything an editor wrote is left alone;
* sections are created when missing; an existing section keeps the name and position an
  editor gave it, and only a blank description is filled in.

The content lives in articles/demo/newsroom.json and the figures in
articles/static/articles/demo/. All of it is invented for this project.

Then, unless `--newsroom-only`, the apps built on articles add theirs through the `demo_loaded`
signal (posting.demo: readers, a moderator, an editor and their discussions).  With
AGORA_ENV=production the command refuses to run unless `--force`.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.templatetags.static import static
from django.utils import timezone

from articles.models import Article, ArticleBlock, Section, Topic, TopicAlias
from articles.services import ArticleData, BlockData, upsert_article
from articles.signals import demo_loaded
from articles.topics.aliases import KINDS, alias_key

APP_DIR = Path(__file__).resolve().parents[2]
NEWSROOM_FILE = APP_DIR / "demo" / "newsroom.json"
FIGURE_DIR = APP_DIR / "static" / "articles" / "demo"
FIGURE_STATIC_PATH = "articles/demo/{name}.svg"


@dataclass
class LoadResult:
    sections: int
    articles: int
    created: int
    updated: int
    kept: int

    def summary(self) -> str:
        return (
            f"Demo newsroom: {self.sections} sections, {self.articles} articles "
            f"({self.created} created, {self.updated} updated, {self.kept} kept as they were)."
        )


def read_newsroom(path: Path = NEWSROOM_FILE) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read the demo newsroom from {path}: {exc}") from exc


def figure_url(name: str) -> str:
    """The static URL of a demo figure, whatever STATIC_URL and storage are in use."""
    if not (FIGURE_DIR / f"{name}.svg").is_file():
        raise CommandError(f"Demo figure {name!r} has no file {FIGURE_DIR / name}.svg")
    return static(FIGURE_STATIC_PATH.format(name=name))


def to_block(item: str | dict[str, str]) -> BlockData:
    """A body item from newsroom.json: a string (paragraph), {"subhead": ...} or {"figure": ...}."""
    if isinstance(item, str):
        return BlockData(ArticleBlock.Kind.PARAGRAPH, text=item)
    if "subhead" in item:
        return BlockData(ArticleBlock.Kind.SUBHEAD, text=item["subhead"])
    if "figure" in item:
        return BlockData(
            ArticleBlock.Kind.FIGURE,
            image_url=figure_url(item["figure"]),
            alt_text=item["alt"],
            caption=item["caption"],
            credit=item.get("credit", ""),
        )
    raise CommandError(f"Unknown body item in the demo newsroom: {item!r}")


def ensure_section(spec: dict[str, Any]) -> Section:
    """The section for `spec`, created if missing; an editor's choices for an existing one are kept."""
    section = (
        Section.objects.filter(slug=spec["slug"]).first()
        or Section.objects.filter(name__iexact=spec["name"]).first()
    )
    if section is None:
        return Section.objects.create(
            name=spec["name"], slug=spec["slug"], description=spec["description"], position=spec["position"]
        )
    if not section.description:
        section.description = spec["description"]
        section.save(update_fields=["description"])
    return section


def ensure_topics(kinds: dict[str, str], aliases: dict[str, str]) -> None:
    """Create the demo's typed topics (a place, an organisation) and its aliases before its articles
    name them; an existing topic keeps the kind an editor gave it, an existing alias its topic."""
    for name, kind in kinds.items():
        if kind not in KINDS:
            raise CommandError(f"Demo topic {name!r} has an unknown kind {kind!r}.")
        Topic.objects.get_or_create(slug=alias_key(name), defaults={"name": name, "kind": kind})
    for alias, name in aliases.items():
        topic = Topic.objects.filter(slug=alias_key(name)).first() or Topic.objects.create(
            name=name, slug=alias_key(name)
        )
        TopicAlias.objects.get_or_create(key=alias_key(alias), defaults={"name": alias, "topic": topic})


def to_article_data(item: dict[str, Any], section_slug: str, now: datetime) -> ArticleData:
    return ArticleData(
        slug=item["slug"],
        headline=item["headline"],
        standfirst=item["standfirst"],
        byline=item.get("byline", ""),
        source=item.get("source", ""),
        section_slug=section_slug,
        topics=list(item["topics"]),
        published_at=now - timedelta(hours=item["hours_ago"]),
        status=Article.Status.PUBLISHED,
        origin=Article.Origin.EDITOR,
        blocks=[to_block(block) for block in item["body"]],
    )


@transaction.atomic
def load_demo(
    newsroom: dict[str, Any] | None = None, now: datetime | None = None, refresh: bool = False
) -> LoadResult:
    """Create the missing demo sections and articles (and with `refresh`, restore the others)."""
    newsroom = newsroom if newsroom is not None else read_newsroom()
    now = now or timezone.now()
    section_slugs = {spec["slug"]: ensure_section(spec).slug for spec in newsroom["sections"]}
    ensure_topics(newsroom.get("topic_kinds", {}), newsroom.get("topic_aliases", {}))
    existing = set(
        Article.objects.filter(slug__in=[a["slug"] for a in newsroom["articles"]]).values_list(
            "slug", flat=True
        )
    )
    created = updated = kept = 0
    for item in newsroom["articles"]:
        if item["section"] not in section_slugs:
            raise CommandError(f"Demo article {item['slug']!r} names an unknown section {item['section']!r}.")
        if item["slug"] in existing and not refresh:
            kept += 1
            continue
        article, was_created = upsert_article(to_article_data(item, section_slugs[item["section"]], now))
        # The demo's dates are fiction: a story "published five hours ago" was not "updated" just now.
        Article.objects.filter(pk=article.pk).update(updated_at=article.published_at)
        created += was_created
        updated += not was_created
    return LoadResult(
        sections=len(section_slugs),
        articles=len(newsroom["articles"]),
        created=created,
        updated=updated,
        kept=kept,
    )


class Command(BaseCommand):
    help = (
        "Load the demo newsroom (sections, topics and sample articles) and its community (readers, "
        "a moderator, an editor, discussions). Safe to re-run; refused in production unless forced."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="Restore demo articles that already exist to the demo text, with fresh publication times.",
        )
        parser.add_argument(
            "--newsroom-only",
            action="store_true",
            help="Load the sections and articles only: no demo accounts, no discussions.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even with AGORA_ENV=production (it creates accounts and invented news).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if settings.PRODUCTION and not options["force"]:
            raise CommandError(
                "AGORA_ENV=production: load_demo would publish invented news and create demo accounts "
                "(a moderator and an editor among them). Nothing was loaded; pass --force if you mean it."
            )
        result = load_demo(refresh=bool(options["refresh"]))
        self.stdout.write(result.summary())
        if options["newsroom_only"]:
            return
        # The rest of the demo (posting.demo: the readers and their discussions), from other apps.
        for _receiver, said in demo_loaded.send(sender=self.__class__):
            if said:
                self.stdout.write(said)
