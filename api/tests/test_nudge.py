"""Nudges for API clients: check a draft, show the warning, post edited or anyway (held)."""

import json

import pytest

from api.tests.conftest import API, error_of
from discussions.models import Comment, Nudge
from moderation.models import ModerationDecision

pytestmark = pytest.mark.django_db

INSULT = "What a stupid argument."  # the shipped classifier: toxicity 0.91, insult head 1.0
CIVIL = "I disagree with this argument: the harbour figures are from last year."  # 0.09


def send(client, url: str, data: dict):
    return client.post(url, json.dumps(data), content_type="application/json")


def check_url(thread) -> str:
    return f"{API}/threads/{thread.pk}/comments/check"


def comments_url(thread) -> str:
    return f"{API}/threads/{thread.pk}/comments"


def test_a_civil_draft_needs_no_nudge_and_nothing_is_written(as_alice, thread):
    response = send(as_alice, check_url(thread), {"body": CIVIL})
    assert response.status_code == 200 and response.json() == {"nudge": None}
    assert Nudge.objects.count() == 0 and Comment.objects.count() == 0


def test_an_insulting_draft_gets_a_nudge_naming_the_kind(as_alice, alice, thread):
    response = send(as_alice, check_url(thread), {"body": INSULT})
    assert response.status_code == 200
    warning = response.json()["nudge"]
    nudge = Nudge.objects.get()
    assert warning == {
        "id": nudge.pk,
        "message": "Your comment may break our community guidelines: it looks like an insult.",
        "categories": ["insult"],
        "guidelines_url": "http://testserver/guidelines/",
    }
    assert (nudge.author, nudge.outcome) == (alice, "pending") and Comment.objects.count() == 0


def test_checking_again_after_an_edit_keeps_one_warning(as_alice, thread):
    first = send(as_alice, check_url(thread), {"body": INSULT}).json()["nudge"]
    again = send(
        as_alice, check_url(thread), {"body": "This article is fucking crap.", "nudge_id": first["id"]}
    )
    assert again.json()["nudge"]["id"] == first["id"] and again.json()["nudge"]["categories"] == ["obscene"]
    assert Nudge.objects.count() == 1


def test_posting_with_the_nudge_id_holds_the_comment(as_alice, thread):
    warning = send(as_alice, check_url(thread), {"body": INSULT}).json()["nudge"]
    response = send(as_alice, comments_url(thread), {"body": INSULT, "nudge_id": warning["id"]})
    assert response.status_code == 201 and response.json()["status"] == "held"
    comment = Comment.objects.get()
    steps = [s["step"] for s in ModerationDecision.objects.get(comment=comment).steps]
    assert "nudge" in steps
    nudge = Nudge.objects.get()
    assert (nudge.outcome, nudge.comment) == ("posted_anyway", comment)


def test_posting_the_edited_draft_publishes_it_and_counts_an_edit(as_alice, thread):
    warning = send(as_alice, check_url(thread), {"body": INSULT}).json()["nudge"]
    response = send(as_alice, comments_url(thread), {"body": CIVIL, "nudge_id": warning["id"]})
    assert response.status_code == 201 and response.json()["status"] == "published"
    assert Nudge.objects.get().outcome == "edited"


def test_an_unknown_or_someone_elses_nudge_is_refused(as_alice, as_bob, thread):
    bobs = send(as_bob, check_url(thread), {"body": INSULT}).json()["nudge"]
    response = send(as_alice, comments_url(thread), {"body": INSULT, "nudge_id": bobs["id"]})
    assert response.status_code == 409 and error_of(response)["code"] == "nudge_not_found"
    assert Comment.objects.count() == 0 and Nudge.objects.get().outcome == "pending"


def test_clients_that_do_not_check_post_as_before(as_alice, thread):
    response = send(as_alice, comments_url(thread), {"body": INSULT})
    assert response.status_code == 201 and response.json()["status"] == "held"
    assert Nudge.objects.count() == 0
    steps = [s["step"] for s in ModerationDecision.objects.get().steps]
    assert "nudge" not in steps and "model" in steps  # held by the model, as before


def test_checking_needs_credentials_and_a_visible_thread(anon, as_alice, article):
    assert send(anon, f"{API}/threads/1/comments/check", {"body": INSULT}).status_code == 401
    missing = send(as_alice, f"{API}/threads/999999/comments/check", {"body": INSULT})
    assert missing.status_code == 404 and error_of(missing)["code"] == "thread_not_found"
    by_slug = send(as_alice, f"{API}/articles/{article.slug}/thread/comments/check", {"body": INSULT})
    assert by_slug.status_code == 200 and by_slug.json()["nudge"]["categories"] == ["insult"]
    invalid = send(as_alice, f"{API}/articles/{article.slug}/thread/comments/check", {"text": INSULT})
    assert invalid.status_code == 422 and error_of(invalid)["code"] == "invalid"


def test_an_edit_checked_then_saved_anyway_is_held(as_alice, alice, thread):
    posted = send(as_alice, comments_url(thread), {"body": CIVIL}).json()
    warning = send(as_alice, check_url(thread), {"body": INSULT}).json()["nudge"]
    assert "insult" in warning["categories"]
    edited = as_alice.patch(
        f"{API}/comments/{posted['id']}",
        json.dumps({"body": INSULT, "nudge_id": warning["id"]}),
        content_type="application/json",
    )
    assert edited.status_code == 200 and edited.json()["status"] == "held"
    nudge = Nudge.objects.get()
    assert (nudge.outcome, nudge.comment_id) == ("posted_anyway", posted["id"])


def test_an_edit_answering_someone_elses_nudge_is_refused(as_alice, as_bob, thread):
    posted = send(as_alice, comments_url(thread), {"body": CIVIL}).json()
    warning = send(as_bob, check_url(thread), {"body": INSULT}).json()["nudge"]
    refused = as_alice.patch(
        f"{API}/comments/{posted['id']}",
        json.dumps({"body": INSULT, "nudge_id": warning["id"]}),
        content_type="application/json",
    )
    assert refused.status_code == 409 and error_of(refused)["code"] == "nudge_not_found"
    assert Comment.objects.get(pk=posted["id"]).body == CIVIL
