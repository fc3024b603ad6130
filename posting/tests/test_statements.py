"""What a post costs the database: a fixed number of statements, whatever the thread, the author's
history or the rules.  (Statements, not time: figures are bench/discussions_profile.py's.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions.models import Comment
from discussions.tests.conftest import bulk_thread, make_user
from moderation.models import ModerationRule
from posting import actions

# The author's trust, groups and ban (1), earlier copies of the text (1: the repeats check); then the
# comment, its decision, the thread's count and the author's trust (4).  The thread's commenting
# levels come from a snapshot (a thread or article with a level of its own adds 1).  A reply adds its
# sort key and its parent's reply count (2).
POST_STATEMENTS = 6
REPLY_STATEMENTS = POST_STATEMENTS + 2
TEXT = "A considered comment about the harbour talks and what they mean for the town."


@pytest.fixture(autouse=True)
def warm(bob, thread):
    """A first post builds this process's snapshots (permissions, commenting levels, rules, thresholds,
    model versions): a few more statements, once."""
    actions.post_comment(bob, thread, "Warming the snapshots before counting.")


def statements(post) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        post()
    return len([q for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])


def test_a_post_costs_a_fixed_number_of_statements(alice, thread, settings):
    settings.MODERATION_RATE_LIMITS = {"new": 1000, "member": 1000, "trusted": 1000}
    first = statements(lambda: actions.post_comment(alice, thread, TEXT + " 1", client_key="k1"))
    assert first == POST_STATEMENTS
    root = Comment.objects.get(client_key="k1")
    assert root.status == "published"
    reply = statements(lambda: actions.post_comment(alice, thread, TEXT + " 2", parent=root))
    assert reply == REPLY_STATEMENTS


def test_no_growth_with_thread_size_history_or_rules(alice, thread, settings):
    settings.MODERATION_RATE_LIMITS = {"new": 10000, "member": 10000, "trusted": 10000}
    small = statements(lambda: actions.post_comment(alice, thread, TEXT + " small"))
    bulk_thread(thread, make_user("crowd"), roots=300, replies_per_root=3)
    for i in range(30):  # a long history: trust earned comment by comment
        actions.post_comment(alice, thread, f"{TEXT} history {i}")
    ModerationRule.objects.bulk_create(
        ModerationRule(phrase=f"rarephrase{i}", kind=ModerationRule.Kind.SUSPECT) for i in range(200)
    )
    ModerationRule.objects.create(phrase="onemore", kind=ModerationRule.Kind.SUSPECT)  # signals the snapshot
    actions.post_comment(alice, thread, TEXT + " warming the rules snapshot")
    large = statements(lambda: actions.post_comment(alice, thread, TEXT + " large"))
    assert large == small == POST_STATEMENTS


@pytest.mark.parametrize("mentions", [0, 3])
def test_mentions_cost_two_statements_whatever_their_number(alice, thread, mentions):
    for i in range(mentions):
        make_user(f"named{i}")
    named = " ".join(f"@named{i}" for i in range(mentions))
    cost = statements(lambda: actions.post_comment(alice, thread, f"{TEXT} {named}"))
    assert cost == POST_STATEMENTS + (2 if mentions else 0)  # who they are, and the mentions
