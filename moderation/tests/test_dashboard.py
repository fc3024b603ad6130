"""The moderation dashboard: who may see it, and each figure from real comments, decisions and reports."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import EDITORS
from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment, Nudge
from discussions.tests.conftest import make_user
from moderation import audit
from moderation import dashboard as figures
from moderation import services as moderation
from moderation.models import ModerationDecision, Report
from posting import actions

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("moderation:dashboard")


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def held_comment(thread, username: str, minutes_waiting: int) -> Comment:
    """A new reader's comment, held by pre-moderation `minutes_waiting` minutes ago."""
    comment = actions.post_comment(make_user(username, trusted=False), thread, f"Hello from {username}.")
    assert comment.status == "held"
    ModerationDecision.objects.filter(comment=comment).update(
        created_at=timezone.now() - timedelta(minutes=minutes_waiting)
    )
    return comment


def test_anonymous_readers_log_in_and_readers_get_403(client, alice):
    assert client.get(DASHBOARD).status_code == 302
    client.force_login(alice)
    assert client.get(DASHBOARD).status_code == 403


def test_editors_and_moderators_see_it(client, moderator):
    editor = make_user("editor", role=EDITORS)
    for user in (editor, moderator):
        client.force_login(user)
        assert client.get(DASHBOARD).status_code == 200
    client.force_login(editor)
    # Editors see the dashboard from the nav, but not the queues (they cannot act on comments).
    page = client.get(DASHBOARD).text
    assert f'href="{DASHBOARD}">Moderation</a>' in page
    assert client.get(reverse("moderation:queue", args=["pending"])).status_code == 403


def test_comments_per_hour_and_what_the_checks_did(alice, thread):
    actions.post_comment(alice, thread, "A fair point about the harbour.")
    actions.post_comment(alice, thread, "Another fair point about the talks.")
    held_comment(thread, "newbie", 5)
    old = actions.post_comment(alice, thread, "Written two days ago.")
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    ModerationDecision.objects.filter(comment=old).update(created_at=timezone.now() - timedelta(days=2))

    day = figures.build("24h")
    assert day.per_hour.total == 3 and day.per_hour.peak == 3
    assert len(day.per_hour.bars) in (24, 25)  # the hours the window touches
    shares = {s.key: (s.count, round(s.percent)) for s in day.shares}
    assert shares == {"publish": (2, 67), "hold": (1, 33), "reject": (0, 0)}
    assert day.posted == 3
    assert figures.build("7d").per_hour.total == 4


def test_queue_sizes_and_time_to_decision(moderator, thread):
    quick, slow, waiting = (held_comment(thread, f"reader{i}", m) for i, m in enumerate((10, 50, 30)))
    moderation.approve(moderator, quick)
    moderation.reject(moderator, slow, "rude")
    built = figures.build("24h")
    assert built.sizes == {"pending": 1, "reported": 0, "unmoderated": 0, "audit": 0, "appeals": 0}
    assert built.oldest_pending is not None
    assert built.timing.decisions == 2
    assert timedelta(minutes=10) <= built.timing.median < timedelta(minutes=11)
    assert timedelta(minutes=50) <= built.timing.p90 < timedelta(minutes=51)
    assert built.timing.median_label == "10 min"
    assert figures.duration_label(timedelta(hours=3, minutes=5)) == "3 h 5 min"


def test_top_reported_articles_and_heat_guard_switches(alice, bob, thread, mod_client):
    quiet = services.thread_for_article(build_article("Budget vote delayed"))
    loud = actions.post_comment(alice, thread, "A loud comment.")
    calm = actions.post_comment(alice, quiet, "A calm comment.")
    for reporter in (bob, make_user("carol"), make_user("dave")):
        Report.objects.create(comment=loud, reporter=reporter, reason="abuse")
    Report.objects.create(comment=calm, reporter=bob, reason="spam")
    audit.record(None, "heat_guard_on", thread, "4 of 6 comments flagged", mode="premoderated")
    audit.record(None, "heat_guard_off", thread, "calm for 30 minutes", mode="premoderated")

    top = figures.build("24h").top_reported
    assert [(r.label, r.reports, r.comments) for r in top] == [
        ("Harbour talks resume", 3, 1),
        ("Budget vote delayed", 1, 1),
    ]
    assert top[0].bar.width > top[1].bar.width

    page = mod_client.get(DASHBOARD).text
    assert "4 of 6 comments flagged" in page and "calm for 30 minutes" in page
    assert reverse("discussions:thread", args=[thread.pk]) in page
    assert reverse("moderation:queue", args=["reported"]) + f"?article={thread.article_id}" in page


def test_charts_are_svg_with_text_alternatives(mod_client, alice, thread):
    actions.post_comment(alice, thread, "A fair point about the harbour.")
    page = mod_client.get(DASHBOARD + "?window=7d").text
    assert page.count('role="img"') == 2  # per hour and the share (no reports: a sentence instead)
    assert "Comments per hour as a table" in page and "<title>" in page
    assert "Published: 1 (100.0%)" in page  # the share chart's description
    assert "Last 7 days" in page
    assert "Last 24 hours" in mod_client.get(DASHBOARD + "?window=forever").text


def test_the_dashboard_costs_a_fixed_number_of_queries(
    mod_client, alice, thread, django_assert_max_num_queries
):
    for i in range(20):
        actions.post_comment(alice, thread, f"Comment number {i} about the harbour.")
        Report.objects.create(
            comment=Comment.objects.latest("id"), reporter=make_user(f"r{i}"), reason="spam"
        )
    # 16, the 2 new queues' sizes, the leak and false-hold rates, 3 for appeals, and the bell
    with django_assert_max_num_queries(24):
        assert mod_client.get(DASHBOARD).status_code == 200


def test_how_often_a_nudge_led_to_an_edit(mod_client, alice, thread):
    post_url = reverse("discussions:post", args=[thread.pk])
    client = Client()
    client.force_login(alice)
    client.post(post_url, {"body": "What a stupid argument.", "client_key": "n1"})  # nudged
    nudge = Nudge.objects.get()
    client.post(post_url, {"body": "I disagree with this argument.", "client_key": "n1", "nudge": nudge.pk})
    client.post(post_url, {"body": "This article is crap, you idiots.", "client_key": "n2"})  # nudged again
    second = Nudge.objects.exclude(pk=nudge.pk).get()
    anyway = {
        "body": "This article is crap, you idiots.",
        "client_key": "n2",
        "nudge": second.pk,
        "post_anyway": "1",
    }
    client.post(post_url, anyway)
    assert sorted(Nudge.objects.values_list("outcome", flat=True)) == ["edited", "posted_anyway"]

    page = mod_client.get(DASHBOARD).text
    assert "<strong>50%</strong> of answered nudges led to an edit." in page
    assert "<tr><td>2</td><td>1</td><td>1</td><td>0</td><td>0</td></tr>" in page
