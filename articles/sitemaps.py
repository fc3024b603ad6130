from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet

from articles.models import Article, Section, Topic


class ArticleSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.8
    limit = 5000

    def items(self) -> QuerySet[Article]:
        return Article.objects.published().only("slug", "updated_at").order_by("-published_at", "-id")

    def lastmod(self, article: Article):  # type: ignore[no-untyped-def]
        return article.updated_at


class SectionSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.6

    def items(self) -> QuerySet[Section]:
        return Section.objects.all()


class TopicSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self) -> QuerySet[Topic]:
        return Topic.objects.all()


SITEMAPS = {"articles": ArticleSitemap, "sections": SectionSitemap, "topics": TopicSitemap}
