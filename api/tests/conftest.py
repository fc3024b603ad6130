"""Builders for API tests: real users, articles, tokens and comments, through the same services."""

import pytest
from django.test import Client

from api.models import ApiToken
from articles.models import Article
from articles.tests.conftest import build_article

API = "/api/v1"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def token_client(user, name: str = "tests") -> Client:
    _, key = ApiToken.issue(user, name)
    return Client(headers=bearer(key))


def error_of(response) -> dict:
    """The error envelope, checked for its shape."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    assert body["error"]["message"]
    return body["error"]


def closed_article(headline: str = "Closed story") -> Article:
    article = build_article(headline)
    Article.objects.filter(pk=article.pk).update(comment_policy=Article.CommentPolicy.CLOSED)
    article.refresh_from_db()
    return article


@pytest.fixture
def as_alice(alice) -> Client:
    return token_client(alice)


@pytest.fixture
def as_bob(bob) -> Client:
    return token_client(bob)


@pytest.fixture
def anon() -> Client:
    return Client()
