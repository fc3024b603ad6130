"""The queue selectors a moderation queue page will list from, and what the comment form shows."""

import pytest

from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import selectors
from moderation import services as moderation
from posting import actions

pytestmark = pytest.mark.django_db

TOXIC = "You are a stupid worthless piece of shit, shut up"


def test_queues(alice, bob, thread, moderator, settings):
    settings.MODERATION_REPORTS_TO_HOLD = 5
    published = actions.post_comment(alice, thread, "A calm point about the harbour.")
    held = actions.post_comment(bob, thread, TOXIC)
    rejected = actions.post_comment(bob, thread, "Kill yourself.")
    moderation.report(make_user("carol"), published, "off_topic")
    assert [d.comment for d in selectors.held_queue()] == [held]
    assert [d.comment for d in selectors.unreviewed_queue()] == [published]
    reported = list(selectors.reported_queue())
    assert reported == [published] and reported[0].open_reports == 1
    moderation.approve(moderator, held)
    assert list(selectors.held_queue()) == []
    assert [d.comment for d in selectors.unreviewed_queue()] == [published]  # approved ones were reviewed
    assert list(selectors.reported_queue()) == [published]
    assert rejected.status == Comment.Status.REJECTED


def test_the_comment_form_shows_refusals(client, alice, thread, moderator):
    moderation.ban(moderator, alice, "Threats against another reader.")
    client.force_login(alice)
    response = client.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Hello?"})
    assert response.status_code == 403
    assert "Threats against another reader." in response.content.decode()
    assert "Hello?" in response.content.decode()  # the text is kept in the form
    assert Comment.objects.count() == 0
