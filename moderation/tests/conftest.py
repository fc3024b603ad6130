"""Moderation test builders: real users, threads and comments through the services."""

import pytest

from accounts.roles import MODERATORS
from discussions.models import Comment, Thread
from discussions.tests.conftest import make_user
from moderation.models import UserTrust


@pytest.fixture
def newcomer(db):
    """A confirmed account that has not had any comment approved yet."""
    return make_user("newcomer", trusted=False)


@pytest.fixture
def member(db):
    """Past pre-moderation, not yet trusted."""
    user = make_user("member", trusted=False)
    UserTrust.objects.create(user=user, score=3, approved_count=3)
    return user


@pytest.fixture
def moderator(db):
    return make_user("mod", role=MODERATORS)


def counts(thread: Thread, root: Comment | None = None) -> tuple[int, int | None]:
    """(published comments in the thread, published replies under `root`), from the database."""
    thread.refresh_from_db(fields=["comment_count"])
    replies = None
    if root is not None:
        root.refresh_from_db(fields=["reply_count"])
        replies = root.reply_count
    return thread.comment_count, replies


def published_in(thread: Thread) -> int:
    return Comment.objects.filter(thread=thread, status=Comment.Status.PUBLISHED).count()
