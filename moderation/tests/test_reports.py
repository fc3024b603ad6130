"""Readers' reports: the form, its limits, and the automatic hold from distinct trusted readers."""

import pytest

from discussions.errors import CommentError
from discussions.lifecycle import set_status
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import services as moderation
from moderation.models import AuditEntry, ModerationDecision, Report
from moderation.tests.conftest import counts
from posting import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment(bob, thread):
    return actions.post_comment(bob, thread, "A contested claim about the harbour.")


def trusted_readers(n: int) -> list:
    return [make_user(f"reader{i}") for i in range(n)]


def test_three_trusted_readers_hold_a_published_comment(comment, thread, settings):
    settings.MODERATION_REPORTS_TO_HOLD = 3
    first, second, third = trusted_readers(3)
    moderation.report(first, comment, "abuse")
    moderation.report(second, comment, "spam", note="Posted everywhere")
    assert Comment.objects.get(pk=comment.pk).status == "published" and counts(thread) == (1, None)
    moderation.report(third, comment, "abuse")
    assert comment.status == Comment.Status.HELD
    assert Comment.objects.get(pk=comment.pk).status == "held" and counts(thread) == (0, None)
    decision = ModerationDecision.objects.get(comment=comment, is_current=True)
    assert (decision.source, decision.trigger, decision.action) == ("reports", "report", "hold")
    assert decision.steps[0]["step"] == "reports" and decision.steps[0]["details"]["trusted_reporters"] == 3
    entry = AuditEntry.objects.get(action="auto_hold_reported")
    assert entry.actor is None and entry.actor_name == "system" and entry.target_id == str(comment.pk)


def test_open_queue_pages_hear_of_each_report_once(comment, settings, django_capture_on_commit_callbacks):
    settings.MODERATION_REPORTS_TO_HOLD = 2
    first, second = trusted_readers(2)
    for reader in (first, second):  # the second report holds the comment
        with django_capture_on_commit_callbacks() as callbacks:
            moderation.report(reader, comment, "abuse")
        names = [getattr(c, "func", c).__name__ for c in callbacks]
        assert names.count("_publish_queue_change") == 1
    assert Comment.objects.get(pk=comment.pk).status == "held"


def test_reports_from_untrusted_readers_do_not_hold(comment, newcomer, member, settings):
    settings.MODERATION_REPORTS_TO_HOLD = 2
    moderation.report(newcomer, comment, "abuse")
    moderation.report(member, comment, "abuse")
    assert Comment.objects.get(pk=comment.pk).status == "published"
    assert Report.objects.filter(comment=comment, reporter_trusted=False).count() == 2  # kept for the queue
    moderation.report(trusted_readers(1)[0], comment, "abuse")
    assert Comment.objects.get(pk=comment.pk).status == "published"  # one trusted reader is not two


def test_one_reader_reports_a_comment_once(comment, alice):
    moderation.report(alice, comment, "abuse")
    with pytest.raises(CommentError) as refused:
        moderation.report(alice, comment, "spam")
    assert refused.value.code == "already_reported" and refused.value.status == 409
    assert Report.objects.count() == 1


def test_reports_need_a_published_comment_of_someone_else(comment, bob, alice, thread):
    with pytest.raises(CommentError) as own:
        moderation.report(bob, comment, "abuse")
    assert own.value.code == "own_comment"
    with pytest.raises(CommentError):
        moderation.report(alice, comment, "not-a-reason")
    set_status(comment, Comment.Status.HELD)
    with pytest.raises(CommentError) as gone:
        moderation.report(alice, comment, "abuse")
    assert gone.value.code == "gone"


def test_a_moderator_approval_dismisses_the_reports_so_old_reports_do_not_hold_it_again(
    comment, moderator, settings
):
    settings.MODERATION_REPORTS_TO_HOLD = 2
    readers = trusted_readers(3)
    moderation.report(readers[0], comment, "abuse")
    moderation.report(readers[1], comment, "abuse")
    assert comment.status == "held"
    moderation.approve(moderator, comment)
    assert set(Report.objects.values_list("resolution", flat=True)) == {"dismissed"}
    moderation.report(readers[2], comment, "abuse")
    assert Comment.objects.get(pk=comment.pk).status == "published"


def test_reports_are_rate_limited(bob, thread, alice, settings, monkeypatch):
    settings.MODERATION_REPORTS_PER_HOUR = 2
    monkeypatch.setattr(moderation, "REPORT_PERIOD", 10**7)  # no window boundary mid-test
    comments = [actions.post_comment(bob, thread, f"Claim number {n} about the harbour.") for n in range(3)]
    moderation.report(alice, comments[0], "spam")
    moderation.report(alice, comments[1], "spam")
    with pytest.raises(CommentError) as refused:
        moderation.report(alice, comments[2], "spam")
    assert refused.value.status == 429
    assert Report.objects.count() == 2


# --- the pages (no JavaScript) -----------------------------------------------------------------------


def test_the_report_link_shows_for_logged_in_readers_on_others_comments(client, comment, alice, bob, article):
    link = f'href="/moderation/comments/{comment.pk}/report/"'
    assert link not in client.get(article.get_absolute_url()).content.decode()  # anonymous
    client.force_login(bob)
    assert link not in client.get(article.get_absolute_url()).content.decode()  # the author
    client.force_login(alice)
    assert link in client.get(article.get_absolute_url()).content.decode()


def test_reporting_with_the_form(client, comment, alice):
    url = f"/moderation/comments/{comment.pk}/report/"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert 'name="reason"' in page and "Misinformation" not in page and "False or misleading" in page
    response = client.post(url, {"reason": "misinformation", "note": "The figures are wrong."})
    assert response.status_code == 302 and response["Location"].endswith(f"#c{comment.pk}")
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.note) == (
        alice,
        "misinformation",
        "The figures are wrong.",
    )
    again = client.post(url, {"reason": "abuse"})
    assert again.status_code == 409 and "already reported" in again.content.decode()


def test_the_form_says_what_is_missing(client, comment, alice):
    client.force_login(alice)
    response = client.post(f"/moderation/comments/{comment.pk}/report/", {"reason": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert Report.objects.count() == 0


def test_held_comments_cannot_be_reported(client, comment, alice):
    set_status(comment, Comment.Status.HELD)
    client.force_login(alice)
    assert client.get(f"/moderation/comments/{comment.pk}/report/").status_code == 404
