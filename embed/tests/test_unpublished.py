"""The embed tells nothing about articles readers cannot see yet: which slugs exist, their headlines."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from articles.models import Article
from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment, Thread
from embed.tests.conftest import STORY, open_story
from posting import actions

pytestmark = pytest.mark.django_db
HEADLINE = "Merger talks collapse"


def own_page(slug: str) -> str:
    return f"{settings.SITE_URL}/articles/{slug}/"


@pytest.mark.parametrize("status", [Article.Status.DRAFT, "embargoed"])
def test_an_unpublished_articles_page_answers_as_an_unknown_page_of_ours(client, status):
    article = build_article(HEADLINE)
    if status == "embargoed":
        Article.objects.filter(pk=article.pk).update(published_at=timezone.now() + timedelta(days=1))
    else:
        Article.objects.filter(pk=article.pk).update(status=status)
    slug = article.slug

    hidden = open_story(client, url=own_page(slug), title="")
    unknown = open_story(client, url=own_page("no-such-story"), title="")

    assert hidden.status_code == unknown.status_code == 404
    assert hidden.content == unknown.content
    assert not Thread.objects.exists()  # no thread is started for a page of ours that is not a story


def test_an_unpublished_ingested_story_says_nothing_about_itself(client):
    build_article(HEADLINE, canonical_url=STORY, status=Article.Status.DRAFT)
    response = open_story(client, title="")
    assert response.status_code == 404
    html = response.content.decode()
    assert HEADLINE not in html and "published" not in html
    assert not Thread.objects.exists()


def test_the_embeds_discussion_pages_of_a_pulled_article_are_missing_pages(client, alice):
    article = build_article(HEADLINE)
    thread = services.thread_for_article(article)
    root = actions.post_comment(alice, thread, "Posted while it was public")
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    client.force_login(alice)
    before = Comment.objects.count()
    for response in (
        client.get(f"/embed/discussions/threads/{thread.pk}/"),
        client.get(f"/embed/discussions/comments/{root.pk}/"),
        client.get(f"/embed/discussions/comments/{root.pk}/replies/"),
        client.get(f"/embed/discussions/comments/{root.pk}/reply/"),
        client.get(f"/embed/discussions/comments/{root.pk}/edit/"),
        client.get(f"/embed/discussions/threads/{thread.pk}/events/"),
        client.post(f"/embed/discussions/threads/{thread.pk}/post/", {"body": "Sneaking in"}),
        client.post(f"/embed/discussions/comments/{root.pk}/react/"),
    ):
        assert response.status_code == 404
        assert HEADLINE not in response.content.decode()
    assert Comment.objects.count() == before
