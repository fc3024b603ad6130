"""The moderators' queue pages: who may see them, what an item shows, every action (plain POST and the
script's JSON), bulk actions, author sanctions, the audit log, pagination, live updates and query counts."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import Truncator

from articles.tests.conftest import build_article
from discussions import services
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import appeals, queues
from moderation import services as moderation
from moderation.models import (
    AuditEntry,
    Ban,
    ModerationDecision,
    ModerationRule,
    Report,
    SpotCheck,
    UserTrust,
)
from notifications.models import Notification
from posting import actions

pytestmark = pytest.mark.django_db

QUEUE = "moderation:queue"
JSON = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
QUEUE_PAGE_QUERIES = 19  # with the header bell's unread count
STEPS = [
    {"step": "normalise", "outcome": "pass", "reason": "", "details": {}},
    {
        "step": "rules",
        "outcome": "hold",
        "reason": "it contains words a moderator checks first (“idiot”)",
        "details": {"suspect": ["idiot*"]},
    },
    {"step": "model", "outcome": "pass", "reason": "", "details": {"toxicity": 0.31, "hold_at": 0.4}},
]
SCORES = {"toxicity": 0.31, "insult": 0.52, "identity_attack": 0.01, "obscene": 0.02, "threat": 0.0}


def make_held(thread, n: int, prefix: str = "writer") -> list[Comment]:
    """`n` held comments by `n` different authors, each with a history, a report and a warning, in bulk."""
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org", password="!") for i in range(n)
    )
    UserTrust.objects.bulk_create(
        UserTrust(user=u, score=2, approved_count=4, rejected_count=1) for u in users
    )
    comments = Comment.objects.bulk_create(
        Comment(thread=thread, author=u, body=f"Comment {i}: you 1d10t.", body_html="<p>x</p>", status="held")
        for i, u in enumerate(users)
    )
    ModerationDecision.objects.bulk_create(
        ModerationDecision(
            comment=c, author=c.author, action="hold", reason="words", steps=STEPS, scores=SCORES
        )
        for c in comments
    )
    reporter = make_user(f"{prefix}-reporter")
    Report.objects.bulk_create(Report(comment=c, reporter=reporter, reason="abuse") for c in comments)
    for user in users:
        AuditEntry.objects.create(
            actor_name="mod", action="warn_user", target_type="accounts.user", target_id=str(user.pk)
        )
    return comments


@pytest.fixture
def root(bob, thread):
    return actions.post_comment(bob, thread, "The root of the discussion.")


@pytest.fixture
def held(member, thread):
    """Held by the rules: "1d10t" reads "idiot", a suspect word (shipped; made sure of here)."""
    ModerationRule.objects.get_or_create(phrase="idiot*", defaults={"kind": "suspect"})
    comment = actions.post_comment(member, thread, "Only a 1d10t would believe this report.")
    assert comment.status == "held"
    return comment


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def audit(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


def decide(client, comment, headers=None, **data):
    data.setdefault("next", reverse(QUEUE, args=["pending"]))
    return client.post(reverse("moderation:decide", args=[comment.pk]), data, **(headers or {}))


# --- who may see them --------------------------------------------------------------------------------


def test_anonymous_readers_are_sent_to_log_in(client):
    response = client.get(reverse(QUEUE, args=["pending"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_readers_without_the_permission_get_403_and_change_nothing(client, alice, held):
    client.force_login(alice)
    assert client.get(reverse(QUEUE, args=["pending"])).status_code == 403
    assert decide(client, held, action="approve").status_code == 403
    bulk = client.post(reverse("moderation:bulk"), {"action": "approve", "comment": [held.pk]})
    assert bulk.status_code == 403
    sanction = client.post(
        reverse("moderation:sanction", args=[held.author_id]), {"action": "ban", "reason": "Abuse"}
    )
    assert sanction.status_code == 403
    assert Comment.objects.get(pk=held.pk).status == "held"
    assert not AuditEntry.objects.filter(actor=alice).exists() and not Ban.objects.exists()


def test_unknown_queue_is_404(mod_client):
    assert mod_client.get(reverse(QUEUE, args=["everything"])).status_code == 404


def test_moderators_see_the_nav_link_and_readers_do_not(client, alice, moderator):
    client.force_login(alice)
    assert reverse(QUEUE, args=["pending"]) not in client.get(reverse("notifications:list")).text
    client.force_login(moderator)
    assert reverse(QUEUE, args=["pending"]) in client.get(reverse("notifications:list")).text


# --- what an item shows ------------------------------------------------------------------------------


def test_pending_item_shows_highlight_scores_rules_reports_and_author_history(
    mod_client, held, member, alice
):
    moderation.warn(make_user("lead", role="Moderators"), member, "Keep it civil.")
    Report.objects.create(comment=held, reporter=alice, reason="abuse", note="Calls people names.")
    page = mod_client.get(reverse(QUEUE, args=["pending"])).text
    assert "Only a <mark" in page and ">1d10t</mark> would believe" in page
    assert "Rules hit:" in page and "<mark>idiot*</mark>" in page
    assert "it contains words a moderator checks first" in page
    assert "Model scores</h3>" in page and 'aria-label="Identity attack"' in page
    assert "1 open report:" in page and "Abusive or hateful ×1" in page and "“Calls people names.”" in page
    assert "3 approved · 0 rejected · 1 warning" in page
    assert 'class="queue-tabs__count" data-queue-count="pending">1<' in page


def test_a_queued_reply_shows_the_comment_it_answers_to_moderators_only(
    client, mod_client, member, alice, root
):
    ModerationRule.objects.get_or_create(phrase="idiot*", defaults={"kind": "suspect"})
    parent = actions.post_comment(alice, root.thread, "Tides rise twice a day.", parent=root)
    actions.post_comment(member, root.thread, "Only a 1d10t would say that.", parent=root)
    actions.post_comment(member, root.thread, "And you, 1d10t.", parent=parent)
    edited = "Tides <b>rise</b> twice a day, you 1d10t. " * 20
    assert actions.edit_comment(alice, parent, edited).status == "held"  # readers no longer see it

    page = mod_client.get(reverse(QUEUE, args=["pending"])).text
    assert page.count('<figure class="queue-item__parent">') == 3  # each queued comment is a reply
    assert "In reply to <strong>bob</strong>" in page and "<blockquote>The root of the discussion.</" in page
    assert f'href="/discussions/comments/{root.pk}/#c{root.pk}">in the discussion</a>' in page
    # A parent readers cannot see is shown to the moderator, marked, escaped and cut short.
    assert (
        'In reply to <strong>Alice Martin</strong> <span class="status status--held">Held for review</span>'
        in page
    )
    assert f"<blockquote>{escape(Truncator(edited).chars(400))}</blockquote>" in page
    assert "<b>rise</b>" not in page

    client.force_login(alice)
    refused = client.get(reverse(QUEUE, args=["pending"]))
    assert refused.status_code == 403 and "The root of the discussion." not in refused.text


@pytest.mark.parametrize(
    ("text", "phrases", "marked"),
    [
        ("Only a 1d10t would", ["idiot*"], ["1d10t"]),
        ("what an i d i o t, really", ["idiot*"], ["i d i o t,"]),
        ("They are idiots and morons", ["idiot*", "moron*"], ["idiots", "morons"]),
        ("Scunthorpe is a town", ["cunt"], []),
        ("Please just kill   yourself now", ["kill yourself"], ["kill   yourself"]),
    ],
)
def test_flagged_words_are_found_in_what_the_reader_typed(text, phrases, marked):
    assert [text[start:end] for start, end, _ in queues.flagged_spans(text, phrases)] == marked


def test_highlighting_escapes_the_text():
    html = queues.highlight("<b>idiot</b> & co", ["idiot"])
    assert html == '<mark title="matches the rule “idiot”">&lt;b&gt;idiot&lt;/b&gt;</mark> &amp; co'


# --- single actions ----------------------------------------------------------------------------------


def test_approve_as_a_plain_form_publishes_audits_and_comes_back(mod_client, moderator, held):
    response = decide(mod_client, held, action="approve")
    assert response.status_code == 302 and response["Location"] == reverse(QUEUE, args=["pending"])
    assert Comment.objects.get(pk=held.pk).status == "published"
    (entry,) = audit("approve_comment")
    assert (entry.actor, entry.target_id) == (moderator, str(held.pk))
    page = mod_client.get(response["Location"]).text
    assert "Published the comment by" in page and "Nothing waiting in this queue." in page


def test_reject_needs_a_reason_and_writes_nothing_without_one(mod_client, held):
    response = decide(mod_client, held, action="reject", reason_choice="", reason="  ")
    assert response.status_code == 302
    assert "Choose a reason or write one" in mod_client.get(response["Location"]).text
    assert Comment.objects.get(pk=held.pk).status == "held"
    assert not audit("reject_comment") and not Notification.objects.exists()


def test_reject_with_a_common_reason_tells_the_author_and_audits(
    mod_client, moderator, held, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(mod_client, held, action="reject", reason_choice="abuse")
    assert Comment.objects.get(pk=held.pk).status == "rejected"
    (entry,) = audit("reject_comment")
    assert (entry.actor, entry.reason) == (moderator, "it is abusive or insulting")
    (note,) = Notification.objects.filter(recipient=member)
    assert "it is abusive or insulting" in note.text


def test_own_words_win_over_the_list(mod_client, held):
    decide(mod_client, held, action="reject", reason_choice="spam", reason="Name-calling is not an argument")
    assert audit("reject_comment")[0].reason == "Name-calling is not an argument"


def test_the_script_gets_json(mod_client, held):
    response = decide(mod_client, held, JSON, action="reject", reason_choice="off_topic")
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "ok": True,
        "gone": True,
        "message": "Took down the comment by member; they are told why.",
    }
    again = decide(mod_client, held, JSON, action="reject", reason_choice="off_topic")
    assert again.status_code == 409 and json.loads(again.content)["ok"] is False


def test_keeping_an_unmoderated_comment_marks_it_reviewed(mod_client, moderator, root):
    assert queues.rows("unmoderated").filter(comment=root).exists()
    decide(mod_client, root, action="approve", next=reverse(QUEUE, args=["unmoderated"]))
    assert not queues.rows("unmoderated").filter(comment=root).exists()
    assert queues.rows("approved").filter(comment=root).exists()
    assert Comment.objects.get(pk=root.pk).status == "published"
    (entry,) = audit("keep_comment")
    assert entry.actor == moderator
    assert "Kept the comment" in mod_client.get(reverse(QUEUE, args=["approved"])).text


def test_reported_queue_keep_dismisses_and_remove_upholds(mod_client, root, alice, bob, thread):
    other = actions.post_comment(alice, thread, "Another view entirely.")
    Report.objects.create(comment=root, reporter=alice, reason="spam")
    Report.objects.create(comment=other, reporter=bob, reason="abuse")
    page = mod_client.get(reverse(QUEUE, args=["reported"])).text
    assert "Another view entirely." in page and "Spam or advertising ×1" in page
    decide(mod_client, root, action="approve")
    decide(mod_client, other, action="reject", reason_choice="abuse")
    assert Report.objects.get(comment=root).resolution == "dismissed"
    assert Report.objects.get(comment=other).resolution == "upheld"
    assert Comment.objects.get(pk=other.pk).status == "removed"
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["keep_comment", "remove_comment"]
    assert "Nothing waiting" in mod_client.get(reverse(QUEUE, args=["reported"])).text


def test_a_reported_comment_its_author_deletes_leaves_the_reported_queue(
    mod_client, root, alice, bob, thread, django_capture_on_commit_callbacks
):
    kept = actions.post_comment(alice, thread, "A comment that stays up.")
    Report.objects.create(comment=root, reporter=alice, reason="spam")
    Report.objects.create(comment=kept, reporter=bob, reason="abuse")
    page = mod_client.get(reverse(QUEUE, args=["reported"]))
    assert page.context["tabs"][1][1] == 2 and "The root of the discussion." in page.text

    with django_capture_on_commit_callbacks() as callbacks:
        actions.delete_own_comment(bob, root)
    names = [getattr(c, "func", c).__name__ for c in callbacks]
    assert "_publish_queue_change" in names  # open queue pages look again

    page = mod_client.get(reverse(QUEUE, args=["reported"]))
    assert [item.comment.pk for item in page.context["page"].items] == [kept.pk]
    assert page.context["tabs"][1][1] == 1 and "The root of the discussion." not in page.text
    assert queues.arrived_since("reported", 0) == 1
    assert Report.objects.get(comment=root).resolved_at is None  # kept as it was: nothing is lost


def test_rejected_queue_can_publish_again(mod_client, moderator, held):
    moderation.reject(moderator, held, "too rude")
    assert "Only a" in mod_client.get(reverse(QUEUE, args=["rejected"])).text
    decide(mod_client, held, action="approve")
    assert Comment.objects.get(pk=held.pk).status == "published"


def test_feature_from_the_queue_is_audited(mod_client, moderator, root):
    decide(mod_client, root, action="feature")
    assert Comment.objects.get(pk=root.pk).is_featured
    assert audit("feature_comment")[0].actor == moderator


# --- bulk ---------------------------------------------------------------------------------------------


def test_bulk_reject_goes_through_the_service_for_each(
    mod_client, moderator, thread, django_capture_on_commit_callbacks
):
    comments = make_held(thread, 3)
    with django_capture_on_commit_callbacks(execute=True):
        response = mod_client.post(
            reverse("moderation:bulk"),
            {
                "action": "reject",
                "reason_choice": "spam",
                "comment": [c.pk for c in comments[:2]],
                "next": "/",
            },
        )
    assert response.status_code == 302
    assert sorted(Comment.objects.values_list("status", flat=True)) == ["held", "rejected", "rejected"]
    assert len(audit("reject_comment")) == 2
    assert Notification.objects.count() == 2


def test_bulk_approve_reports_what_it_could_not_do(mod_client, thread, root):
    comments = make_held(thread, 2)
    response = mod_client.post(
        reverse("moderation:bulk"),
        {"action": "reject", "reason": "rude", "comment": [comments[0].pk, root.pk]},
        **JSON,
    )
    answer = json.loads(response.content)
    assert answer["message"].startswith("Took down 2 comments.")  # a published one is removed
    response = mod_client.post(
        reverse("moderation:bulk"), {"action": "approve", "comment": [comments[0].pk]}, **JSON
    )
    assert json.loads(response.content)["ok"] is True
    nothing = mod_client.post(reverse("moderation:bulk"), {"action": "reject", "reason": "x"}, **JSON)
    assert (
        nothing.status_code == 400 and "Select at least one comment" in json.loads(nothing.content)["message"]
    )


def test_bulk_reject_without_a_reason_changes_nothing(mod_client, thread):
    comments = make_held(thread, 2)
    response = mod_client.post(
        reverse("moderation:bulk"), {"action": "reject", "comment": [c.pk for c in comments]}
    )
    assert response.status_code == 302
    assert set(Comment.objects.values_list("status", flat=True)) == {"held"}
    assert not audit("reject_comment")


# --- the author ---------------------------------------------------------------------------------------


def test_suspend_for_seven_days_warn_and_ban(
    mod_client, moderator, held, member, django_capture_on_commit_callbacks
):
    url = reverse("moderation:sanction", args=[member.pk])
    with django_capture_on_commit_callbacks(execute=True):
        mod_client.post(
            url, {"action": "suspend", "days": "7", "reason": "Repeated insults", "comment": held.pk}
        )
    ban = Ban.objects.get(user=member)
    assert timedelta(days=6, hours=23) < ban.until - timezone.now() <= timedelta(days=7)
    assert audit("suspend_user")[0].reason == "Repeated insults"
    with django_capture_on_commit_callbacks(execute=True):
        mod_client.post(url, {"action": "warn", "reason": "Mind the tone"})
        mod_client.post(url, {"action": "ban", "reason": "Threats"})
    assert Ban.objects.filter(user=member, until__isnull=True).exists()
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["suspend_user", "warn_user", "ban_user"]
    assert Notification.objects.filter(recipient=member).count() == 3


def test_sanctions_need_a_reason_and_a_duration(mod_client, member):
    url = reverse("moderation:sanction", args=[member.pk])
    no_days = mod_client.post(url, {"action": "suspend", "reason": "Abuse"}, **JSON)
    assert no_days.status_code == 400 and "how long" in json.loads(no_days.content)["message"]
    no_reason = mod_client.post(url, {"action": "ban", "reason": ""}, **JSON)
    assert no_reason.status_code == 400 and json.loads(no_reason.content)["message"] == (
        "Give a reason: the reader is told it."
    )
    assert not Ban.objects.exists() and not AuditEntry.objects.exists()


def test_moderators_without_the_ban_permission_cannot_sanction(client, member, held):
    reviewer = make_user("reviewer")
    reviewer.user_permissions.add(Permission.objects.get(codename="moderate_comments"))
    client.force_login(reviewer)
    page = client.get(reverse(QUEUE, args=["pending"])).text
    assert "Only a" in page and "Author…" not in page
    response = client.post(
        reverse("moderation:sanction", args=[member.pk]), {"action": "ban", "reason": "Abuse"}, **JSON
    )
    assert response.status_code == 403 and not Ban.objects.exists()


# --- filtering, pages, live updates, query counts --------------------------------------------------


def test_per_article_queue(mod_client, held, member):
    elsewhere = services.thread_for_article(build_article("Budget vote delayed"))
    make_held(elsewhere, 1)
    page = mod_client.get(reverse(QUEUE, args=["pending"]) + f"?article={elsewhere.article_id}").text
    assert "Budget vote delayed" in page and "Comment 0:" in page and "Only a" not in page
    assert mod_client.get(reverse(QUEUE, args=["pending"]) + "?article=999999").status_code == 404


def test_keyset_pages_cover_the_queue_once(mod_client, thread, monkeypatch):
    monkeypatch.setattr(queues, "PAGE_SIZE", 3)
    make_held(thread, 7)
    seen, url = [], reverse(QUEUE, args=["pending"])
    for _ in range(3):
        response = mod_client.get(url)
        seen += [item.comment.pk for item in response.context["page"].items]
        next_query = response.context["page"].next_query
        url = reverse(QUEUE, args=["pending"]) + "?" + next_query
    assert not next_query
    # Oldest first, each once.
    assert seen == list(Comment.objects.order_by("id").values_list("pk", flat=True))


def test_live_updates_say_once_what_arrived_and_stop_polling(mod_client, thread):
    make_held(thread, 1, prefix="early")
    page = mod_client.get(reverse(QUEUE, args=["pending"]))
    poll = page.context["poll_url"]
    assert f'hx-get="{poll}"' in page.text.replace("&amp;", "&")
    quiet = mod_client.get(poll).text
    assert "new item" not in quiet and f'hx-get="{poll}"' in quiet.replace("&amp;", "&")
    make_held(thread, 2, prefix="late")
    news = mod_client.get(poll).text
    assert "2 new items — show" in news and "hx-get" not in news
    assert mod_client.get(reverse("moderation:queue-updates", args=["pending"])).status_code == 404


def test_the_tab_counters_follow_decisions(client, mod_client, moderator, thread, held, root):
    other = build_article("Ferry timetable")
    make_held(services.thread_for_article(other), 2)  # they carry a report each
    sizes_url = reverse("moderation:queue-sizes")
    page = mod_client.get(reverse(QUEUE, args=["pending"]))
    assert f'data-queue-sizes-url="{sizes_url}"' in page.text
    assert mod_client.get(sizes_url).json() == {
        "pending": 3,
        "reported": 2,
        "unmoderated": 1,
        "audit": 0,
        "appeals": 0,
    }
    assert mod_client.get(sizes_url, {"article": other.pk}).json() == {
        "pending": 2,
        "reported": 2,
        "unmoderated": 0,
        "audit": 0,
        "appeals": 0,
    }
    scoped = mod_client.get(reverse(QUEUE, args=["pending"]), {"article": other.pk}).text
    assert f'data-queue-sizes-url="{sizes_url}?article={other.pk}"' in scoped

    decide(mod_client, held, headers=JSON, action="approve")
    decide(mod_client, root, headers=JSON, action="approve")  # kept: it leaves Unmoderated
    assert mod_client.get(sizes_url).json() == {
        "pending": 2,
        "reported": 2,
        "unmoderated": 0,
        "audit": 0,
        "appeals": 0,
    }

    client.force_login(make_user("reader"))
    assert client.get(sizes_url).status_code == 403


def test_a_queue_page_costs_the_same_with_5_and_50_items(mod_client, thread, django_assert_max_num_queries):
    """Session, user, 2 perms, rows, checks, reports, notes, trust, bans, warnings, 5 sizes, marker, nav,
    the bell."""
    used = []
    for count, prefix in ((5, "few"), (45, "many")):
        make_held(thread, count, prefix=prefix)
        with django_assert_max_num_queries(QUEUE_PAGE_QUERIES) as captured:
            response = mod_client.get(reverse(QUEUE, args=["pending"]))
        assert len(response.context["page"].items) == Comment.objects.count()
        used.append(len(captured))
    assert used[0] == used[1]


@pytest.mark.parametrize("name", list(queues.QUEUES))
def test_every_queue_page_stays_within_the_budget(
    mod_client, moderator, thread, root, name, django_assert_max_num_queries
):
    comments = make_held(thread, 12)  # and `root`, published by the checks: unmoderated
    for comment in comments[:4]:
        moderation.approve(moderator, comment)
    for comment in comments[4:8]:
        moderation.reject(moderator, comment, "rude")
    SpotCheck.objects.create(comment=root, decision=root.decisions.get())  # the Audit queue
    for comment in comments[4:8]:  # the Appeals queue (decided by `moderator`, counted once)
        appeals.appeal_decision(comment.author, comment.decisions.get(is_current=True), "It was a joke.")
    with django_assert_max_num_queries(QUEUE_PAGE_QUERIES + 2):  # the reported queue reads current decisions
        response = mod_client.get(reverse(QUEUE, args=[name]))
    assert response.status_code == 200 and response.context["page"].items
