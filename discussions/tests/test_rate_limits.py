"""Only stored comments count against a reader's posting limit: drafts nudged or refused do not."""

import pytest
from django.test import Client

from discussions.models import Comment, Nudge
from discussions.tests.conftest import make_user
from moderation.models import ModerationRule

pytestmark = pytest.mark.django_db

INSULT = "What a stupid argument."
CIVIL = "I disagree: the harbour figures are from last year."


@pytest.fixture
def newcomer(db):
    return make_user("newcomer", trusted=False)  # the strictest limit: 3 comments a minute


def post(client, thread, body, **extra):
    return client.post(f"/discussions/threads/{thread.pk}/post/", {"body": body, **extra})


def test_a_rejection_two_nudges_and_post_anyway_are_not_posting_too_fast(newcomer, thread):
    ModerationRule.objects.create(phrase="forbiddenword", kind=ModerationRule.Kind.BANNED)
    client = Client()
    client.force_login(newcomer)
    post(client, thread, "This has a forbiddenword in it.")  # stored, rejected: counts
    post(client, thread, INSULT)  # nudged: nothing stored
    nudge = Nudge.objects.get()
    response = post(client, thread, INSULT, nudge=str(nudge.pk))  # nudged again
    assert "too fast" not in response.content.decode()
    response = post(client, thread, INSULT, nudge=str(nudge.pk), post_anyway="1")
    assert response.status_code == 302
    assert sorted(Comment.objects.values_list("status", flat=True)) == ["held", "rejected"]
    # The limit still holds for what is stored: a third comment fits, a fourth does not.
    assert post(client, thread, CIVIL).status_code == 302
    response = post(client, thread, CIVIL + " Again.")
    assert response.status_code == 429 and "You are posting too fast" in response.content.decode()
    assert Comment.objects.count() == 3


def test_refused_drafts_do_not_count(newcomer, thread):
    client = Client()
    client.force_login(newcomer)
    for _ in range(5):
        assert post(client, thread, "   ").status_code == 400  # empty: refused before any check
    assert post(client, thread, CIVIL).status_code == 302


def test_checks_of_drafts_have_a_generous_cap_of_their_own(newcomer, thread, settings):
    settings.MODERATION_CHECK_RATE_LIMIT = 4
    client = Client()
    client.force_login(newcomer)
    for _ in range(4):
        assert post(client, thread, INSULT).status_code == 200  # nudged each time
    response = post(client, thread, INSULT)
    assert response.status_code == 429 and "checking drafts too fast" in response.content.decode()
    assert Comment.objects.count() == 0
