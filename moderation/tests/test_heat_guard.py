"""The heat guard: a storm of abusive comments on one article tightens that article, and calm lifts it.

Comments go through discussions.actions.post_comment (real rules, model and trust); the guard
counts them after each commit, so posting runs inside `django_capture_on_commit_callbacks`.
Time is moved on by passing `now` (the guard's API takes it) or by ageing its timestamps.
"""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.roles import EDITORS, MODERATORS
from articles.tests.conftest import build_article
from discussions import services
from discussions.commenting import effective_status
from discussions.errors import CommentError
from discussions.models import Comment, CommentingPolicy, Thread
from discussions.tests.conftest import make_user
from moderation import heat
from moderation import services as moderation
from moderation.commenting import set_commenting_status
from moderation.models import AuditEntry, HeatGuard, ModerationRule
from moderation.selectors import held_queue
from notifications.models import Notification
from posting import actions

pytestmark = pytest.mark.django_db

ABUSE = [
    "{name}, you are an idiot and everyone here knows it",
    "Only a moron would write what {name} just wrote",
    "{name} is a scumbag, plain and simple",
    "What an imbecile {name} turned out to be",
]


@pytest.fixture(autouse=True)
def heat_settings(settings):
    settings.MODERATION_HEAT_WINDOW_MINUTES = 10
    settings.MODERATION_HEAT_MIN_COMMENTS = 6
    settings.MODERATION_HEAT_FLAGGED_SHARE = 0.5
    settings.MODERATION_HEAT_RATE_PER_MINUTE = 0  # the storms here are about abuse, not volume
    settings.MODERATION_HEAT_MODE = "premoderated"
    settings.MODERATION_HEAT_SLOW_MINUTES = 5
    settings.MODERATION_HEAT_CALM_MINUTES = 30
    return settings


@pytest.fixture
def stormy(db):
    return services.thread_for_article(build_article("Harbour strike turns ugly", section="world"))


@pytest.fixture
def quiet(db):
    return services.thread_for_article(build_article("Harbour museum reopens", section="world"))


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """post_comment, with the after-commit work (the guard's counting) run as in production."""

    def post(author, thread, body):
        with django_capture_on_commit_callbacks(execute=True):
            return actions.post_comment(author, thread, body)

    return post


def storm(post, thread, trolls: int = 4, each: int = 2) -> list[Comment]:
    """Abusive comments from several accounts: the rules hold (suspect words) or reject them."""
    posted = []
    for i in range(trolls):
        troll = make_user(f"troll{i}")
        for n in range(each):
            text = ABUSE[(i + n) % len(ABUSE)].format(name=f"Reader{i}x{n}")
            posted.append(post(troll, thread, text))
    return posted


def guard_of(thread) -> HeatGuard:
    return HeatGuard.objects.get(thread=thread)


def test_a_storm_on_one_article_tightens_it_alone_and_calm_lifts_it(
    stormy, quiet, post, client, django_capture_on_commit_callbacks, live_listener
):
    moderator, alice, bob = make_user("mod", role=MODERATORS), make_user("alice"), make_user("bob")
    url = stormy.article.get_absolute_url()
    assert client.get(url)["X-Page-Cache"] == "miss" and client.get(url)["X-Page-Cache"] == "hit"
    live = live_listener(heat.CHANNEL)
    civil = [post(alice, stormy, "The strike committee met the port authority this morning.")]
    abusive = storm(post, stormy)
    assert {c.status for c in abusive} <= {"held", "rejected"}

    guard = guard_of(stormy)
    assert guard.engaged and guard.mode == "premoderated" and guard.figures["trigger"] == "flagged"
    entry = AuditEntry.objects.get(action="heat_guard_on")
    assert (entry.actor, entry.actor_name, entry.target_type, entry.target_id) == (
        None,
        "system",
        "discussions.thread",
        str(stormy.pk),
    )
    assert entry.details["mode"] == "premoderated" and entry.details["window_minutes"] == 10
    # It switched on at the sixth comment (MIN_COMMENTS), five of them abusive.
    assert entry.details["held_share"] == pytest.approx(5 / 6, abs=0.001)
    assert entry.details["rate_per_minute"] == pytest.approx(0.6)
    assert "5 of 6 new comments in the last 10 minutes were held, rejected or reported (83%)" in entry.reason

    # Moderators are told (a notification and a live event); readers are not.
    alert = Notification.objects.get(recipient=moderator)
    assert alert.kind == "heat" and "Harbour strike turns ugly" in alert.text
    assert f"http://127.0.0.1:8000{url}" in alert.text and alert.url == f"http://127.0.0.1:8000{url}"
    assert not Notification.objects.filter(recipient__in=[alice, bob], kind="heat").exists()
    event = live.next()
    assert (event["type"], event["switch"], event["thread"], event["mode"]) == (
        "heat_guard",
        "on",
        stormy.pk,
        "premoderated",
    )

    # The article says so (its cached page was invalidated) and holds new comments, even civil ones.
    state = effective_status(stormy)
    assert state.open and state.premoderated and state.status == "premoderated"
    assert "This switched on automatically at" in state.reason
    assert "because many recent comments here were held for review or reported" in state.reason
    assert "very busy" not in state.reason  # it was not busy: it was flagged
    page = client.get(url)
    assert page["X-Page-Cache"] == "miss" and "held for review or reported" in page.content.decode()
    held = post(bob, stormy, "Could someone post the committee's statement?")
    assert held.status == "held" and "pre-moderated" in held.moderation.message
    # ...and those holds are the guard's own doing, so they do not keep it on.
    assert heat.window_figures(guard_of(stormy)).flagged == pytest.approx(8)

    # The rest of the site stays open: the other article in the same section publishes at once.
    assert not effective_status(quiet).premoderated and effective_status(quiet).status == "open"
    assert post(bob, quiet, "Lovely to see the museum open again.").status == "published"
    assert "switched on automatically" not in client.get(quiet.article.get_absolute_url()).content.decode()

    # Before the calm period is over, nothing changes; after it, the next look lifts the guard.
    before = {c.pk: c.status for c in Comment.objects.filter(thread=stormy)}
    assert effective_status(stormy, now=timezone.now() + timedelta(minutes=20)).premoderated
    later = timezone.now() + timedelta(minutes=31)
    with django_capture_on_commit_callbacks(execute=True):
        reopened = effective_status(stormy, now=later)
    assert reopened.status == "open" and not reopened.premoderated and reopened.reason == ""
    guard = guard_of(stormy)
    assert not guard.engaged and guard.released_at == later
    off = AuditEntry.objects.get(action="heat_guard_off")
    assert off.actor is None and off.target_id == str(stormy.pk) and off.details["held_share"] == 0
    assert off.details["mode"] == "premoderated" and off.reason == "calm for 30 minutes"
    assert "switched on automatically" not in client.get(url).content.decode()
    event = live.next()
    assert (event["switch"], event["thread"], event["held_share"]) == ("off", stormy.pk, 0)
    live.close()

    # Nothing was lost: every comment is still there, as it was; the held ones wait for a moderator.
    assert {c.pk: c.status for c in Comment.objects.filter(thread=stormy)} == before
    assert len(before) == len(civil) + len(abusive) + 1
    assert {d.comment_id for d in held_queue()} >= {held.pk} | {c.pk for c in abusive if c.status == "held"}
    assert AuditEntry.objects.filter(action__startswith="heat_guard").count() == 2


def test_slow_mode_instead_of_pre_moderation(stormy, post, heat_settings):
    heat_settings.MODERATION_HEAT_MODE = "slow"
    storm(post, stormy, trolls=6, each=1)
    state = effective_status(stormy)
    assert state.status == "slow" and state.slow_mode_minutes == 5 and not state.premoderated
    assert state.reason.startswith("Slow mode: one comment every 5 minutes. This switched on automatically")
    bob = make_user("bob")
    assert post(bob, stormy, "A calm question about the strike.").status == "published"
    with pytest.raises(CommentError) as refused:
        post(bob, stormy, "And a second one straight away.")
    assert refused.value.code == "slow_mode" and refused.value.status == 429
    assert "Try again in 5 minutes" in refused.value.message
    entry = AuditEntry.objects.get(action="heat_guard_on")
    assert entry.details["mode"] == "slow" and entry.details["slow_mode_minutes"] == 5


def test_the_editors_stricter_setting_wins_and_is_left_alone(stormy, post):
    editor = make_user("eddie", role=EDITORS, is_staff=True)
    set_commenting_status(editor, stormy.article, "premoderated", notice="Legal review of this story.")
    storm(post, stormy)
    assert guard_of(stormy).engaged
    state = effective_status(stormy)
    assert state.premoderated and state.level == "article"  # on a tie the editors' level speaks
    assert "Legal review of this story." in state.reason and "switched on automatically" not in state.reason
    effective_status(stormy, now=timezone.now() + timedelta(minutes=31))
    assert not guard_of(stormy).engaged
    policy = CommentingPolicy.objects.get(article=stormy.article)
    assert (policy.status, policy.notice, policy.set_by) == (
        "premoderated",
        "Legal review of this story.",
        editor,
    )
    assert effective_status(stormy).premoderated  # theirs still applies


def test_closed_beats_the_guard(stormy, post):
    storm(post, stormy)
    editor = make_user("eddie", role=EDITORS, is_staff=True)
    set_commenting_status(editor, stormy.article, "closed")
    state = effective_status(stormy)
    assert not state.open and state.status == "closed" and "switched on automatically" not in state.reason


def test_a_few_abusive_comments_are_not_a_storm(stormy, post, heat_settings):
    storm(post, stormy, trolls=2, each=2)  # 4 held or rejected: under MIN_COMMENTS (6)
    assert not guard_of(stormy).engaged and not effective_status(stormy).premoderated
    heat_settings.MODERATION_HEAT_MIN_COMMENTS = 5
    post(make_user("troll9"), stormy, "Another idiot take from the usual moron")
    assert guard_of(stormy).engaged


def test_civil_traffic_engages_only_through_the_rate(stormy, post, heat_settings):
    heat_settings.MODERATION_HEAT_WINDOW_MINUTES = 5
    heat_settings.MODERATION_HEAT_RATE_PER_MINUTE = 1.0  # 5 comments in 5 minutes
    readers = [make_user(f"reader{i}") for i in range(5)]
    for i, reader in enumerate(readers[:4]):
        post(reader, stormy, f"Point number {i}: the harbour needs the dredging budget restored.")
    assert not guard_of(stormy).engaged
    post(readers[4], stormy, "Point number 4: and the night shifts need better lighting.")
    guard = guard_of(stormy)
    assert guard.engaged and guard.figures["trigger"] == "rate" and guard.figures["held_share"] == 0
    # Readers are told the true reason: volume, not abuse.
    reason = effective_status(stormy).reason
    assert "because comments are arriving here very fast" in reason and "held for review" not in reason


def test_the_guard_can_be_switched_off_and_bad_settings_are_refused(stormy, post, heat_settings):
    heat_settings.MODERATION_HEAT_ENABLED = False
    storm(post, stormy)
    assert not guard_of(stormy).engaged and not AuditEntry.objects.filter(action="heat_guard_on").exists()
    heat_settings.MODERATION_HEAT_MODE = "closed"
    with pytest.raises(ImproperlyConfigured, match="MODERATION_HEAT_MODE must be"):
        heat.current_limits()
    heat_settings.MODERATION_HEAT_MODE = "slow"
    heat_settings.MODERATION_HEAT_FLAGGED_SHARE = 0
    with pytest.raises(ImproperlyConfigured, match="FLAGGED_SHARE"):
        heat.current_limits()


def test_the_window_slides(stormy):
    """Two buckets one window long: the previous one counts for the part still inside the window."""
    start = timezone.now()
    heat.feed(stormy.pk, posted=4, flagged=2, now=start)
    guard = guard_of(stormy)
    assert heat.window_figures(guard, start + timedelta(minutes=5)).comments == 4
    heat.feed(stormy.pk, posted=2, now=start + timedelta(minutes=12))
    figures = heat.window_figures(guard_of(stormy), start + timedelta(minutes=15))
    assert figures.comments == pytest.approx(2 + 4 * 0.5) and figures.flagged == pytest.approx(1)
    assert heat.window_figures(guard_of(stormy), start + timedelta(minutes=31)).comments == 0


def test_reports_and_takedowns_count_once_per_comment(stormy, post, django_capture_on_commit_callbacks):
    moderator, author = make_user("mod", role=MODERATORS), make_user("author")
    published = [post(author, stormy, f"Opinion {i} on the strike and the port budget.") for i in range(3)]
    readers = [make_user(f"reader{i}") for i in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        for reader in readers:  # two reports of one comment: flagged once
            moderation.report(reader, published[0], "abuse")
        moderation.remove(moderator, published[0], "Abusive.")  # already flagged by its report
        moderation.remove(moderator, published[1], "Off-topic insults.")  # flagged now
    figures = heat.window_figures(guard_of(stormy))
    assert (figures.comments, figures.flagged) == (3, 2)


def test_the_state_costs_no_extra_query(stormy, post, django_assert_num_queries):
    storm(post, stormy)
    effective_status(stormy)  # builds this process's snapshot of the commenting levels
    with django_assert_num_queries(0):  # the levels from the snapshot, the guard's state from the cache
        assert effective_status(stormy).premoderated


def test_the_sweep_lifts_calm_guards_and_status_lists_engaged_ones(
    stormy, post, django_capture_on_commit_callbacks
):
    storm(post, stormy)
    out = StringIO()
    call_command("heat_guard", "--status", stdout=out)
    assert "Harbour strike turns ugly" in out.getvalue() and "pre-moderation since" in out.getvalue()
    call_command("heat_guard", "--sweep", stdout=out)
    assert guard_of(stormy).engaged  # not calm yet
    # Forty minutes pass with no comment (nobody requests the page: it is served from the cache).
    ago = timedelta(minutes=40)
    guard = guard_of(stormy)
    HeatGuard.objects.filter(pk=guard.pk).update(
        window_start=guard.window_start - ago,
        engaged_at=guard.engaged_at - ago,
        last_heated_at=guard.last_heated_at - ago,
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("heat_guard", "--sweep", stdout=out)
    assert (
        "released: Harbour strike turns ugly" in out.getvalue()
        and "1 heat guard(s) released." in out.getvalue()
    )
    assert not guard_of(stormy).engaged and AuditEntry.objects.filter(action="heat_guard_off").count() == 1
    assert effective_status(stormy).status == "open"
    out = StringIO()
    call_command("heat_guard", stdout=out)
    assert out.getvalue().strip() == "No heat guard is engaged."


@pytest.mark.django_db(transaction=True)
def test_a_simultaneous_storm_is_counted_exactly_and_engages_once(stormy):
    """Trolls posting at the same moment, each in its own connection, as behind several app workers."""
    ModerationRule.objects.get_or_create(phrase="harbour troll", defaults={"kind": "suspect"})
    trolls = [make_user(f"troll{i}") for i in range(6)]
    errors: list[BaseException] = []

    def write(troll, i):
        try:
            for n in range(3):
                actions.post_comment(troll, stormy, f"Harbour troll number {i}-{n} says you are all wrong")
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=write, args=(troll, i)) for i, troll in enumerate(trolls)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    guard = guard_of(stormy)
    assert (guard.posts, guard.flagged) == (18, 18) and guard.engaged
    assert AuditEntry.objects.filter(action="heat_guard_on").count() == 1
    assert Comment.objects.filter(thread=stormy, status="held").count() == 18


def test_an_embedded_discussion_is_guarded_too(django_capture_on_commit_callbacks):
    thread = Thread.objects.create(url="https://example.org/story", title="Embedded story")
    make_user("mod", role=MODERATORS)
    with django_capture_on_commit_callbacks(execute=True):
        heat.feed(thread.pk, posted=6, flagged=4)
    state = effective_status(thread)
    assert state.premoderated and "held for review or reported" in state.reason
    alert = Notification.objects.get(kind="heat").text
    assert alert.startswith("“Embedded story” switched itself to pre-moderation: 4 of 6 new comments")
    assert alert.endswith("It reopens after 30 calm minutes. https://example.org/story")
