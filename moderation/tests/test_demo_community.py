"""The demo community `manage.py load_demo` adds: accounts, comments and decisions, through the services."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from accounts.models import User
from articles.models import Article
from discussions import services
from discussions.models import Comment, Reaction, Thread
from moderation import queues
from moderation.models import AuditEntry, ModerationDecision, Report
from posting import demo

pytestmark = pytest.mark.django_db

GROUPS = {"moderator": "Moderators", "editor": "Editors", "reader": "Commenters"}
CREDENTIALS = re.compile(r"^  (\w+) +(\S+)   (.+), (moderator|editor|reader)$", re.MULTILINE)


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def first_run() -> str:
    return load()


def test_people_get_their_roles_and_their_passwords_once(first_run):
    printed = {m[0]: (m[1], m[3]) for m in CREDENTIALS.findall(first_run)}
    assert set(printed) == {p.username for p in demo.PEOPLE}
    assert "DEMO ACCOUNTS, for trying Agora on this machine only, never in production." in first_run
    for username, (password, role) in printed.items():
        user = authenticate(username=username, password=password)
        assert user is not None and user.email_verified_at is not None
        assert user.email == f"{username}@demo.invalid"
        assert (
            user.groups.get().name
            == {"moderator": "Moderators", "editor": "Editors", "reader": "Commenters"}[role]
        )
    assert User.objects.get(username="moderator").has_perm("moderation.moderate_comments")
    assert User.objects.get(username="editor").has_perm("discussions.feature_comment")
    assert len({password for password, _ in printed.values()}) == len(printed)  # random, one each

    again = load()
    assert not CREDENTIALS.findall(again)  # never printed twice
    assert "Demo accounts (passwords were shown when they were created" in again


def test_discussions_with_replies_reactions_and_a_pick(first_run, client):
    heat = Thread.objects.get(article__slug="heatwave-halvern-electricity-demand-record")
    comments = list(heat.comments.order_by("id"))
    assert heat.comment_count == len(comments) == 5
    assert all(c.status == Comment.Status.PUBLISHED for c in comments)
    assert [c.depth for c in comments] == [0, 1, 2, 0, 1]
    first = comments[0]
    assert first.reply_count == 2 and first.is_featured and first.author.username == "maria"
    assert first.reaction_count == Reaction.objects.filter(comment=first).count() == 3
    assert comments[4].author.username == "editor" and "@aiko" in comments[4].body

    # Counts agree with what is stored, in every thread and under every root.
    for thread in Thread.objects.annotate(
        shown=Count("comments", filter=Q(comments__status=Comment.Status.PUBLISHED))
    ):
        assert thread.comment_count == thread.shown
    for root in Comment.objects.filter(depth=0):
        assert root.reply_count == Comment.objects.filter(root=root, status=Comment.Status.PUBLISHED).count()

    page = client.get(heat.article.get_absolute_url()).content.decode()
    assert "Editor’s picks" in page and "Worth saying what held the grid up" in page


def test_a_held_comment_and_a_reported_one_wait_for_the_moderators(first_run):
    sizes = queues.sizes()  # Audit holds whichever demo comments the 1 % spot check samples
    assert (sizes["pending"], sizes["reported"], sizes["unmoderated"], sizes["appeals"]) == (1, 1, 1, 0)
    held = Comment.objects.get(status=Comment.Status.HELD)
    assert held.author.username == "jonas" and held.thread.article.slug == "reserve-bank-holds-rates"
    assert held.parent.author.username == "aiko"  # the queue shows the question it answers
    decision = ModerationDecision.objects.get(comment=held, is_current=True)
    assert (decision.source, decision.action) == ("pipeline", "hold")  # held by the checks, as for anyone
    report = Report.objects.get()
    assert (report.reporter.username, report.reason, report.comment.author.username) == (
        "aiko",
        "off_topic",
        "sam",
    )
    # The readers' first comments were pre-moderated and approved by the demo moderator, on the record.
    approvals = AuditEntry.objects.filter(action="approve_comment")
    assert approvals.count() == 10 and {e.actor.username for e in approvals} == {"moderator"}


def test_one_article_has_commenting_suspended_with_the_seed_notice(first_run, client):
    article = Article.objects.get(slug=demo.SUSPENDED)
    state = services.commenting_state(services.thread_for_article(article))
    assert (state.open, state.status, state.notice) == (False, "suspended", demo.SUSPENSION_NOTICE)
    page = client.get(article.get_absolute_url()).content.decode()
    assert demo.SUSPENSION_NOTICE in page
    assert "Capping rent rises at inflation plus one point" in page  # earlier comments stay readable


def test_a_second_run_changes_nothing(first_run):
    before = (
        Comment.objects.count(),
        Reaction.objects.count(),
        Report.objects.count(),
        ModerationDecision.objects.count(),
        AuditEntry.objects.count(),
        User.objects.count(),
    )
    assert "(0 posted now)" in load()
    after = (
        Comment.objects.count(),
        Reaction.objects.count(),
        Report.objects.count(),
        ModerationDecision.objects.count(),
        AuditEntry.objects.count(),
        User.objects.count(),
    )
    assert after == before


def test_refused_in_production_unless_forced(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="AGORA_ENV=production"):
        load()
    assert not Article.objects.exists() and not User.objects.exists()
    assert "Demo community" in load("--force")


def test_newsroom_only_creates_no_accounts():
    assert "Demo community" not in load("--newsroom-only")
    assert Article.objects.exists() and not User.objects.exists() and not Comment.objects.exists()
