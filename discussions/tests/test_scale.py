"""A 10,000-comment thread opens with the same queries as a 10-comment one; counts survive concurrency."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions import selectors, services
from discussions.models import Comment, Thread
from discussions.tests.conftest import bulk_thread, make_user
from posting import actions


def first_page_queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.django_db
def test_first_page_costs_the_same_at_10_and_10000_comments(client, settings, alice, article_pair):
    settings.PAGE_CACHE_SECONDS = 0
    small_article, large_article = article_pair
    bulk_thread(services.thread_for_article(small_article), alice, roots=5, replies_per_root=1)
    bulk_thread(services.thread_for_article(large_article), alice, roots=2000, replies_per_root=4)
    assert Comment.objects.filter(thread__article=large_article).count() == 10_000
    client.force_login(alice)  # logged in: never served from the page cache, and reactions are looked up
    first_page_queries(client, small_article.get_absolute_url())  # builds this process's snapshots, once
    small, _ = first_page_queries(client, small_article.get_absolute_url())
    large, html = first_page_queries(client, large_article.get_absolute_url())
    assert small == large
    assert html.count('class="thread-root"') == selectors.PAGE_SIZE
    assert "Show more comments" in html and "Show 1 more replies" in html


@pytest.fixture
def article_pair(db):
    from articles.tests.conftest import build_article

    return build_article("Small thread"), build_article("Large thread")


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_are_all_counted_once(article_pair):
    article = article_pair[0]
    thread = services.thread_for_article(article)
    root = actions.post_comment(make_user("root_author"), thread, "Root")
    writers = [make_user(f"writer{i}") for i in range(8)]
    errors: list[BaseException] = []

    def write(user):
        try:
            for n in range(5):
                actions.post_comment(user, thread, f"{user.username} reply {n}", root, client_key=f"k{n}")
                # a retried request with the same key must not create a second comment
                actions.post_comment(user, thread, f"{user.username} reply {n}", root, client_key=f"k{n}")
        except BaseException as error:  # surfaced to the test below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=write, args=(user,)) for user in writers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    assert Comment.objects.filter(thread=thread).count() == 41
    assert Thread.objects.get(pk=thread.pk).comment_count == 41
    assert Comment.objects.get(pk=root.pk).reply_count == 40
