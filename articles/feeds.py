"""Our own RSS 2.0 and Atom feeds: the latest articles, site-wide and per section.

Feed readers render an item's description (RSS) and summary (Atom, type="html") as HTML, so
every text placed there is escaped first: a standfirst is text, and ingestion may have decoded
entity-encoded markup into it (`&amp;lt;img …&amp;gt;` in a meta description).  Titles and
names are text in both formats and go out as they are.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from articles.models import Article, Section
from articles.selectors import listing

FEED_SIZE = 30


class LatestArticlesFeed(Feed):
    title = f"{settings.SITE_NAME}: latest news"
    link = "/"
    description = "The latest articles published on Agora."

    def items(self) -> QuerySet[Article]:
        return listing(Article.objects.published())[:FEED_SIZE]

    def item_title(self, item: Article) -> str:
        return item.headline

    def item_description(self, item: Article) -> str:
        return escape(item.standfirst)

    def item_author_name(self, item: Article) -> str:
        return item.byline or item.source

    def item_pubdate(self, item: Article):  # type: ignore[no-untyped-def]
        return item.published_at

    def item_updateddate(self, item: Article):  # type: ignore[no-untyped-def]
        return item.updated_at

    def item_categories(self, item: Article) -> list[str]:
        return [item.section.name]


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    subtitle = LatestArticlesFeed.description


class SectionFeed(LatestArticlesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Section:  # type: ignore[override]
        return get_object_or_404(Section, slug=slug)

    def title(self, section: Section) -> str:  # type: ignore[override]
        return f"{settings.SITE_NAME}: {section.name}"

    def link(self, section: Section) -> str:  # type: ignore[override]
        return section.get_absolute_url()

    def description(self, section: Section) -> str:  # type: ignore[override]
        return section.description or f"The latest {section.name} articles on Agora."

    def items(self, section: Section) -> QuerySet[Article]:  # type: ignore[override]
        return listing(Article.objects.published().filter(section=section))[:FEED_SIZE]


class SectionAtomFeed(SectionFeed):
    feed_type = Atom1Feed
