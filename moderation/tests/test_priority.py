"""Pending in priority order, and "approve the rest of this view below score X"."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import queues, selectors
from moderation.models import AuditEntry, ModerationDecision, Report

pytestmark = pytest.mark.django_db

PENDING = reverse("moderation:queue", args=["pending"])
BELOW = reverse("moderation:approve-below")


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def held(thread, name: str, toxicity: float, identity: float = 0.0, minutes_ago: int = 0, reports: int = 0):
    """A comment the checks held with these scores, posted `minutes_ago`, with `reports` open reports."""
    author = make_user(name, trusted=False)
    comment = Comment.objects.create(thread=thread, author=author, body=f"{name} says", status="held")
    decision = ModerationDecision.objects.create(
        comment=comment,
        author=author,
        action="hold",
        reason="it reads as an insult",
        scores={"toxicity": toxicity, "identity_attack": identity, "insult": toxicity},
    )
    ModerationDecision.objects.filter(pk=decision.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    for i in range(reports):
        Report.objects.create(comment=comment, reporter=make_user(f"{name}-r{i}"), reason="abuse")
    return comment


@pytest.fixture
def queue(thread):
    return {
        "calm": held(thread, "calm", 0.05, minutes_ago=50),
        "hateful": held(thread, "hateful", 0.10, identity=0.70, minutes_ago=40),  # the group head decides
        "rude": held(thread, "rude", 0.60, minutes_ago=30, reports=1),
        "reported": held(thread, "reported", 0.08, minutes_ago=20, reports=3),
        "mild": held(thread, "mild", 0.12, minutes_ago=10),
    }


def names(page) -> list[str]:
    return [item.comment.author.username for item in page.items]


def test_pending_orders_by_score_reports_or_age(queue):
    assert names(queues.load_page("pending")) == ["calm", "hateful", "rude", "reported", "mild"]
    assert names(queues.load_page("pending", order="score")) == [
        "hateful",
        "rude",
        "mild",
        "reported",
        "calm",
    ]
    assert names(queues.load_page("pending", order="reports")) == [
        "reported",
        "rude",
        "hateful",
        "mild",
        "calm",
    ]
    assert [round(item.risk, 2) for item in queues.load_page("pending", order="score").items] == [
        0.7,
        0.6,
        0.12,
        0.08,
        0.05,
    ]


def test_the_moderator_chooses_the_order_with_links(mod_client, queue):
    page = mod_client.get(PENDING, {"order": "score"})
    html = page.content.decode()
    assert names(page.context["page"]) == ["hateful", "rude", "mild", "reported", "calm"]
    assert 'href="?order=score" aria-current="true">Most likely to break the guidelines</a>' in html
    assert 'href="?order=reports">Most reported</a>' in html
    # The live fragment keeps the order: its poll and its "show" link.
    assert "order=score" in page.context["poll_url"]
    updates = mod_client.get(page.context["poll_url"])
    assert updates.status_code == 200
    assert names(mod_client.get(PENDING, {"order": "nonsense"}).context["page"])[0] == "calm"  # the default


def test_the_ordered_queue_pages_by_number(mod_client, thread, settings, monkeypatch):
    monkeypatch.setattr(queues, "PAGE_SIZE", 2)
    for i in range(5):
        held(thread, f"w{i}", 0.1 * (i + 1))
    first = mod_client.get(PENDING, {"order": "score"}).context["page"]
    assert names(first) == ["w4", "w3"] and first.next_query == "order=score&page=2"
    assert names(mod_client.get(PENDING + "?" + first.next_query).context["page"]) == ["w2", "w1"]


def shown_decisions(mod_client, **params) -> list[int]:
    page = mod_client.get(PENDING, params).context["page"]
    return [item.decision.pk for item in page.items]


def test_approve_below_asks_first_then_approves_only_what_the_page_showed(
    mod_client, moderator, queue, thread
):
    shown = shown_decisions(mod_client, order="score")
    # Meanwhile: a new low-scoring comment arrives, and "mild" is edited (a new current decision).
    late = held(thread, "late", 0.01)
    mild = queue["mild"]
    ModerationDecision.objects.filter(comment=mild).update(is_current=False)
    ModerationDecision.objects.create(
        comment=mild, author=mild.author, action="hold", scores={"toxicity": 0.1}
    )

    form = {"decision": shown, "below": "0.20", "next": PENDING + "?order=score"}
    preview = mod_client.post(BELOW, form)
    assert preview.status_code == 200
    assert preview.context["found"] and [d.comment.author.username for d in preview.context["found"]] == [
        "calm"
    ]
    assert "Approve 1 comment?" in preview.content.decode()
    assert Comment.objects.filter(status="published").count() == 0  # nothing done yet

    done = mod_client.post(BELOW, {**form, "confirm": "yes"}, follow=True)
    assert "Approved 1 comment scoring under 0.20." in done.content.decode()
    statuses = dict(Comment.objects.values_list("author__username", "status"))
    assert statuses == {
        "calm": "published",  # shown, under 0.20, no report
        "hateful": "held",  # toxicity 0.10, but attack on a group 0.70
        "rude": "held",  # over the bar
        "reported": "held",  # under it, but readers reported it: a person reads it
        "mild": "held",  # edited since the page was shown
        "late": "held",  # arrived since: never shown
    }
    entry = AuditEntry.objects.get(action="approve_comment")
    assert (entry.actor, entry.target_id, entry.reason) == (
        moderator,
        str(queue["calm"].pk),
        "approved in bulk: scored under 0.20",
    )
    assert late.decisions.get().pk not in shown


def test_approve_below_is_audited_per_comment_and_refuses_bad_input(mod_client, queue):
    shown = shown_decisions(mod_client)
    mod_client.post(BELOW, {"decision": shown, "below": "0.5", "confirm": "yes"})
    assert AuditEntry.objects.filter(action="approve_comment").count() == 2  # calm and mild
    assert mod_client.post(BELOW, {"decision": shown, "below": "7"}).status_code == 302  # error message
    assert (
        mod_client.post(
            BELOW, {"decision": shown, "below": "7"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
        ).status_code
        == 400
    )
    assert mod_client.post(BELOW, {"below": "0.5"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest").status_code == 400


def test_only_moderators_approve_in_bulk(client, queue):
    decisions = list(selectors.held_queue().values_list("pk", flat=True))
    client.force_login(make_user("reader"))
    assert client.post(BELOW, {"decision": decisions, "below": "1", "confirm": "yes"}).status_code == 403
    client.logout()
    assert (
        client.post(BELOW, {"decision": decisions, "below": "1", "confirm": "yes"}).status_code == 302
    )  # log in
    assert Comment.objects.filter(status="published").count() == 0


def test_the_pending_page_offers_it_without_javascript(mod_client, queue):
    html = mod_client.get(PENDING, {"order": "score"}).content.decode()
    assert f'action="{BELOW}"' in html and 'name="below"' in html
    assert html.count('name="decision"') == 5
