"""Retries of one post racing each other make exactly one comment (SQLite here; PostgreSQL with
DATABASE_URL), decided by the unique client_key constraint rather than a look-up first."""

import threading

import pytest
from django.db import connection

from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment, Thread
from discussions.tests.conftest import make_user
from posting import actions

RACERS = 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trusted", [True, False], ids=["published", "held"])
def test_racing_retries_make_exactly_one_comment(trusted):
    thread = services.thread_for_article(build_article("Busy story"))
    author = make_user("racer", trusted=trusted)
    start = threading.Barrier(RACERS)
    results: list[Comment] = []
    errors: list[BaseException] = []

    def retry() -> None:
        try:
            start.wait(timeout=30)
            results.append(actions.post_comment(author, thread, "Sent from a train", client_key="one-key"))
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    racers = [threading.Thread(target=retry) for _ in range(RACERS)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=120)
    assert not errors, errors
    assert len({comment.pk for comment in results}) == 1 and len(results) == RACERS
    assert sum(not comment.replayed for comment in results) == 1  # one stored it, the others replayed it
    assert Comment.objects.count() == 1
    assert Thread.objects.get(pk=thread.pk).comment_count == (1 if trusted else 0)
