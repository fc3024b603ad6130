"""Spot checks: a share of automatic publishes lands in the Audit queue; verdicts measure the leak rate."""

import pytest
from django.core import mail
from django.urls import reverse

from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import dashboard as figures
from moderation import queues, spot_checks
from moderation import services as moderation
from moderation.models import AuditEntry, ModerationDecision, SpotCheck
from notifications.models import Notification
from posting import actions

pytestmark = pytest.mark.django_db

JSON = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
TOXIC = "You are a stupid worthless piece of shit, shut up"


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def verdict_url(check: SpotCheck) -> str:
    return reverse("moderation:spot-check-verdict", args=[check.pk])


# --- sampling ----------------------------------------------------------------------------------------


def test_the_sample_is_about_the_share_and_the_same_every_time():
    picked = [i for i in range(1, 1001) if spot_checks.is_sampled(i, 0.01)]
    assert 3 <= len(picked) <= 20  # 1 % of 1,000 is 10; the hash is fixed, so this never flakes
    assert picked == [i for i in range(1, 1001) if spot_checks.is_sampled(i, 0.01)]
    many = sum(spot_checks.is_sampled(i, 0.05) for i in range(1, 20_001))
    assert 900 <= many <= 1100  # 5 % of 20,000 is 1,000 (3 standard deviations: ±92)
    assert not any(spot_checks.is_sampled(i, 0.0) for i in range(1, 1001))
    assert all(spot_checks.is_sampled(i, 1.0) for i in range(1, 1001))
    assert set(picked) <= {i for i in range(1, 1001) if spot_checks.is_sampled(i, 0.02)}  # nested shares


def test_a_thousand_automatic_publishes_at_one_percent_give_about_ten(alice, thread, settings):
    """The hook the pipeline calls for each decision it records, over 1,000 published comments."""
    settings.MODERATION_AUDIT_SHARE = 0.01
    comments = Comment.objects.bulk_create(
        Comment(thread=thread, author=alice, body=f"Comment {i}", body_html="<p>x</p>") for i in range(1000)
    )
    decisions = ModerationDecision.objects.bulk_create(
        ModerationDecision(comment=c, author=alice, action="publish", reason="it passed our checks")
        for c in comments
    )
    sampled = [spot_checks.after_checks(d) for d in decisions]
    assert 3 <= SpotCheck.objects.count() <= 25  # about 10: which ones depends on the ids the database gave
    assert {s.comment_id for s in sampled if s} == {
        c.pk for c in comments if spot_checks.is_sampled(c.pk, 0.01)
    }


def test_posting_samples_automatic_publishes_only(alice, newcomer, thread, settings):
    settings.MODERATION_AUDIT_SHARE = 1.0
    published = actions.post_comment(alice, thread, "A fair point about the harbour.")
    held = actions.post_comment(newcomer, thread, "My first comment here.")  # pre-moderated: held
    assert (published.status, held.status) == ("published", "held")
    check = SpotCheck.objects.get()
    assert (check.comment, check.decision.action, check.verdict) == (published, "publish", "")
    actions.edit_comment(alice, published, "A fair point about the harbour, I think.")
    assert SpotCheck.objects.count() == 1  # edits are not sampled again

    settings.MODERATION_AUDIT_SHARE = 0.0
    actions.post_comment(alice, thread, "Another fair point about the ferry.")
    assert SpotCheck.objects.count() == 1
    assert queues.sizes()["audit"] == 1


# --- verdicts ----------------------------------------------------------------------------------------


@pytest.fixture
def sampled(alice, thread, settings):
    settings.MODERATION_AUDIT_SHARE = 1.0
    first = actions.post_comment(alice, thread, "The harbour deal is fine by me.")
    leak = "What a lazy, sloppy piece of writing."  # rude, and published by the checks
    second = actions.post_comment(alice, thread, leak)
    return [SpotCheck.objects.get(comment=first), SpotCheck.objects.get(comment=second)]


def test_the_audit_queue_lists_them_with_their_verdict_buttons(mod_client, sampled):
    page = mod_client.get(reverse("moderation:queue", args=["audit"]))
    assert [item.spot_check for item in page.context["page"].items] == sampled  # oldest first
    html = page.content.decode()
    assert verdict_url(sampled[0]) in html and "Should have been held" in html
    assert 'form="bulk-form"' not in html  # no bulk selection here


def test_fine_marks_it_reviewed_and_should_have_been_held_takes_it_down(
    mod_client, moderator, sampled, alice, django_capture_on_commit_callbacks
):
    fine, leak = sampled
    answer = mod_client.post(verdict_url(fine), {"verdict": "fine"}, **JSON).json()
    assert answer == {"ok": True, "message": "Marked the comment by Alice Martin fine.", "gone": True}
    assert ModerationDecision.objects.get(comment=fine.comment, is_current=True).source == "moderator"
    assert fine.comment not in [d.comment for d in queues.rows("unmoderated")]

    refused = mod_client.post(verdict_url(leak), {"verdict": "should_have_held"}, **JSON)
    assert refused.status_code == 400 and "reason" in refused.json()["message"]
    with django_capture_on_commit_callbacks(execute=True):
        mod_client.post(verdict_url(leak), {"verdict": "should_have_held", "reason_choice": "abuse"}, **JSON)
    leak.refresh_from_db()
    assert (leak.verdict, leak.decided_by, leak.reason) == (
        "should_have_held",
        moderator,
        "it is abusive or insulting",
    )
    assert Comment.objects.get(pk=leak.comment_id).status == "removed"
    note = Notification.objects.filter(recipient=alice).latest("id")
    assert "Why: a moderator's reason: it is abusive or insulting." in note.text
    assert len(mail.outbox) == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"spot_check_fine", "spot_check_should_have_held", "keep_comment", "remove_comment"} <= actions

    again = mod_client.post(verdict_url(leak), {"verdict": "fine"}, **JSON)
    assert again.status_code == 409 and queues.sizes()["audit"] == 0


def test_only_moderators_judge(client, sampled, bob):
    client.force_login(bob)
    assert client.post(verdict_url(sampled[0]), {"verdict": "fine"}).status_code == 403
    assert client.get(reverse("moderation:queue", args=["audit"])).status_code == 403
    assert SpotCheck.objects.filter(verdict="").count() == 2


def test_the_dashboard_shows_the_leak_and_false_hold_rates(mod_client, moderator, sampled, thread):
    review_leak, review_fine = sampled
    mod_client.post(verdict_url(review_fine), {"verdict": "fine"})
    mod_client.post(verdict_url(review_leak), {"verdict": "should_have_held", "reason": "rude"})
    held = [
        actions.post_comment(make_user(f"new{i}", trusted=False), thread, f"Hello {i}.") for i in range(4)
    ]
    moderation.approve(moderator, held[0])
    moderation.reject(moderator, held[1], "off-topic")
    moderation.approve(moderator, held[2])  # 2 of the 3 decided holds were approved; one still waits
    built = figures.build("24h").outcomes
    assert (built.leak.count, built.leak.total, built.leak.share) == (1, 2, 0.5)
    assert (built.false_holds.count, built.false_holds.total) == (2, 3)
    assert built.leak.low < 0.5 < built.leak.high
    page = mod_client.get(reverse("moderation:dashboard")).content.decode()
    assert '<dd data-figure="leak">50.0%</dd>' in page and '<dd data-figure="false-holds">66.7%</dd>' in page
