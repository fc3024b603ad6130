"""agora.prepared: a query compiled once answers exactly what the same queryset answers."""

from datetime import datetime, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from agora.prepared import Prepared, PreparedUpdate
from api.models import ApiToken
from discussions.models import Comment, Thread
from discussions.tests.conftest import make_user

pytestmark = pytest.mark.django_db

tokens_with_users = Prepared(
    lambda key_hash: ApiToken.objects.select_related("user").filter(key_hash=key_hash), str
)
recent_bodies = Prepared(
    lambda author_id, since: (
        Comment.objects.filter(author_id=author_id, created_at__gte=since)
        .order_by("pk")
        .values_list("pk", "body", "created_at")
    ),
    int,
    datetime,
)


def _token(user, key_hash: str) -> ApiToken:
    return ApiToken.objects.create(user=user, name="app", key_hash=key_hash)


def test_model_rows_with_their_related_objects_match_the_queryset():
    alice, bob = make_user("alice"), make_user("bob")
    _token(alice, "a" * 64)
    _token(bob, "b" * 64)
    for key_hash in ("a" * 64, "b" * 64, "a" * 64):  # the second and third calls reuse the compiled SQL
        (found,) = tokens_with_users.all(key_hash)
        expected = ApiToken.objects.select_related("user").get(key_hash=key_hash)
        assert (found.pk, found.key_hash, found.created_at) == (
            expected.pk,
            expected.key_hash,
            expected.created_at,
        )
        assert found.created_at.tzinfo is not None  # the ORM's converters ran
        assert found.user.username == expected.user.username and found.user.is_active
    assert tokens_with_users.first("c" * 64) is None


def test_values_list_rows_and_datetime_arguments_match_the_queryset(thread):
    alice = make_user("alice")
    earlier = timezone.now() - timedelta(hours=2)
    old = Comment.objects.create(thread=thread, author=alice, body="old", body_html="<p>old</p>")
    Comment.objects.filter(pk=old.pk).update(created_at=earlier)
    new = Comment.objects.create(thread=thread, author=alice, body="new", body_html="<p>new</p>")
    since = timezone.now() - timedelta(hours=1)
    rows = recent_bodies.all(alice.pk, since)
    assert rows == list(
        Comment.objects.filter(author_id=alice.pk, created_at__gte=since)
        .order_by("pk")
        .values_list("pk", "body", "created_at")
    )
    assert [pk for pk, _, _ in rows] == [new.pk]
    assert [pk for pk, _, _ in recent_bodies.all(alice.pk, earlier - timedelta(minutes=1))] == [
        old.pk,
        new.pk,
    ]


def test_an_argument_the_query_does_not_use_exactly_once_is_refused():
    unused = Prepared(lambda key_hash: ApiToken.objects.all(), str)
    with pytest.raises(ValueError, match="each argument once"):
        unused.all("x")
    with pytest.raises(TypeError, match="ints, strings and datetimes"):
        Prepared(lambda value: ApiToken.objects.filter(pk=value), float).all(1.0)


counted = PreparedUpdate(
    lambda thread_id, delta: (
        Thread.objects.filter(pk=thread_id),
        {"comment_count": F("comment_count") + delta},
    ),
    int,
    int,
)


def test_an_update_changes_the_rows_the_queryset_names_and_says_how_many(thread):
    other = Thread.objects.create(url="https://example.org/other", title="Other")
    before = Thread.objects.get(pk=thread.pk).comment_count
    assert counted.run(thread.pk, 3) == 1
    assert counted.run(thread.pk, -1) == 1
    assert counted.run(-5, 1) == 0  # no such thread
    assert Thread.objects.get(pk=thread.pk).comment_count == before + 2
    assert Thread.objects.get(pk=other.pk).comment_count == 0
