"""429 with Retry-After: reads per client address, writes per user; refused writes write nothing."""

import json

import pytest
from django.test import Client

from api.tests.conftest import API, error_of
from discussions.models import Comment

pytestmark = pytest.mark.django_db


def test_reads_are_limited_per_address(settings, thread):
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "read": 3}
    reader = Client(REMOTE_ADDR="203.0.113.1")
    statuses = [reader.get(f"{API}/threads/{thread.pk}/comments").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = reader.get(f"{API}/threads")
    assert error_of(refused)["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Client(REMOTE_ADDR="203.0.113.2").get(f"{API}/threads").status_code == 200


def test_writes_are_limited_per_user(settings, as_alice, as_bob, thread):
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "write": 2}
    url = f"{API}/threads/{thread.pk}/comments"

    def post(client, n):
        return client.post(url, json.dumps({"body": f"Comment {n}"}), content_type="application/json")

    assert [post(as_alice, n).status_code for n in range(3)] == [201, 201, 429]
    refused = post(as_alice, 4)
    assert error_of(refused)["code"] == "rate_limited" and int(refused["Retry-After"]) >= 1
    assert Comment.objects.count() == 2
    assert post(as_bob, 5).status_code == 201
