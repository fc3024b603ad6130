"""Appeals: once per decision, from the notice, decided by another moderator where there is one."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.roles import MODERATORS
from accounts.services import erase_account
from discussions.errors import CommentError
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import appeals, queues
from moderation import dashboard as figures
from moderation import services as moderation
from moderation.models import Appeal, AuditEntry, Ban, ModerationDecision, ModerationRule
from notifications.models import Notification
from posting import actions

pytestmark = pytest.mark.django_db

JSON = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
TOXIC = "You are a stupid worthless piece of shit, shut up"
APPEALS = reverse("moderation:queue", args=["appeals"])


@pytest.fixture
def second_moderator(db):
    return make_user("mod2", role=MODERATORS)


@pytest.fixture
def rejected(moderator, alice, thread, django_capture_on_commit_callbacks):
    """Alice's comment, held by the model, rejected by `moderator`; her notice."""
    comment = actions.post_comment(alice, thread, TOXIC)
    assert comment.status == "held"
    with django_capture_on_commit_callbacks(execute=True):
        moderation.reject(moderator, comment, "Personal abuse is not allowed here.")
    return comment


def notice_for(user) -> Notification:
    return Notification.objects.filter(recipient=user).latest("id")


def appeal_link(note: Notification) -> str:
    return next(link["url"] for link in note.links if link["label"] == "Appeal this decision")


def decide_url(appeal: Appeal) -> str:
    return reverse("moderation:decide-appeal", args=[appeal.pk])


# --- the notice --------------------------------------------------------------------------------------


def test_the_rejection_notice_states_its_reasons_and_links_the_appeal(rejected, alice, client):
    note = notice_for(alice)
    decision = ModerationDecision.objects.get(comment=rejected, is_current=True)
    assert note.text.startswith("Your comment was not published: Personal abuse is not allowed here.\n")
    assert "Why: held by the toxicity check (score " in note.text  # the head that held it, and its score
    assert "a moderator's reason: Personal abuse is not allowed here." in note.text
    assert note.links == [
        {"label": "Appeal this decision", "url": f"/moderation/appeal/decision/{decision.pk}/"},
        {"label": "Community guidelines", "url": "/guidelines/"},
    ]
    client.force_login(alice)
    page = client.get("/notifications/").content.decode()
    assert f'href="/moderation/appeal/decision/{decision.pk}/">Appeal this decision</a>' in page
    assert 'href="/guidelines/">Community guidelines</a>' in page
    assert f"/moderation/appeal/decision/{decision.pk}/" in mail.outbox[-1].body  # and in the email


def test_a_rule_rejection_by_the_checks_is_noticed_too(alice, thread, django_capture_on_commit_callbacks):
    ModerationRule.objects.get_or_create(phrase="scumbag", defaults={"kind": "banned"})
    with django_capture_on_commit_callbacks(execute=True):
        comment = actions.post_comment(alice, thread, "The minister is a scumbag.")
    assert comment.status == "rejected"
    note = notice_for(alice)
    assert "Why: rejected by rule: it contains language we do not allow (“scumbag”)." in note.text
    assert appeal_link(note) == reverse(
        "moderation:appeal-decision", args=[ModerationDecision.objects.get(comment=comment).pk]
    )


def test_a_suspension_notice_links_its_appeal(moderator, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ban = moderation.suspend(moderator, alice, "Repeated personal attacks", days=7)
    assert appeal_link(notice_for(alice)) == f"/moderation/appeal/ban/{ban.pk}/"


# --- the flow ----------------------------------------------------------------------------------------


def test_appeal_end_to_end_decided_by_the_other_moderator(
    rejected, alice, moderator, second_moderator, client, django_capture_on_commit_callbacks
):
    url = appeal_link(notice_for(alice))
    client.force_login(alice)
    form = client.get(url)
    assert form.status_code == 200
    assert (
        "Held by the toxicity check" in form.content.decode() and 'name="statement"' in form.content.decode()
    )
    sent = client.post(url, {"statement": "I was quoting the minister, not insulting anyone."}, follow=True)
    assert "Your appeal is sent." in sent.content.decode()
    appeal = Appeal.objects.get()
    assert (appeal.appellant, appeal.comment, appeal.first_decider, appeal.status) == (
        alice,
        rejected,
        moderator,
        "open",
    )
    assert queues.sizes()["appeals"] == 1

    # The first decider sees it, but may not decide it: the site has another moderator.
    client.force_login(moderator)
    page = client.get(APPEALS)
    assert "Another moderator must decide this appeal: you made the first decision." in page.content.decode()
    assert decide_url(appeal) not in page.content.decode()
    refused = client.post(decide_url(appeal), {"outcome": "uphold"}, **JSON)
    assert refused.status_code == 403 and "Another moderator" in refused.json()["message"]
    assert Comment.objects.get(pk=rejected.pk).status == "rejected"

    client.force_login(second_moderator)
    assert decide_url(appeal) in client.get(APPEALS).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(decide_url(appeal), {"outcome": "uphold", "reason": "A quotation."}, **JSON)
    assert answer.json() == {
        "ok": True,
        "message": "Upheld the appeal of Alice Martin; they are told.",
        "gone": True,
    }
    assert Comment.objects.get(pk=rejected.pk).status == "published"
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.outcome_reason) == (
        "upheld",
        second_moderator,
        "A quotation.",
    )
    current = ModerationDecision.objects.get(comment=rejected, is_current=True)
    assert (current.action, current.moderator) == ("publish", second_moderator)
    entry = AuditEntry.objects.get(action="uphold_appeal")
    assert (entry.actor, entry.target_id, entry.details["appeal"]) == (
        second_moderator,
        str(rejected.pk),
        appeal.pk,
    )
    told = notice_for(alice)
    assert (
        told.text
        == "Your appeal was upheld: your comment is published again.\n\nThe moderator's reason: A quotation."
    )
    assert alice.moderation_trust.rejected_count == 0  # the rejection is undone
    assert queues.sizes()["appeals"] == 0

    client.force_login(alice)
    page = client.get(url).content.decode()
    assert "Upheld: the decision was reversed" in page and 'name="statement"' not in page


def test_one_appeal_per_decision(rejected, alice, client):
    url = appeal_link(notice_for(alice))
    client.force_login(alice)
    client.post(url, {"statement": "Please look again."})
    again = client.post(url, {"statement": "Please look again, again."})
    assert again.status_code == 409 and Appeal.objects.count() == 1
    decision = ModerationDecision.objects.get(comment=rejected, is_current=True)
    with pytest.raises(CommentError, match="already appealed"):
        appeals.appeal_decision(alice, decision, "Once more.")
    page = client.get(url).content.decode()
    assert "Waiting for a moderator" in page and 'name="statement"' not in page  # the appeal, not the form


def test_a_refused_appeal_keeps_the_decision_and_tells_the_reader(
    rejected, alice, second_moderator, django_capture_on_commit_callbacks
):
    appeal = appeals.appeal_decision(
        alice, ModerationDecision.objects.get(comment=rejected, is_current=True), "No."
    )
    with pytest.raises(CommentError, match="Give a reason to refuse"):
        appeals.decide(second_moderator, appeal, uphold=False)
    with django_capture_on_commit_callbacks(execute=True):
        appeals.decide(second_moderator, appeal, uphold=False, reason="It is a personal insult.")
    assert Comment.objects.get(pk=rejected.pk).status == "rejected"
    assert AuditEntry.objects.get(action="refuse_appeal").actor == second_moderator
    assert notice_for(alice).text.startswith("Your appeal was refused: the decision stands.")
    with pytest.raises(CommentError, match="already been decided"):
        appeals.decide(second_moderator, appeal, uphold=True)


def test_the_only_moderator_may_decide_and_the_page_says_so(rejected, alice, moderator, client):
    appeal = appeals.appeal_decision(
        alice, ModerationDecision.objects.get(comment=rejected, is_current=True), "No."
    )
    client.force_login(moderator)
    page = client.get(APPEALS).content.decode()
    assert "You may decide this appeal too because no other moderator on this site could." in page
    assert client.post(decide_url(appeal), {"outcome": "uphold"}, **JSON).json()["ok"]
    assert Comment.objects.get(pk=rejected.pk).status == "published"


def test_a_suspension_appeal_lifts_it(moderator, second_moderator, alice, client):
    ban = moderation.suspend(moderator, alice, "Repeated personal attacks", days=7)
    client.force_login(alice)
    url = reverse("moderation:appeal-ban", args=[ban.pk])
    assert "suspended from commenting until" in client.get(url).content.decode()
    client.post(url, {"statement": "Those were not attacks."})
    appeal = Appeal.objects.get(ban=ban)
    assert appeal.first_decider == moderator
    with pytest.raises(CommentError, match="Another moderator"):
        appeals.decide(moderator, appeal, uphold=True)
    appeals.decide(second_moderator, appeal, uphold=True, reason="Heated, not abusive.")
    ban.refresh_from_db()
    assert ban.lifted_by == second_moderator and not Ban.objects.filter(lifted_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="uphold_appeal", details__ban_id=ban.pk).exists()


# --- who may --------------------------------------------------------------------------------------------


def test_strangers_and_readers_are_refused(rejected, alice, bob, client):
    decision = ModerationDecision.objects.get(comment=rejected, is_current=True)
    url = reverse("moderation:appeal-decision", args=[decision.pk])
    assert client.get(url).status_code == 302  # log in first
    client.force_login(bob)
    assert client.get(url).status_code == 404  # not his decision: nothing to see
    assert client.post(url, {"statement": "Let it stand!"}).status_code == 404
    with pytest.raises(CommentError, match="your own comments"):
        appeals.appeal_decision(bob, decision, "Mine now.")
    appeal = appeals.appeal_decision(alice, decision, "Please.")
    assert client.post(decide_url(appeal), {"outcome": "uphold"}).status_code == 403  # readers do not decide
    assert client.get(APPEALS).status_code == 403
    assert Appeal.objects.get().status == "open"


def test_only_standing_decisions_can_be_appealed(moderator, alice, bob, thread):
    published = actions.post_comment(alice, thread, "A fair point about the harbour.")
    decision = ModerationDecision.objects.get(comment=published)
    with pytest.raises(CommentError, match="Only a decision to reject"):
        appeals.appeal_decision(alice, decision, "Why?")
    held = actions.post_comment(alice, thread, TOXIC)
    moderation.reject(moderator, held, "rude")
    rejection = ModerationDecision.objects.get(comment=held, is_current=True)
    moderation.approve(moderator, held, "on reflection")  # reversed before any appeal
    with pytest.raises(CommentError, match="no longer stands"):
        appeals.appeal_decision(alice, rejection, "Why?")
    ban = moderation.suspend(moderator, bob, "spam", days=1)
    moderation.lift(moderator, bob, "a mistake")
    with pytest.raises(CommentError, match="over or was lifted"):
        appeals.appeal_ban(bob, ban, "Why?")


def test_a_statement_is_required_and_short(rejected, alice, client):
    url = appeal_link(notice_for(alice))
    client.force_login(alice)
    assert client.post(url, {"statement": "   "}).status_code == 400
    assert client.post(url, {"statement": "x" * 1001}).status_code == 400
    assert not Appeal.objects.exists()


def test_erasing_the_account_erases_the_statement(rejected, alice):
    appeals.appeal_decision(
        alice, ModerationDecision.objects.get(comment=rejected, is_current=True), "My words."
    )
    erase_account(alice)
    appeal = Appeal.objects.get()
    assert (appeal.statement, appeal.appellant) == ("", None)


def test_the_dashboard_counts_appeals_and_their_time_to_decision(
    rejected, alice, second_moderator, client, moderator
):
    appeal = appeals.appeal_decision(
        alice, ModerationDecision.objects.get(comment=rejected, is_current=True), "No."
    )
    appeals.decide(second_moderator, appeal, uphold=False, reason="It stands.")
    built = figures.build("24h").outcomes
    assert (built.appeals_filed, built.appeals_upheld, built.appeals_refused, built.appeals_open) == (
        1,
        0,
        1,
        0,
    )
    assert built.appeal_timing.decisions == 1 and built.appeal_timing.median is not None
    client.force_login(moderator)
    page = client.get(reverse("moderation:dashboard")).content.decode()
    assert '<dd data-figure="appeals-filed">1</dd>' in page and 'data-figure="appeal-median"' in page
