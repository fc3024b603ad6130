"""Nudge before posting, through the site's and the embed's compose forms (real requests, real model).

The texts are scored by the shipped classifier: INSULT about 0.92 (insult head 1.0), OBSCENE about
0.60 (obscene head 1.0), HEATED about 0.05 with no category head above the floor, CIVIL about 0.003.
The site holds from about 0.23 (its 5 % target); these tests nudge from a fixed 0.04, below it.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article
from discussions.models import Comment, Nudge, Thread
from discussions.tests.conftest import make_user
from moderation.models import ModerationDecision, ModerationPolicy
from moderation.nudge import Draft, NudgeRequired, decide_nudge, message_for, nudge_stats
from posting import actions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nudge_below_the_hold_threshold(settings):
    settings.MODERATION_NUDGE_THRESHOLD = 0.04


INSULT = "What a stupid argument."
OBSCENE = "This article is fucking crap."
HEATED = "What the hell is the council doing?"
CIVIL = "I disagree with this argument: the harbour figures are from last year."


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_url(thread: Thread) -> str:
    return f"/discussions/threads/{thread.pk}/post/"


# --- deciding --------------------------------------------------------------------------------------------


def test_an_insult_is_nudged_and_named(thread):
    warning = decide_nudge(thread, INSULT)
    assert warning is not None and warning.categories == ["insult"]
    assert warning.message == "Your comment may break our community guidelines: it looks like an insult."
    assert warning.scores["toxicity"] > 0.9


def test_the_kinds_are_named_in_plain_words(thread):
    assert decide_nudge(thread, OBSCENE).categories == ["obscene"]
    assert message_for(["insult", "obscene"]).endswith("it looks like an insult and obscene language.")
    assert message_for(["identity_attack"]).endswith("it looks like an attack on a group of people.")
    heated = decide_nudge(thread, HEATED)
    assert heated is not None and heated.categories == []  # no head above the floor: the general words
    assert heated.message == "Your comment contains language that may break our community guidelines."


def test_civil_text_banned_phrases_and_nudging_off_are_not_nudged(thread, settings):
    assert decide_nudge(thread, CIVIL) is None
    assert decide_nudge(thread, "Oh just kys already, you stupid fool") is None  # the rules reject it
    settings.MODERATION_NUDGE_THRESHOLD = None
    assert decide_nudge(thread, INSULT) is None


def test_a_stricter_thread_nudges_from_its_hold_threshold(thread, settings):
    settings.MODERATION_HOLD_THRESHOLD, settings.MODERATION_NUDGE_THRESHOLD = 0.6, 0.5
    assert decide_nudge(thread, HEATED) is None  # 0.42 < 0.5
    ModerationPolicy.objects.create(article=thread.article, hold_threshold=0.04, sensitive=True)
    assert decide_nudge(thread, HEATED) is not None  # the sensitive story holds from 0.04: nudged from 0.04


# --- the compose form without JavaScript ----------------------------------------------------------------


def test_a_nudged_draft_comes_back_for_editing_and_nothing_is_posted(alice, thread):
    client = logged_in(alice)
    response = client.post(post_url(thread), {"body": INSULT, "client_key": "k1"})
    assert response.status_code == 200
    html = response.content.decode()
    nudge = Nudge.objects.get()
    assert (nudge.author, nudge.thread, nudge.outcome) == (alice, thread, Nudge.Outcome.PENDING)
    assert nudge.categories == ["insult"] and nudge.comment is None
    assert INSULT not in str(nudge.scores) + str(nudge.categories)  # the draft's words are not kept
    assert 'role="alert"' in html and "it looks like an insult" in html
    assert "/guidelines/" in html
    assert f"{INSULT}</textarea>" in html  # the draft, kept for editing
    assert f'name="nudge" value="{nudge.pk}"' in html
    assert 'name="post_anyway"' in html and "Post anyway" in html
    assert Comment.objects.count() == 0 and ModerationDecision.objects.count() == 0


def test_an_edited_draft_is_published_and_the_nudge_counts_as_edited(alice, thread):
    client = logged_in(alice)
    client.post(post_url(thread), {"body": INSULT, "client_key": "k1"})
    nudge = Nudge.objects.get()
    response = client.post(post_url(thread), {"body": CIVIL, "client_key": "k1", "nudge": str(nudge.pk)})
    comment = Comment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith("#posted")
    assert comment.status == Comment.Status.PUBLISHED and comment.body == CIVIL
    nudge.refresh_from_db()
    assert (nudge.outcome, nudge.comment, nudge.decided_at is not None) == ("edited", comment, True)
    assert "nudge" not in [s["step"] for s in ModerationDecision.objects.get(comment=comment).steps]


def test_a_draft_still_over_the_line_after_an_edit_is_nudged_again_on_the_same_record(alice, thread):
    client = logged_in(alice)
    client.post(post_url(thread), {"body": INSULT})
    nudge = Nudge.objects.get()
    response = client.post(post_url(thread), {"body": OBSCENE, "nudge": str(nudge.pk)})
    assert response.status_code == 200 and "it looks like obscene language" in response.content.decode()
    nudge.refresh_from_db()
    assert Nudge.objects.count() == 1 and nudge.categories == ["obscene"] and nudge.outcome == "pending"


def test_posting_anyway_holds_the_comment_for_review(alice, thread):
    client = logged_in(alice)
    client.post(post_url(thread), {"body": INSULT})
    nudge = Nudge.objects.get()
    response = client.post(post_url(thread), {"body": INSULT, "nudge": str(nudge.pk), "post_anyway": "1"})
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.HELD
    decision = ModerationDecision.objects.get(comment=comment)
    steps = {s["step"]: s for s in decision.steps}
    assert steps["nudge"]["outcome"] == "hold"
    assert [s["step"] for s in decision.steps].index("nudge") == 6  # after commenting, before policy
    assert "after our warning" in decision.reason
    nudge.refresh_from_db()
    assert (nudge.outcome, nudge.comment) == ("posted_anyway", comment)
    page = client.get(response["Location"].split("#")[0])
    assert "waiting for review" in page.content.decode()
    assert Thread.objects.get(pk=thread.pk).comment_count == 0


def test_posting_anyway_a_draft_heated_but_under_the_hold_threshold_is_still_held(alice, thread):
    client = logged_in(alice)
    client.post(post_url(thread), {"body": HEATED})  # 0.05: nudged, under the hold threshold
    nudge = Nudge.objects.get()
    client.post(post_url(thread), {"body": HEATED, "nudge": str(nudge.pk), "post_anyway": "1"})
    assert Comment.objects.get().status == Comment.Status.HELD


def test_posting_anyway_an_edited_civil_draft_publishes_it(alice, thread):
    client = logged_in(alice)
    client.post(post_url(thread), {"body": INSULT})
    nudge = Nudge.objects.get()
    client.post(post_url(thread), {"body": CIVIL, "nudge": str(nudge.pk), "post_anyway": "1"})
    assert Comment.objects.get().status == Comment.Status.PUBLISHED
    assert Nudge.objects.get().outcome == "edited"


def test_a_rejecting_check_still_rejects_a_draft_posted_anyway(alice, thread, settings):
    settings.MODERATION_REJECT_THRESHOLD = 0.9
    client = logged_in(alice)
    client.post(post_url(thread), {"body": INSULT})
    nudge = Nudge.objects.get()
    client.post(post_url(thread), {"body": INSULT, "nudge": str(nudge.pk), "post_anyway": "1"})
    assert Comment.objects.get().status == Comment.Status.REJECTED


def test_someone_elses_or_a_used_nudge_cannot_be_answered(alice, bob, thread):
    logged_in(bob).post(post_url(thread), {"body": INSULT})
    bobs = Nudge.objects.get()
    client = logged_in(alice)
    response = client.post(post_url(thread), {"body": INSULT, "nudge": str(bobs.pk), "post_anyway": "1"})
    assert response.status_code == 409
    assert "already answered or is not yours" in response.content.decode()
    assert Comment.objects.count() == 0 and Nudge.objects.count() == 1
    tampered = client.post(post_url(thread), {"body": INSULT, "nudge": "not-a-number"})
    assert tampered.status_code == 200 and Nudge.objects.filter(author=alice).count() == 1  # a new warning


def test_refusals_come_before_the_nudge(alice, thread):
    Article.objects.filter(pk=thread.article_id).update(comment_policy=Article.CommentPolicy.CLOSED)
    response = logged_in(alice).post(post_url(thread), {"body": INSULT})
    assert response.status_code == 403
    assert Nudge.objects.count() == 0


def test_a_reply_is_nudged_too(alice, bob, thread):
    root = actions.post_comment(bob, thread, CIVIL)
    client = logged_in(alice)
    response = client.post(f"/discussions/comments/{root.pk}/reply/", {"body": INSULT, "parent": root.pk})
    assert response.status_code == 200 and "Reply to" in response.content.decode()
    nudge = Nudge.objects.get()
    client.post(
        f"/discussions/comments/{root.pk}/reply/",
        {"body": "I see it differently.", "parent": root.pk, "nudge": str(nudge.pk)},
    )
    reply = Comment.objects.get(parent=root)
    assert reply.status == Comment.Status.PUBLISHED and Nudge.objects.get().comment == reply


def test_new_accounts_are_nudged_and_still_pre_moderated(thread):
    newcomer = make_user("newcomer", trusted=False)
    client = logged_in(newcomer)
    assert client.post(post_url(thread), {"body": INSULT}).status_code == 200
    nudge = Nudge.objects.get()
    client.post(post_url(thread), {"body": CIVIL, "nudge": str(nudge.pk)})
    assert Comment.objects.get().status == Comment.Status.HELD  # pre-moderation, not the nudge
    assert Nudge.objects.get().outcome == "edited"


# --- with htmx: the form swaps in place -----------------------------------------------------------------


def test_htmx_gets_the_form_back_in_place_then_the_outcome_in_place(alice, thread):
    client = logged_in(alice)
    htmx = {"HX-Request": "true"}
    response = client.post(post_url(thread), {"body": INSULT}, headers=htmx)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<form") and "<html" not in html
    assert "it looks like an insult" in html and 'hx-post="' in html
    nudge = Nudge.objects.get()
    posted = client.post(post_url(thread), {"body": CIVIL, "nudge": str(nudge.pk)}, headers=htmx)
    comment = Comment.objects.get()
    html = posted.content.decode()
    # No navigation: a fresh, empty box for the next comment, and beside it the one just published.
    assert posted.status_code == 200 and "HX-Redirect" not in posted and "<html" not in html
    assert html.lstrip().startswith("<form") and "</textarea>" in html and f"{CIVIL}</textarea>" not in html
    assert "Your comment is published." in html and f'id="posted-c{comment.pk}"' in html
    refused = client.post(post_url(thread), {"body": ""}, headers=htmx)
    assert refused.status_code == 400 and "<html" not in refused.content.decode()


def test_htmx_shows_a_comment_held_after_a_nudge_in_place_marked_awaiting_review(alice, thread):
    client = logged_in(alice)
    htmx = {"HX-Request": "true"}
    client.post(post_url(thread), {"body": INSULT}, headers=htmx)
    nudge = Nudge.objects.get()
    held = client.post(
        post_url(thread), {"body": INSULT, "nudge": nudge.pk, "post_anyway": "1"}, headers=htmx
    )
    html = held.content.decode()
    assert held.status_code == 200 and "HX-Redirect" not in held
    assert "waiting for review" in html and "Awaiting review" in html and INSULT in html


# --- the embed --------------------------------------------------------------------------------------------


@pytest.fixture
def story_thread(db):
    return Thread.objects.create(url="https://publisher.example/story", title="A story")


def test_the_embed_nudges_the_same_way(alice, story_thread):
    client = logged_in(alice)
    url = f"/embed/discussions/threads/{story_thread.pk}/post/"
    response = client.post(url, {"body": INSULT})
    html = response.content.decode()
    assert response.status_code == 200 and "it looks like an insult" in html
    assert f'action="{url}"' in html and "Back to the discussion" in html  # the embed's own page
    nudge = Nudge.objects.get()
    anyway = client.post(url, {"body": INSULT, "nudge": str(nudge.pk), "post_anyway": "1"})
    assert anyway.status_code == 302 and anyway["Location"].startswith(
        f"/embed/discussions/threads/{story_thread.pk}/"
    )
    assert Comment.objects.get().status == Comment.Status.HELD
    assert Nudge.objects.get().outcome == "posted_anyway"


# --- edits -------------------------------------------------------------------------------------------------


def test_an_edit_that_may_break_the_guidelines_is_nudged_and_nothing_is_saved(alice, thread):
    comment = actions.post_comment(alice, thread, CIVIL)
    client = logged_in(alice)
    response = client.post(f"/discussions/comments/{comment.pk}/edit/", {"body": INSULT})
    html = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in html and "it looks like an insult" in html
    assert "Before you save:" in html and "Save anyway" in html and f"{INSULT}</textarea>" in html
    nudge = Nudge.objects.get()
    assert f'name="nudge" value="{nudge.pk}"' in html
    comment.refresh_from_db()
    assert comment.body == CIVIL and comment.status == Comment.Status.PUBLISHED  # nothing saved

    edited = client.post(
        f"/discussions/comments/{comment.pk}/edit/", {"body": CIVIL + " Truly.", "nudge": nudge.pk}
    )
    assert edited.status_code == 302
    nudge.refresh_from_db()
    assert (nudge.outcome, nudge.comment) == ("edited", comment)


def test_saving_an_edit_anyway_after_the_nudge_holds_the_comment(alice, thread):
    comment = actions.post_comment(alice, thread, CIVIL)
    client = logged_in(alice)
    client.post(f"/discussions/comments/{comment.pk}/edit/", {"body": INSULT})
    nudge = Nudge.objects.get()
    response = client.post(
        f"/discussions/comments/{comment.pk}/edit/", {"body": INSULT, "nudge": nudge.pk, "post_anyway": "1"}
    )
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()  # no permalink
    assert "waiting for review" in client.get(response["Location"]).content.decode()
    comment.refresh_from_db()
    assert comment.body == INSULT and comment.status == Comment.Status.HELD
    assert Thread.objects.get(pk=thread.pk).comment_count == 0
    assert comment.decisions.get(is_current=True).reason.endswith(
        "after our warning that it may break the community guidelines"
    )
    nudge.refresh_from_db()
    assert nudge.outcome == "posted_anyway"


def test_the_embed_nudges_edits_too(alice, story_thread):
    comment = actions.post_comment(alice, story_thread, CIVIL)
    client = logged_in(alice)
    response = client.post(f"/embed/discussions/comments/{comment.pk}/edit/", {"body": INSULT})
    assert response.status_code == 200 and "it looks like an insult" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == CIVIL


# --- the service and the figures --------------------------------------------------------------------------


def test_post_comment_without_a_draft_is_unchanged(alice, thread):
    comment = actions.post_comment(alice, thread, INSULT)  # the API's plain POST, tests, imports
    assert comment.status == Comment.Status.HELD and Nudge.objects.count() == 0
    with pytest.raises(NudgeRequired) as raised:
        actions.post_comment(alice, thread, OBSCENE, draft=Draft())
    assert raised.value.nudge.categories == ["obscene"] and Comment.objects.count() == 1


def test_nudge_stats_count_how_warnings_were_answered(alice, thread, django_assert_max_num_queries):
    def warned(outcome: str, minutes_ago: int) -> None:
        nudge = Nudge.objects.create(author=alice, thread=thread, outcome=outcome)
        Nudge.objects.filter(pk=nudge.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))

    assert nudge_stats()["edit_rate"] is None
    for _ in range(3):
        warned("edited", 5)
    warned("posted_anyway", 5)
    warned("pending", 120)  # abandoned: nobody answered for over an hour
    warned("pending", 5)  # still deciding: left out of the rate
    warned("edited", 60 * 24 * 10)  # before the period asked for
    with django_assert_max_num_queries(1):
        stats = nudge_stats(since=timezone.now() - timedelta(days=1))
    assert stats == {
        "nudged": 6,
        "edited": 3,
        "posted_anyway": 1,
        "abandoned": 1,
        "pending": 1,
        "edit_rate": 0.6,
    }
    assert nudge_stats()["nudged"] == 7


def test_the_guidelines_page(client):
    response = client.get("/guidelines/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Community guidelines</h1>" in html and "Insults" in html and "Threats" in html
