"""The public live stream of a thread says nothing about comments readers cannot see (held, rejected)."""

import re
import threading
import time

import pytest

from accounts.roles import EDITORS, MODERATORS
from discussions import services
from discussions.commenting import set_commenting_status
from discussions.models import Comment, CommentingPolicy
from discussions.tests.conftest import make_user
from moderation import services as moderation

pytestmark = pytest.mark.django_db(transaction=True)
S = CommentingPolicy.Status


@pytest.fixture
def short_streams(settings):
    settings.LIVE_STREAM_SECONDS = 5
    settings.LIVE_KEEPALIVE_SECONDS = 0.2


@pytest.mark.usefixtures("short_streams")
def test_held_and_rejected_comments_never_reach_the_public_stream(client, alice, bob, thread):
    editor = make_user("eddie", role=EDITORS, is_staff=True)
    moderator = make_user("mo", role=MODERATORS)
    response = client.get(f"/discussions/threads/{thread.pk}/events/")
    stream = iter(response.streaming_content)
    assert next(stream) == b"retry: 3000\n\n"  # subscribed
    hidden: list[int] = []

    def moderate_then_publish():
        time.sleep(0.3)
        published = services.post_comment(alice, thread, "Published")
        moderation.remove(moderator, published, "Spam")  # a tombstone readers see
        set_commenting_status(editor, thread.article, S.PREMODERATED)
        held = services.post_comment(alice, thread, "Waiting for review")
        services.edit_comment(alice, held, "Still waiting for review")
        rejected = services.post_comment(bob, thread, "Another one held")
        moderation.reject(moderator, rejected, "Off-topic")
        hidden.extend([held.pk, rejected.pk])
        set_commenting_status(editor, thread.article, S.OPEN)
        services.post_comment(bob, thread, "Public at last")

    writer = threading.Thread(target=moderate_then_publish)
    writer.start()
    seen = ""
    deadline = time.monotonic() + 10
    for chunk in stream:
        seen += chunk.decode()
        if seen.count("event: comment") == 2 or time.monotonic() > deadline:
            break
    writer.join()
    assert seen.count("event: comment") == 2
    assert Comment.objects.filter(pk__in=hidden, status__in=["held", "rejected"]).count() == 2
    mentioned = {int(n) for n in re.findall(r'"id": (\d+)', seen)}
    assert not mentioned & set(hidden)
    assert "held" not in seen and "rejected" not in seen
