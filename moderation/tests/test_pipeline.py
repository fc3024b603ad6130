"""Every check of the pipeline, through discussions.actions.post_comment and edit_comment (real DB)."""

from dataclasses import replace

import pytest

from articles.tests.conftest import build_article
from discussions import services
from discussions.errors import CommentError
from discussions.models import Comment
from moderation import context, pipeline
from moderation.models import ModerationDecision, ModerationRule, UserTrust
from moderation.tests.conftest import counts, published_in
from posting import actions

pytestmark = pytest.mark.django_db

CIVIL = "The council should publish the harbour budget before the vote."
TOXIC = "You are a stupid worthless piece of shit, shut up"


def steps_of(comment: Comment) -> dict[str, dict]:
    return {s["step"]: s for s in comment.moderation.steps}


# --- outcomes and what is recorded -------------------------------------------------------------------


def test_a_civil_comment_is_published_with_every_step_recorded(alice, thread):
    comment = actions.post_comment(alice, thread, CIVIL)
    assert comment.status == Comment.Status.PUBLISHED
    decision = ModerationDecision.objects.get(comment=comment)
    assert decision == comment.moderation and decision.is_current
    assert (decision.action, decision.source, decision.trigger) == ("publish", "pipeline", "post")
    assert [s["step"] for s in decision.steps] == [
        "normalise",
        "rules",
        "links",
        "repeats",
        "trust",
        "commenting",
        "policy",
        "model",
        "provider",
    ]
    assert all(s["outcome"] in ("pass", "skipped") for s in decision.steps)
    assert set(decision.scores) == {"toxicity", "insult", "identity_attack", "obscene", "threat"}
    assert decision.scores["toxicity"] < 0.4
    assert decision.message == "Your comment is published."
    assert counts(thread) == (1, None)


def test_clearly_toxic_text_is_held_by_the_model(alice, thread):
    comment = actions.post_comment(alice, thread, TOXIC)
    assert comment.status == Comment.Status.HELD
    steps = steps_of(comment)
    assert steps["rules"]["outcome"] == "pass"  # no listed word: the model alone holds it
    assert steps["model"]["outcome"] == "hold" and steps["model"]["details"]["toxicity"] > 0.9
    assert comment.moderation.scores["toxicity"] > 0.9
    assert "waiting for review" in comment.moderation.message
    assert counts(thread) == (0, None)
    assert Comment.objects.get(pk=comment.pk).body == TOXIC  # stored, nothing lost


@pytest.mark.parametrize("spelling", ["1d10t", "ｉｄｉｏｔ", "iiidiot", "i d i o t", "ІDІОТ", "IDIOTS"])
def test_normalisation_sees_through_spellings(alice, thread, spelling):
    comment = actions.post_comment(alice, thread, f"What an {spelling}, honestly.")
    steps = steps_of(comment)
    assert steps["rules"]["outcome"] == "hold", spelling
    assert steps["rules"]["details"]["suspect"] == ["idiot*"]
    assert "“idiot”" in comment.moderation.reason
    assert comment.status == Comment.Status.HELD


def test_rules_match_whole_words_only(alice, thread):
    ModerationRule.objects.create(phrase="ass", kind=ModerationRule.Kind.SUSPECT)
    comment = actions.post_comment(alice, thread, "A classic assessment of the harbour pass.")
    assert steps_of(comment)["rules"]["outcome"] == "pass"
    assert comment.status == Comment.Status.PUBLISHED


def test_a_banned_phrase_rejects_with_a_reason_a_person_understands(alice, thread):
    comment = actions.post_comment(alice, thread, "Just k i l l    yourself.")
    assert comment.status == Comment.Status.REJECTED
    assert comment.moderation.action == "reject"
    assert comment.moderation.message == (
        "Your comment was not published: it contains language we do not allow (“kill yourself”)."
    )
    assert counts(thread) == (0, None)
    assert UserTrust.objects.get(user=alice).rejected_count == 1


def test_rules_edited_in_the_admin_apply_at_once(alice, thread):
    ModerationRule.objects.create(phrase="harbour tax scam", kind=ModerationRule.Kind.BANNED)
    assert actions.post_comment(alice, thread, "This harbour-tax SCAM again").status == "rejected"
    rule = ModerationRule.objects.get(phrase="harbour tax scam")
    rule.is_active = False
    rule.save()  # as the admin does
    assert (
        actions.post_comment(alice, thread, "Calling it a harbour tax scam is unfair").status == "published"
    )


def test_default_rules_are_seeded(db):
    kinds = dict(ModerationRule.objects.values_list("phrase", "kind"))
    assert kinds["kill yourself"] == "banned" and kinds["idiot*"] == "suspect"


# --- links -------------------------------------------------------------------------------------------


def test_links_from_a_member_pass_but_too_many_links_are_held(member, thread, settings):
    settings.MODERATION_MAX_LINKS = 2
    one = actions.post_comment(member, thread, "Source: https://example.org/report and www.example.net")
    assert one.status == Comment.Status.PUBLISHED
    many = actions.post_comment(
        member, thread, "See https://a.example/1 https://b.example/2 and [this](https://c.example/3)"
    )
    assert many.status == Comment.Status.HELD
    assert steps_of(many)["links"]["details"] == {"links": 3, "limit": 2}
    assert "more than 2 links" in many.moderation.reason


def test_links_from_a_new_account_are_held(newcomer, thread, settings):
    settings.MODERATION_PREMODERATE_FIRST = 0  # isolate the links rule from pre-moderation
    UserTrust.objects.create(user=newcomer, score=-1)  # negative score: treated as new again
    comment = actions.post_comment(newcomer, thread, "Look at https://example.org/offer")
    assert steps_of(comment)["links"]["outcome"] == "hold"
    assert comment.status == Comment.Status.HELD


# --- repeats -----------------------------------------------------------------------------------------


def test_the_same_text_again_is_held_then_rejected_even_across_articles(alice, thread):
    other = services.thread_for_article(build_article("Another story"))
    text = "Visit my page for the real truth about the harbour deal!"
    first = actions.post_comment(alice, thread, text)
    second = actions.post_comment(alice, other, text.upper().replace("!", "!!!"))
    third = actions.post_comment(alice, thread, "  " + text)
    assert [c.status for c in (first, second, third)] == ["published", "held", "rejected"]
    assert steps_of(second)["repeats"]["reason"] == "you have already posted this same text"
    assert steps_of(third)["repeats"]["details"]["own"] == 2
    assert counts(thread) == (1, None) and counts(other) == (0, None)


def test_the_same_text_from_several_accounts_is_held(alice, bob, thread, settings):
    from discussions.tests.conftest import make_user

    text = "Everyone should read the harbour leaks on the other site now"
    assert actions.post_comment(alice, thread, text).status == "published"
    assert actions.post_comment(bob, thread, text).status == "published"
    third = actions.post_comment(make_user("carol"), thread, text)
    assert third.status == "held"
    assert steps_of(third)["repeats"]["details"]["others"] == 2


def test_short_common_replies_are_not_spam(alice, bob, thread):
    for user in (alice, bob, alice):
        assert actions.post_comment(user, thread, "Agreed.").status == "published"


def test_repeats_outside_the_window_are_fine(alice, thread, settings):
    text = "Visit my page for the real truth about the harbour deal!"
    actions.post_comment(alice, thread, text)
    settings.MODERATION_SPAM_WINDOW_SECONDS = 0
    assert actions.post_comment(alice, thread, text).status == "published"


# --- rate limits -------------------------------------------------------------------------------------


@pytest.fixture
def long_window(settings):
    """A window no test run straddles, so the counts cannot reset in the middle of a test."""
    settings.MODERATION_RATE_PERIOD = 10**7


def test_posting_too_fast_is_refused_with_429_and_nothing_written(member, thread, settings, long_window):
    settings.MODERATION_RATE_LIMITS = {"new": 1, "member": 2, "trusted": 5}
    actions.post_comment(member, thread, "First thought on the talks.")
    actions.post_comment(member, thread, "Second thought on the talks.")
    before = (Comment.objects.count(), ModerationDecision.objects.count())
    with pytest.raises(CommentError) as refused:
        actions.post_comment(member, thread, "Third thought on the talks.")
    assert refused.value.status == 429 and refused.value.code == "rate_limited"
    assert "slow down" in refused.value.message
    assert (Comment.objects.count(), ModerationDecision.objects.count()) == before
    assert counts(thread) == (2, None)


def test_the_limit_depends_on_trust(alice, newcomer, thread, settings, long_window):
    settings.MODERATION_RATE_LIMITS = {"new": 1, "member": 2, "trusted": 3}
    actions.post_comment(newcomer, thread, "Hello from a new reader.")
    with pytest.raises(CommentError):
        actions.post_comment(newcomer, thread, "Hello again from a new reader.")
    for n in range(3):
        actions.post_comment(alice, thread, f"Trusted point number {n}.")


def test_one_address_is_limited_across_accounts(alice, bob, thread, settings, long_window):
    settings.MODERATION_IP_RATE_LIMIT = 2
    actions.post_comment(alice, thread, "One", ip="203.0.113.9")
    actions.post_comment(bob, thread, "Two", ip="203.0.113.9")
    with pytest.raises(CommentError) as refused:
        actions.post_comment(alice, thread, "Three", ip="203.0.113.9")
    assert refused.value.status == 429
    actions.post_comment(alice, thread, "From elsewhere", ip="198.51.100.1")
    assert Comment.objects.count() == 3


def test_edits_have_their_own_limit(member, thread, settings, long_window):
    settings.MODERATION_RATE_LIMITS = {"new": 1, "member": 1, "trusted": 1}
    comment = actions.post_comment(member, thread, "A first version.")
    actions.edit_comment(member, comment, "A second version.")
    with pytest.raises(CommentError) as refused:
        actions.edit_comment(member, comment, "A third version.")
    assert refused.value.status == 429
    comment.refresh_from_db()
    assert comment.body == "A second version."


# --- new accounts ------------------------------------------------------------------------------------


def test_new_accounts_first_comments_are_premoderated_until_approved(newcomer, moderator, thread, settings):
    from moderation import services as moderation

    settings.MODERATION_PREMODERATE_FIRST = 2
    held = [actions.post_comment(newcomer, thread, f"My first view on the talks, part {n}.") for n in (1, 2)]
    assert [c.status for c in held] == ["held", "held"]
    assert steps_of(held[0])["trust"]["details"]["level"] == "new"
    assert "new accounts" in held[0].moderation.message
    assert counts(thread) == (0, None)
    for comment in held:
        moderation.approve(moderator, comment)
    assert counts(thread) == (2, None)
    third = actions.post_comment(newcomer, thread, "Now my comments appear at once.")
    assert third.status == "published" and steps_of(third)["trust"]["details"]["level"] == "member"
    assert counts(thread) == (3, None)


def test_moderators_are_not_premoderated(db, thread):
    from accounts.roles import MODERATORS
    from discussions.tests.conftest import make_user

    fresh_moderator = make_user("newmod", role=MODERATORS, trusted=False)
    assert actions.post_comment(fresh_moderator, thread, "House rules: be kind.").status == "published"


def test_a_premoderated_discussion_holds_every_comment(alice, thread):
    """discussions.commenting's pre-moderated state reaches the pipeline as one more step."""
    ctx = context.load(alice, thread, "post")
    premoderated = replace(ctx, state=replace(ctx.state, premoderated=True))
    verdict = pipeline.screen(premoderated, CIVIL)
    assert verdict.action == "hold" and "pre-moderated" in verdict.reason
    assert pipeline.screen(ctx, CIVIL).action == "publish"


# --- edits -------------------------------------------------------------------------------------------


def test_an_edit_is_checked_again_and_a_held_edit_holds_the_comment(alice, bob, thread):
    root = actions.post_comment(bob, thread, "The root of the discussion.")
    reply = actions.post_comment(alice, thread, "A fair point about the harbour.", root)
    assert counts(thread, root) == (2, 1)
    edited = actions.edit_comment(alice, reply, TOXIC)
    assert edited.status == Comment.Status.HELD
    assert (edited.moderation.trigger, edited.moderation.action) == ("edit", "hold")
    assert counts(thread, root) == (1, 0)
    decisions = list(ModerationDecision.objects.filter(comment=reply).order_by("id"))
    assert [(d.trigger, d.action, d.is_current) for d in decisions] == [
        ("post", "publish", False),
        ("edit", "hold", True),
    ]


def test_a_clean_edit_does_not_publish_a_held_comment(alice, thread):
    held = actions.post_comment(alice, thread, TOXIC)
    edited = actions.edit_comment(alice, held, "Sorry, I take that back: " + CIVIL)
    assert edited.status == Comment.Status.HELD
    assert edited.moderation.action == "hold" and "review" in edited.moderation.reason
    assert counts(thread) == (0, None)


def test_an_edit_to_a_banned_phrase_rejects_the_comment(alice, thread):
    comment = actions.post_comment(alice, thread, CIVIL)
    edited = actions.edit_comment(alice, comment, "Actually, kill yourself.")
    assert edited.status == Comment.Status.REJECTED
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.REJECTED
    assert counts(thread) == (0, None)
    assert comment.revisions.get().body == CIVIL  # the earlier wording is kept


def test_an_edit_does_not_count_as_a_repeat_of_itself(alice, thread):
    text = "Visit my page for the real truth about the harbour deal!"
    comment = actions.post_comment(alice, thread, text)
    edited = actions.edit_comment(alice, comment, text + " Really.")
    edited = actions.edit_comment(alice, comment, text)
    assert edited.status == "published"


def test_the_model_failing_holds_rather_than_publishes(alice, thread, settings, tmp_path):
    from moderation import classifier

    settings.MODERATION_MODEL_PATH = str(tmp_path / "missing.npz")
    settings.MODERATION_HOLD_THRESHOLD = 0.4
    classifier.reset_model()
    try:
        comment = actions.post_comment(alice, thread, CIVIL)
    finally:
        classifier.reset_model()
    assert comment.status == "held"
    assert steps_of(comment)["model"]["reason"] == "our automatic check is unavailable"
    assert published_in(thread) == 0
