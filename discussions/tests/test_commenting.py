"""Commenting status site-wide, per section, per article: precedence, enforcement, controls, cache, audit."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.roles import EDITORS, MODERATORS, READERS
from articles.models import Article, Section
from articles.tests.conftest import build_article
from discussions import commenting, services
from discussions.commenting import effective_status, slow_mode_wait
from discussions.errors import CommentError
from discussions.models import Comment, CommentingPolicy, Thread
from discussions.tests.conftest import make_user
from moderation.commenting import set_commenting_status
from moderation.models import AuditEntry
from posting import actions

pytestmark = pytest.mark.django_db

S = CommentingPolicy.Status
SEED_NOTICE = (
    "Our goal is to create a safe and engaging place for users to connect over interests and passions. "
    "In order to improve our community experience, we are temporarily suspending article commenting"
)


@pytest.fixture
def editor(db):
    return make_user("eddie", role=EDITORS, is_staff=True)


@pytest.fixture
def moderator(db):
    return make_user("mo", role=MODERATORS)


@pytest.fixture
def politics(db):
    """An article in Politics, with its thread."""
    return services.thread_for_article(build_article("Budget vote tonight", section="politics"))


def level_target(level: str, thread: Thread):
    return {"site": None, "section": thread.article.section, "article": thread.article}[level]


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


# --- Precedence -------------------------------------------------------------------------------------

# (site, section, article) settings as (status, slow minutes, notice); the expected effective
# status, whether posting is open, and what the reader is told.
PRECEDENCE = [
    ({}, S.OPEN, True, [""]),
    ({"article": (S.OPEN,)}, S.OPEN, True, [""]),
    (
        {"site": (S.SUSPENDED, None, SEED_NOTICE), "section": (S.CLOSED,), "article": (S.PREMODERATED,)},
        S.SUSPENDED,
        False,
        [f"{SEED_NOTICE}. Existing comments stay readable."],
    ),
    (
        {"site": (S.CLOSED,), "section": (S.SUSPENDED, None, "Legal review")},
        S.SUSPENDED,
        False,
        ["Legal review. Existing comments stay readable."],
    ),
    (
        {"site": (S.OPEN,), "article": (S.SUSPENDED, None, "Court order")},
        S.SUSPENDED,
        False,
        ["Court order. Existing comments stay readable."],
    ),
    (
        {"site": (S.PREMODERATED,), "section": (S.CLOSED,)},
        S.CLOSED,
        False,
        ["Commenting is closed on Politics."],
    ),
    (
        {"site": (S.CLOSED,), "section": (S.CLOSED,)},
        S.CLOSED,
        False,
        ["Commenting is closed across the site."],
    ),
    ({"article": (S.CLOSED,)}, S.CLOSED, False, ["Commenting is closed on this article."]),
    ({"section": (S.SLOW, 5), "article": (S.CLOSED,)}, S.CLOSED, False, ["closed on this article"]),
    (
        {"section": (S.PREMODERATED,), "article": (S.SLOW, 5)},
        S.PREMODERATED,
        True,
        ["Comments on Politics are pre-moderated", "Slow mode: one comment every 5 minutes."],
    ),
    ({"site": (S.PREMODERATED,), "article": (S.OPEN,)}, S.PREMODERATED, True, ["pre-moderated"]),
    (
        {"site": (S.SLOW, 2), "section": (S.SLOW, 10)},
        S.SLOW,
        True,
        ["Slow mode: one comment every 10 minutes."],
    ),
    ({"article": (S.SLOW, 1)}, S.SLOW, True, ["Slow mode: one comment every 1 minute."]),
]


@pytest.mark.parametrize(("levels", "status", "is_open", "said"), PRECEDENCE)
def test_the_most_restrictive_level_wins_and_says_why(editor, politics, levels, status, is_open, said):
    for level, (level_status, *rest) in levels.items():
        minutes = rest[0] if rest else None
        notice = rest[1] if len(rest) > 1 else ""
        set_commenting_status(editor, level_target(level, politics), level_status, notice, minutes)
    state = effective_status(politics)
    assert (state.status, state.open) == (status, is_open)
    for text in said:
        assert text in state.reason
    assert services.commenting_state(politics) == state
    assert state.premoderated == (status == S.PREMODERATED)


def test_premoderation_and_slow_mode_at_different_levels_both_apply(editor, politics):
    set_commenting_status(editor, None, S.SLOW, slow_mode_minutes=3)
    set_commenting_status(editor, politics.article.section, S.PREMODERATED)
    state = effective_status(politics)
    assert state.premoderated and state.slow_mode_minutes == 3
    assert state.label == "pre-moderated, slow mode (3 min)"


def test_the_article_forms_closed_switch_still_closes(alice, politics):
    Article.objects.filter(pk=politics.article_id).update(comment_policy=Article.CommentPolicy.CLOSED)
    politics.article.refresh_from_db()
    state = effective_status(politics)
    assert not state.open and state.reason.startswith("Commenting is closed on this article.")


def test_setting_an_article_keeps_the_article_switch_in_step(editor, politics):
    article = politics.article
    set_commenting_status(editor, article, S.CLOSED)
    assert Article.objects.get(pk=article.pk).comment_policy == Article.CommentPolicy.CLOSED
    set_commenting_status(editor, article, S.OPEN)
    assert Article.objects.get(pk=article.pk).comment_policy == Article.CommentPolicy.OPEN
    assert effective_status(politics).open


def test_an_embedded_thread_has_its_own_level_under_the_site(editor):
    thread = Thread.objects.create(url="https://publisher.example/story", title="Their story")
    set_commenting_status(editor, thread, S.PREMODERATED)
    assert effective_status(thread).reason.startswith("Comments on this discussion are pre-moderated")
    set_commenting_status(editor, None, S.CLOSED)
    assert effective_status(thread).reason.startswith("Commenting is closed across the site.")


def test_a_thread_of_an_article_is_set_at_the_article_level(editor, politics):
    policy = set_commenting_status(editor, politics, S.CLOSED)
    assert (policy.scope, policy.article_id, policy.thread_id) == ("article", politics.article_id, None)


def test_the_state_of_a_thread_page_costs_one_query(editor, politics, django_assert_num_queries):
    set_commenting_status(editor, None, S.SLOW, slow_mode_minutes=5)
    set_commenting_status(editor, politics.article.section, S.PREMODERATED)
    set_commenting_status(editor, politics.article, S.OPEN, auto_close_days=30)
    effective_status(politics)  # the first read after a change rebuilds the site and section snapshot
    with django_assert_num_queries(1):  # the article's own level; the site's and section's: the snapshot
        state = effective_status(politics)
    assert state.premoderated and state.slow_mode_minutes == 5


def test_a_renamed_section_speaks_with_its_new_name(editor, politics):
    section = politics.article.section
    set_commenting_status(editor, section, S.PREMODERATED)
    assert f"on {section.name}" in effective_status(politics).reason  # now in this process's snapshot
    section.name = "Home affairs"
    section.save()
    assert "on Home affairs" in effective_status(politics).reason


# --- Auto-close -------------------------------------------------------------------------------------


def test_auto_close_days_after_publication(editor):
    old = services.thread_for_article(build_article("Last week", hours_ago=8 * 24))
    fresh = services.thread_for_article(build_article("Yesterday", hours_ago=24))
    set_commenting_status(editor, None, S.OPEN, auto_close_days=7)
    closed = effective_status(old)
    assert (closed.open, closed.status, closed.level) == (False, S.CLOSED, "auto")
    assert closed.reason.startswith("This article closed for comments 7 days after publication.")
    state = effective_status(fresh)
    assert state.open and state.closes_at == fresh.article.published_at + timedelta(days=7)
    # Computed at request time: no job has to run for the article to close.
    assert not effective_status(fresh, now=state.closes_at).open
    assert effective_status(fresh, now=state.closes_at - timedelta(seconds=1)).open


def test_the_shortest_auto_close_applies_and_explicit_statuses_explain_first(editor):
    thread = services.thread_for_article(build_article("Old news", section="politics", hours_ago=5 * 24))
    set_commenting_status(editor, None, S.OPEN, auto_close_days=30)
    assert effective_status(thread).open
    set_commenting_status(editor, thread.article.section, S.PREMODERATED, auto_close_days=3)
    assert "3 days after publication" in effective_status(thread).reason
    set_commenting_status(editor, None, S.SUSPENDED, notice="Back soon", auto_close_days=30)
    assert effective_status(thread).status == S.SUSPENDED


def test_auto_closed_article_refuses_posts_and_keeps_comments(editor, alice, thread):
    actions.post_comment(alice, thread, "Early bird")
    set_commenting_status(editor, thread.article, S.OPEN, auto_close_days=1)
    Article.objects.filter(pk=thread.article_id).update(published_at=timezone.now() - timedelta(days=2))
    thread.article.refresh_from_db()
    with pytest.raises(CommentError) as error:
        actions.post_comment(alice, thread, "Too late")
    assert (error.value.code, error.value.status) == ("closed", 403)
    assert "1 day after publication" in error.value.message
    assert list(Comment.objects.values_list("body", flat=True)) == ["Early bird"]


# --- Slow mode ----------------------------------------------------------------------------------------


def backdate(comment: Comment, **delta) -> None:
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(**delta))


def test_slow_mode_refuses_a_second_comment_within_the_window(editor, alice, bob, thread):
    set_commenting_status(editor, thread.article.section, S.SLOW, slow_mode_minutes=5)
    first = actions.post_comment(alice, thread, "First")
    with pytest.raises(CommentError) as error:
        actions.post_comment(alice, thread, "Second", parent=first)
    assert (error.value.code, error.value.status) == ("slow_mode", 429)
    assert "one comment every 5 minutes" in error.value.message
    assert "Try again in 5 minutes" in error.value.message
    actions.post_comment(bob, thread, "Someone else is not slowed")  # per reader
    other = services.thread_for_article(build_article("Another story", section="sport"))
    actions.post_comment(alice, other, "Another section is not slowed")

    backdate(first, minutes=3)
    assert 115 <= slow_mode_wait(thread, alice) <= 120
    with pytest.raises(CommentError) as error:
        actions.post_comment(alice, thread, "Still too soon")
    assert "Try again in 2 minutes" in error.value.message

    backdate(first, minutes=5, seconds=1)
    assert slow_mode_wait(thread, alice) == 0
    actions.post_comment(alice, thread, "Second, after the window")
    assert Comment.objects.filter(author=alice, thread=thread).count() == 2


def test_deleting_a_comment_does_not_reset_slow_mode(editor, alice, thread):
    set_commenting_status(editor, None, S.SLOW, slow_mode_minutes=10)
    actions.delete_own_comment(alice, actions.post_comment(alice, thread, "Oops"))
    with pytest.raises(CommentError) as error:
        actions.post_comment(alice, thread, "Again")
    assert error.value.status == 429


def test_slow_mode_through_the_form_is_a_429_with_the_message(client, editor, alice, thread):
    set_commenting_status(editor, thread.article, S.SLOW, slow_mode_minutes=5)
    client.force_login(alice)
    html = page(client, thread.article.get_absolute_url())
    assert "Slow mode: one comment every 5 minutes." in html and 'name="body"' in html
    url = f"/discussions/threads/{thread.pk}/post/"
    assert client.post(url, {"body": "One"}).status_code == 302
    response = client.post(url, {"body": "Two"})
    assert response.status_code == 429
    assert "Try again in 5 minutes" in response.content.decode()
    assert Comment.objects.count() == 1


# --- Pre-moderation -------------------------------------------------------------------------------


def test_premoderation_holds_every_new_comment(client, editor, alice, bob, politics):
    set_commenting_status(editor, politics.article.section, S.PREMODERATED)
    comment = actions.post_comment(alice, politics, "Please review me")
    assert comment.status == Comment.Status.HELD
    politics.refresh_from_db()
    assert politics.comment_count == 0
    client.force_login(bob)
    html = page(client, politics.article.get_absolute_url())
    assert "Comments on Politics are pre-moderated" in html and 'name="body"' in html
    assert "Please review me" not in html
    client.force_login(alice)
    response = client.post(f"/discussions/threads/{politics.pk}/post/", {"body": "Me too"})
    assert response.status_code == 302
    assert "waiting for review by a moderator" in page(client, politics.article.get_absolute_url())
    assert set(Comment.objects.values_list("status", flat=True)) == {Comment.Status.HELD}


def test_lifting_premoderation_publishes_again(editor, alice, thread):
    set_commenting_status(editor, None, S.PREMODERATED)
    held = actions.post_comment(alice, thread, "Held")
    set_commenting_status(editor, None, S.OPEN)
    assert actions.post_comment(alice, thread, "Published").status == Comment.Status.PUBLISHED
    held.refresh_from_db()
    assert held.status == Comment.Status.HELD  # still waiting for a moderator, not lost


# --- Suspension ------------------------------------------------------------------------------------


def test_site_wide_suspension_replaces_every_comment_box_and_lifting_restores_everything(
    client, editor, alice, bob, django_capture_on_commit_callbacks
):
    threads = [
        services.thread_for_article(build_article(headline, section=section))
        for headline, section in [("Port strike", "world"), ("Budget", "politics"), ("Cup final", "sport")]
    ]
    for thread in threads:
        root = actions.post_comment(alice, thread, f"Readable on {thread.article.headline}")
        actions.post_comment(bob, thread, "A reply", parent=root)
    before = list(Comment.objects.order_by("pk").values_list("pk", "status", "body"))
    for thread in threads:  # warm the anonymous page cache
        page(client, thread.article.get_absolute_url())

    with django_capture_on_commit_callbacks(execute=True):
        set_commenting_status(editor, None, S.SUSPENDED, notice=SEED_NOTICE, reason="Community review")

    reader = Client()
    reader.force_login(alice)
    for thread in threads:
        for viewer in (client, reader):
            html = page(viewer, thread.article.get_absolute_url())
            assert f"{SEED_NOTICE}. Existing comments stay readable." in html and "site-wide" not in html
            assert 'role="status"' in html
            assert 'name="body"' not in html and "to join the discussion" not in html
            assert f"Readable on {thread.article.headline}" in html and "A reply" in html
        response = reader.post(f"/discussions/threads/{thread.pk}/post/", {"body": "Sneaky"})
        assert response.status_code == 403
    assert list(Comment.objects.order_by("pk").values_list("pk", "status", "body")) == before

    with django_capture_on_commit_callbacks(execute=True):
        set_commenting_status(editor, None, S.OPEN, reason="Review done")

    assert list(Comment.objects.order_by("pk").values_list("pk", "status", "body")) == before
    for thread in threads:
        html = page(client, thread.article.get_absolute_url())
        assert "suspended" not in html and f"Readable on {thread.article.headline}" in html
        assert "to join the discussion" in html
        actions.post_comment(alice, thread, "Back again")
        thread.refresh_from_db()
        assert thread.comment_count == 3


def test_suspending_needs_a_notice(editor):
    with pytest.raises(ValidationError) as error:
        set_commenting_status(editor, None, S.SUSPENDED)
    assert "notice" in error.value.message_dict
    with pytest.raises(ValidationError):
        set_commenting_status(editor, None, S.SLOW)
    assert not CommentingPolicy.objects.exists() and not AuditEntry.objects.exists()


# --- Permissions and audit ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [READERS, "Commenters"])
def test_readers_and_commenters_cannot_change_the_status(client, article, role):
    user = make_user("someone", role=role)
    with pytest.raises(commenting.CommentingPermissionDenied):
        set_commenting_status(user, None, S.CLOSED)
    client.force_login(user)
    assert client.get("/commenting/").status_code == 403
    data = {"site-status": "closed"}
    assert client.post("/commenting/", data).status_code == 403
    section_url = f"/commenting/section/{article.section_id}/"
    assert client.post(section_url, {f"section-{article.section_id}-status": "closed"}).status_code == 403
    assert client.get(f"/commenting/article/{article.pk}/").status_code == 403
    assert client.get("/admin/discussions/commentingpolicy/").status_code in (302, 403)
    assert not CommentingPolicy.objects.exists() and not AuditEntry.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/commenting/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_editors_moderators_and_superusers_may(moderator, django_user_model, article):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.org", "a-long-password-1")
    set_commenting_status(moderator, article, S.PREMODERATED)
    set_commenting_status(boss, article.section, S.CLOSED)
    assert CommentingPolicy.objects.count() == 2


def test_every_change_is_in_the_audit_log(editor, moderator, politics):
    set_commenting_status(editor, None, S.SUSPENDED, notice=SEED_NOTICE, reason="Trolls")
    set_commenting_status(moderator, None, S.OPEN, reason="Calm again")
    set_commenting_status(editor, politics.article.section, S.SLOW, slow_mode_minutes=5)
    set_commenting_status(editor, politics.article, S.CLOSED, auto_close_days=3, reason="Legal")
    entries = list(AuditEntry.objects.filter(action="set_commenting_status").order_by("id"))
    assert [(e.actor_name, e.details["scope"], e.details["status"]) for e in entries] == [
        ("eddie", "site", "suspended"),
        ("mo", "site", "open"),
        ("eddie", "section", "slow"),
        ("eddie", "article", "closed"),
    ]
    site, reopened, section, article = entries
    assert (
        site.reason == "Trolls" and site.details["notice"] == SEED_NOTICE and site.details["previous"] is None
    )
    assert reopened.details["previous"]["status"] == "suspended"
    assert section.target_type == "articles.section" and section.details["slow_mode_minutes"] == 5
    assert article.target_id == str(politics.article_id) and article.details["auto_close_days"] == 3
    policy = CommentingPolicy.objects.get(scope="site")
    assert (policy.set_by, policy.reason) == (moderator, "Calm again")


# --- Cached pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["site", "section", "article"])
def test_a_cached_article_page_shows_the_new_state_right_after_a_change(
    client, editor, thread, level, django_capture_on_commit_callbacks
):
    url = thread.article.get_absolute_url()
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        set_commenting_status(editor, level_target(level, thread), S.CLOSED)
    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert "Commenting is closed" in response.content.decode()


def test_an_article_change_leaves_other_cached_pages_alone(
    client, editor, thread, politics, django_capture_on_commit_callbacks
):
    other = politics.article.get_absolute_url()
    client.get(other)
    with django_capture_on_commit_callbacks(execute=True):
        set_commenting_status(editor, thread.article, S.CLOSED)
    assert client.get(other)["X-Page-Cache"] == "hit"


# --- Editors' controls ----------------------------------------------------------------------------


def test_the_control_page_sets_the_site_and_sections(client, editor, politics):
    client.force_login(editor)
    html = page(client, "/commenting/")
    assert "Site-wide" in html and "Politics" in html and "csrfmiddlewaretoken" in html
    response = client.post(
        "/commenting/",
        {"site-status": "suspended", "site-notice": SEED_NOTICE, "site-reason": "Review"},
    )
    assert response.status_code == 302 and response["Location"] == "/commenting/"
    assert effective_status(politics).reason.startswith(SEED_NOTICE)

    section = Section.objects.get(slug="politics")
    prefix = f"section-{section.pk}"
    response = client.post(
        f"/commenting/section/{section.pk}/",
        {f"{prefix}-status": "slow", f"{prefix}-slow_mode_minutes": "5", f"{prefix}-auto_close_days": "7"},
    )
    assert response.status_code == 302
    policy = CommentingPolicy.objects.get(section=section)
    assert (policy.status, policy.slow_mode_minutes, policy.auto_close_days) == ("slow", 5, 7)
    html = page(client, "/commenting/")
    assert "Recent changes" in html and "Review" in html


def test_the_control_page_refuses_incomplete_settings(client, editor):
    client.force_login(editor)
    response = client.post("/commenting/", {"site-status": "suspended"})
    assert response.status_code == 400
    assert "Write the notice readers will see" in response.content.decode()
    response = client.post("/commenting/", {"site-status": "slow"})
    assert response.status_code == 400 and "Slow mode needs" in response.content.decode()
    assert not CommentingPolicy.objects.exists()


def test_the_control_page_needs_a_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post("/commenting/", {"site-status": "closed"})
    assert response.status_code == 403
    assert not CommentingPolicy.objects.exists()


def test_editors_change_an_article_from_its_page(client, editor, alice, thread):
    url = thread.article.get_absolute_url()
    client.force_login(alice)
    assert "▸ change" not in page(client, url)
    client.force_login(editor)
    html = page(client, url)
    control = f"/commenting/article/{thread.article_id}/"
    assert "Commenting: open ▸ change" in html and control in html
    form = page(client, f"{control}?next={url}%23discussion")
    assert "What readers see now" in form and f'value="{url}#discussion"' in form
    prefix = f"article-{thread.article_id}"
    response = client.post(
        control,
        {f"{prefix}-status": "closed", f"{prefix}-notice": "Legal reasons", "next": f"{url}#discussion"},
    )
    assert response.status_code == 302 and response["Location"] == f"{url}#discussion"
    html = page(client, url)
    assert "Commenting is closed on this article. Legal reasons." in html
    assert "Commenting: closed ▸ change" in html
    # An outside address is not followed.
    response = client.post(control, {f"{prefix}-status": "open", "next": "https://evil.example/"})
    assert response["Location"] == f"{url}#discussion"


def test_the_admin_goes_through_the_service(client, django_user_model, article):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.org", "a-long-password-1")
    client.force_login(boss)
    assert client.get("/admin/discussions/commentingpolicy/").status_code == 200
    response = client.post(
        "/admin/discussions/commentingpolicy/add/",
        {"scope": "section", "section": article.section_id, "status": "premoderated", "reason": "Election"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = CommentingPolicy.objects.get()
    assert (policy.scope, policy.status, policy.set_by) == ("section", "premoderated", boss)
    entry = AuditEntry.objects.get(action="set_commenting_status")
    assert entry.reason == "Election"
    response = client.post(
        "/admin/discussions/commentingpolicy/",
        {"action": "make_closed", "_selected_action": [policy.pk]},
    )
    assert response.status_code == 302
    assert CommentingPolicy.objects.get().status == "closed"
    assert AuditEntry.objects.filter(action="set_commenting_status").count() == 2
    response = client.post(
        "/admin/discussions/commentingpolicy/add/", {"scope": "site", "status": "suspended"}
    )
    assert response.status_code == 200 and "Write the notice" in response.content.decode()
