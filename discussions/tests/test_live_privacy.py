"""The public live stream of a thread says nothing about comments readers cannot see (held, rejected)."""

import re

import pytest

from accounts.roles import EDITORS, MODERATORS
from discussions.models import Comment, CommentingPolicy
from discussions.tests.conftest import make_user
from moderation import services as moderation
from moderation.commenting import set_commenting_status
from posting import actions

pytestmark = pytest.mark.django_db(transaction=True)
S = CommentingPolicy.Status


@pytest.fixture
def short_streams(settings):
    settings.LIVE_STREAM_SECONDS = 5
    settings.LIVE_KEEPALIVE_SECONDS = 0.2


@pytest.mark.usefixtures("short_streams")
def test_held_and_rejected_comments_never_reach_the_public_stream(asgi_server, alice, bob, thread):
    editor = make_user("eddie", role=EDITORS, is_staff=True)
    moderator = make_user("mo", role=MODERATORS)
    stream = asgi_server.stream(f"/discussions/threads/{thread.pk}/events/")
    assert stream.status == 200 and "retry: 3000" in stream.read_until("retry: 3000")  # subscribed

    published = actions.post_comment(alice, thread, "Published")
    moderation.remove(moderator, published, "Spam")  # a tombstone readers see
    set_commenting_status(editor, thread.article, S.PREMODERATED)
    held = actions.post_comment(alice, thread, "Waiting for review")
    actions.edit_comment(alice, held, "Still waiting for review")
    rejected = actions.post_comment(bob, thread, "Another one held")
    moderation.reject(moderator, rejected, "Off-topic")
    hidden = [held.pk, rejected.pk]
    set_commenting_status(editor, thread.article, S.OPEN)
    last = actions.post_comment(bob, thread, "Public at last")

    seen = stream.read_until(f"id: {last.pk}")
    stream.close()
    assert seen.count("event: comment") == 2
    assert Comment.objects.filter(pk__in=hidden, status__in=["held", "rejected"]).count() == 2
    mentioned = {int(n) for n in re.findall(r'"id": (\d+)', seen)}
    assert not mentioned & set(hidden)
    assert "held" not in seen and "rejected" not in seen
