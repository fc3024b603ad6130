"""Builders for newsroom tests: real rows through the same services the product uses."""

from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from articles.models import Article, ArticleTopic
from articles.services import ArticleData, BlockData, upsert_article

_serial = count(1)


def build_article(
    headline: str | None = None,
    *,
    section: str = "world",
    topics: tuple[str, ...] = ("Diplomacy",),
    words: int = 300,
    hours_ago: float = 1,
    status: str = Article.Status.PUBLISHED,
    byline: str = "Ada Reporter",
    source: str = "AFP",
    **extra: object,
) -> Article:
    n = next(_serial)
    headline = headline or f"Harbour talks resume in round {n}"
    blocks = [
        BlockData("paragraph", " ".join(["Negotiators met at the harbour office."] * (words // 6))),
        BlockData("subhead", "Next steps"),
        BlockData(
            "figure", image_url="/static/articles/demo/x.svg", alt_text="A harbour", caption="The harbour"
        ),
    ]
    data = ArticleData(
        headline=headline,
        standfirst=f"Standfirst {n}.",
        byline=byline,
        source=source,
        section_slug=section,
        topics=list(topics),
        blocks=blocks,
        published_at=timezone.now() - timedelta(hours=hours_ago),
        status=status,
        **extra,  # type: ignore[arg-type]
    )
    article, _ = upsert_article(data)
    return article


def chosen_topics(article: Article) -> list[str]:
    """The topics the source or an editor chose (extraction may add others), by name."""
    links = article.articletopic_set.filter(origin=ArticleTopic.Origin.EDITOR).order_by("topic__name")
    return list(links.values_list("topic__name", flat=True))


@pytest.fixture
def article_factory(db):
    return build_article
