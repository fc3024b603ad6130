"""Simultaneous retries of one post (same client_key) through the API make one comment."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from api.models import ApiToken
from api.tests.conftest import API, bearer
from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment, Thread
from discussions.tests.conftest import make_user


@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_client_key_make_one_comment():
    thread = services.thread_for_article(build_article("Busy story"))
    _, key = ApiToken.issue(make_user("racer"))
    start = threading.Barrier(6)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def post():
        try:
            client = Client(headers=bearer(key))
            start.wait(timeout=30)
            response = client.post(
                f"{API}/threads/{thread.pk}/comments",
                json.dumps({"body": "Sent from a train", "client_key": "one-key"}),
                content_type="application/json",
            )
            results.append((response.status_code, response.json().get("id")))
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=post) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    assert len(results) == 6
    assert {status for status, _ in results} <= {200, 201}, results
    assert len({comment_id for _, comment_id in results}) == 1
    assert Comment.objects.count() == 1
    assert Thread.objects.get(pk=thread.pk).comment_count == 1
