from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError

from articles.models import Article, ArticleBlock, Topic
from articles.services import ArticleData, BlockData, refresh_derived_fields, unique_slug, upsert_article
from articles.tests.conftest import build_article, chosen_topics

pytestmark = pytest.mark.django_db


def wire(headline="Ceasefire talks open in the capital", **extra):
    return ArticleData(
        headline=headline,
        blocks=[
            BlockData("paragraph", "Talks opened on Monday. " * 100),
            BlockData("subhead", "Establish 'safe zone'"),
            BlockData("figure", caption="Delegates arrive at the conference hall"),
        ],
        source="AFP",
        section_slug="world",
        topics=["Diplomacy", "Middle East"],
        **extra,
    )


def test_upsert_creates_article_with_body_topics_and_derived_fields():
    article, created = upsert_article(wire(canonical_url="https://example.org/talks"))
    assert created
    assert article.slug == "ceasefire-talks-open-in-the-capital"
    assert [b.kind for b in article.blocks.all()] == ["paragraph", "subhead", "figure"]
    assert chosen_topics(article) == ["Diplomacy", "Middle East"]
    # 400 + 3 + 6 words read: headline excluded, subhead and caption included.
    assert article.word_count == 409
    assert article.reading_minutes == 2
    assert "Establish 'safe zone'" in article.search_text
    assert article.section.slug == "world"


@pytest.mark.parametrize(
    "key",
    [{"canonical_url": "https://example.org/a"}, {"feed_guid": "urn:feed:1"}, {"slug": "our-own-story"}],
)
def test_the_same_key_updates_instead_of_duplicating(key):
    first, created = upsert_article(wire(**key))
    second, created_again = upsert_article(wire(headline="Ceasefire talks open, updated", **key))
    assert created and not created_again
    assert first.pk == second.pk
    assert Article.objects.count() == 1
    second.refresh_from_db()
    assert second.headline == "Ceasefire talks open, updated"
    assert second.blocks.count() == 3


def test_invalid_article_writes_nothing():
    bad = wire(canonical_url="not a url")
    with pytest.raises(ValidationError):
        upsert_article(bad)
    assert Article.objects.count() == 0
    assert ArticleBlock.objects.count() == 0


def test_invalid_block_rolls_back_the_whole_article():
    data = wire()
    data.blocks.append(BlockData("figure", image_url="https://example.org/x.jpg"))  # no alt text
    with pytest.raises(ValidationError):
        upsert_article(data)
    assert Article.objects.count() == 0
    assert Topic.objects.count() == 0


def test_unique_slug_appends_a_counter():
    build_article("Same headline")
    build_article("Same headline")
    assert sorted(Article.objects.values_list("slug", flat=True)) == ["same-headline", "same-headline-2"]
    assert unique_slug("Same headline") == "same-headline-3"


def test_refresh_derived_fields_follows_body_edits():
    article = build_article(words=60)
    assert article.reading_minutes == 1
    block = article.blocks.get(kind="paragraph")
    block.text = "word " * 1000
    block.save()
    refresh_derived_fields(article)
    article.refresh_from_db()
    assert article.reading_minutes == 5
    assert article.lead_image_src == "/static/articles/demo/x.svg"
    assert article.lead_image_alt == "A harbour"


def test_published_excludes_drafts_and_future_articles():
    live = build_article()
    build_article(status=Article.Status.DRAFT)
    build_article(hours_ago=-5)
    assert list(Article.objects.published()) == [live]


def test_an_update_keeps_the_editors_section_and_status_unless_given():
    url = "https://example.org/keep"
    article, _ = upsert_article(wire(canonical_url=url))
    article.section = build_article(section="politics").section
    article.status = Article.Status.DRAFT
    article.save()
    again, created = upsert_article(
        replace(wire(headline="Updated copy", canonical_url=url), section_slug="")
    )
    assert not created and again.headline == "Updated copy"
    assert again.section.slug == "politics" and again.status == Article.Status.DRAFT
    moved, _ = upsert_article(replace(wire(canonical_url=url), section_slug="science", status="published"))
    assert moved.section.slug == "science" and moved.status == Article.Status.PUBLISHED


def test_only_later_edits_mark_an_article_updated():
    from datetime import timedelta

    from django.utils import timezone

    article, _ = upsert_article(wire(published_at=timezone.now() - timedelta(days=2)))
    assert not article.was_updated  # ingested now, published two days ago: not an update
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now() + timedelta(minutes=5))
    article.refresh_from_db()
    assert article.was_updated
