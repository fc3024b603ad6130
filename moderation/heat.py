"""The heat guard: a discussion that turns abusive or frantic tightens itself, and reopens once calm.

Per discussion (thread), over the last ``MODERATION_HEAT_WINDOW_MINUTES``, the guard counts new
comments and *flagged* ones: held or rejected by the checks for what they say (not for the
thread's own pre-moderation, the author's newness, or a check that failed), reported by a reader
(once per comment), or rejected or removed by a moderator when nothing had flagged them before.
Only comments posted inside the window count.

When, over at least ``MIN_COMMENTS``, the flagged share reaches ``FLAGGED_SHARE``, or the posting
rate reaches ``RATE_PER_MINUTE``, the guard *engages*: the discussion is pre-moderated or slow
(``MODE``) as if a thread-level row said so (discussions.commenting adds it as a virtual level, so
stricter settings of the editors still win, and their rows are never edited), readers see a short
notice, moderators get a notification and a live event on the ``moderation`` channel, the audit log
gets ``heat_guard_on`` (system) and the article page's cache is invalidated.  It *releases*
(``heat_guard_off``) once the window has stayed under the thresholds for ``CALM_MINUTES``: lazily,
when the thread's state is next read, and from ``manage.py heat_guard --sweep`` (cron), which also
reaches pages served from the cache.  Nothing is deleted: held comments stay in the queue.

Cost per comment: the window is a sliding-window counter on the guard's row (two buckets one window
long; the estimate weights the previous bucket by the part of it still inside the window), so
counting a comment is one locked read and one write of that row, never a count over the thread.
It runs after the comment's transaction commits (`observe`), so posting takes no extra lock and a
failure here loses nothing.

Reading the state costs no query: engaged guards are written to the shared cache (the one the page
cache and rate limits use) on every change and every comment counted while engaged, and removed on
release.  Should the cache drop an entry, the discussion looks open until its next comment or the
next sweep, which writes every engaged guard back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import formats, timezone

from discussions.commenting import invalidate_pages
from discussions.live import broker
from discussions.models import Comment, CommentingPolicy, Thread
from moderation import audit, conf
from moderation.decisions import Action, Trigger
from moderation.models import HeatGuard, ModerationDecision, Report
from notifications import services as notifications
from notifications.display import absolute
from notifications.models import Kind as NotificationKind

Mode = HeatGuard.Mode
CHANNEL = "moderation"  # the live channel moderators' pages listen to
ALERT_LIMIT = 50  # moderators notified of one switch
# Holds that say nothing about the text: the thread's own pre-moderation and the author's newness.
NOT_ABOUT_THE_TEXT = frozenset({"commenting", "trust"})


# --- Thresholds and figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """The configured thresholds (moderation.conf), read at call time."""

    enabled: bool
    window_minutes: int
    min_comments: int
    flagged_share: float
    rate_per_minute: float
    mode: str
    slow_minutes: int
    calm_minutes: int

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    @property
    def calm(self) -> timedelta:
        return timedelta(minutes=self.calm_minutes)


def current_limits() -> Limits:
    """The heat guard's settings; a setting that cannot work is a configuration error, said plainly."""
    found = Limits(
        enabled=bool(conf.get("MODERATION_HEAT_ENABLED")),
        window_minutes=int(conf.get("MODERATION_HEAT_WINDOW_MINUTES")),
        min_comments=int(conf.get("MODERATION_HEAT_MIN_COMMENTS")),
        flagged_share=float(conf.get("MODERATION_HEAT_FLAGGED_SHARE")),
        rate_per_minute=float(conf.get("MODERATION_HEAT_RATE_PER_MINUTE")),
        mode=str(conf.get("MODERATION_HEAT_MODE")),
        slow_minutes=int(conf.get("MODERATION_HEAT_SLOW_MINUTES")),
        calm_minutes=int(conf.get("MODERATION_HEAT_CALM_MINUTES")),
    )
    if found.mode not in Mode.values:
        raise ImproperlyConfigured(
            f"MODERATION_HEAT_MODE must be “premoderated” or “slow”, not “{found.mode}”."
        )
    if min(found.window_minutes, found.calm_minutes, found.slow_minutes, found.min_comments) < 1:
        raise ImproperlyConfigured(
            "MODERATION_HEAT_WINDOW_MINUTES, _CALM_MINUTES, _SLOW_MINUTES and _MIN_COMMENTS "
            "must be at least 1."
        )
    if not 0 < found.flagged_share <= 1:
        raise ImproperlyConfigured("MODERATION_HEAT_FLAGGED_SHARE must be above 0 and at most 1 (0.5: half).")
    return found


@dataclass(frozen=True)
class Figures:
    """A discussion's last window: new comments and flagged ones (estimates, so maybe fractional)."""

    comments: float
    flagged: float
    window_minutes: int

    @property
    def flagged_share(self) -> float:
        return min(1.0, self.flagged / self.comments) if self.comments else 0.0

    @property
    def rate_per_minute(self) -> float:
        return self.comments / self.window_minutes

    def trigger(self, limits: Limits) -> str:
        """The threshold the window crosses: "flagged", "rate", or "" when it is calm."""
        if self.comments >= limits.min_comments and self.flagged_share >= limits.flagged_share:
            return "flagged"
        if limits.rate_per_minute and self.rate_per_minute >= limits.rate_per_minute:
            return "rate"
        return ""

    def details(self) -> dict[str, float | int]:
        """For the audit log and the guard's row (the dashboard reads these names)."""
        return {
            "held_share": round(self.flagged_share, 3),
            "rate_per_minute": round(self.rate_per_minute, 2),
            "window_minutes": self.window_minutes,
            "comments": round(self.comments, 1),
            "flagged": round(self.flagged, 1),
        }

    def describe(self) -> str:
        return (
            f"{self.flagged:.0f} of {self.comments:.0f} new comments in the last "
            f"{self.window_minutes} minutes were held, rejected or reported ({self.flagged_share:.0%}), "
            f"{self.rate_per_minute:.1f} a minute"
        )


def _rolled(guard: HeatGuard, now: datetime, window: timedelta) -> tuple[datetime, int, int, int, int]:
    """The buckets moved on to `now`: the current one's start, comments and flagged, the previous one's."""
    start = guard.window_start
    if start is None or now >= start + 2 * window:
        return now, 0, 0, 0, 0
    if now >= start + window:
        return start + window, 0, 0, guard.posts, guard.flagged
    return start, guard.posts, guard.flagged, guard.previous_posts, guard.previous_flagged


def _estimate(buckets: tuple[datetime, int, int, int, int], now: datetime, limits: Limits) -> Figures:
    start, posts, flagged, previous_posts, previous_flagged = buckets
    still_inside = min(1.0, max(0.0, 1.0 - (now - start) / limits.window))
    return Figures(
        posts + previous_posts * still_inside,
        flagged + previous_flagged * still_inside,
        limits.window_minutes,
    )


def window_figures(guard: HeatGuard, now: datetime | None = None, limits: Limits | None = None) -> Figures:
    """The guard's figures over the window ending at `now`, without changing it."""
    now = now or timezone.now()
    limits = limits or current_limits()
    return _estimate(_rolled(guard, now, limits.window), now, limits)


# --- Counting comments (called by posting.aftermath and moderation.services) ----------------------


def flags(steps: list[dict]) -> bool:
    """Whether the checks held or rejected a comment for what it says.

    Holds for the thread's own pre-moderation (else an engaged guard would keep itself on) or the
    author's newness, and holds because a check failed (an error in its details), do not count.
    """
    return any(
        s["outcome"] in (Action.HOLD, Action.REJECT)
        and s["step"] not in NOT_ABOUT_THE_TEXT
        and "error" not in s.get("details", {})
        for s in steps
    )


def observe(thread_id: int, *, posted: int = 0, flagged: int = 0, now: datetime | None = None) -> None:
    """Count comments into the thread's window once the current transaction commits."""
    callback = partial(feed, thread_id, posted=posted, flagged=flagged, now=now or timezone.now())
    transaction.on_commit(callback, robust=True)


def comment_posted(comment: Comment, steps: list[dict]) -> None:
    """A new comment went through the checks (`steps`: its decision's)."""
    observe(comment.thread_id, posted=1, flagged=int(flags(steps)))


def comment_reported(comment: Comment, now: datetime | None = None) -> None:
    """A reader reported `comment`: flagged on its first report, unless the checks had flagged it."""
    now = now or timezone.now()
    if not _in_window(comment, now) or Report.objects.filter(comment=comment).count() != 1:
        return
    if not _flagged_when_posted(comment):
        observe(comment.thread_id, flagged=1, now=now)


def comment_taken_down(comment: Comment, now: datetime | None = None) -> None:
    """A moderator rejected or removed `comment`: flagged, unless the checks or a report already had."""
    now = now or timezone.now()
    if not _in_window(comment, now) or Report.objects.filter(comment=comment).exists():
        return
    if not _flagged_when_posted(comment):
        observe(comment.thread_id, flagged=1, now=now)


def _in_window(comment: Comment, now: datetime) -> bool:
    return comment.created_at >= now - current_limits().window


def _flagged_when_posted(comment: Comment) -> bool:
    steps = (
        ModerationDecision.objects.filter(comment=comment, trigger=Trigger.POST)
        .values_list("steps", flat=True)
        .first()
    )
    return flags(steps) if steps else False


def feed(thread_id: int, *, posted: int = 0, flagged: int = 0, now: datetime | None = None) -> HeatGuard:
    """Count comments into the window at `now`, then engage the guard if the window crosses a threshold."""
    now = now or timezone.now()
    limits = current_limits()
    with transaction.atomic():
        guard, _ = HeatGuard.objects.select_for_update().get_or_create(thread_id=thread_id)
        start, posts, flagged_before, previous_posts, previous_flagged = _rolled(guard, now, limits.window)
        buckets = (start, posts + posted, flagged_before + flagged, previous_posts, previous_flagged)
        guard.window_start, guard.posts, guard.flagged, guard.previous_posts, guard.previous_flagged = buckets
        figures = _estimate(buckets, now, limits)
        trigger = figures.trigger(limits)
        if trigger and guard.engaged:
            guard.last_heated_at = max(now, guard.last_heated_at or now)
        elif trigger and limits.enabled:
            _engage(guard, figures, trigger, limits, now)
        guard.save()
        if guard.engaged:  # written back on each comment, in case the cache dropped it
            transaction.on_commit(partial(_remember, guard))
    return guard


# --- Switching ----------------------------------------------------------------------------------


def _engage(guard: HeatGuard, figures: Figures, trigger: str, limits: Limits, now: datetime) -> None:
    guard.engaged = True
    guard.mode = limits.mode
    guard.slow_mode_minutes = limits.slow_minutes if limits.mode == Mode.SLOW else None
    guard.engaged_at = guard.last_heated_at = now
    guard.released_at = None
    guard.figures = {**figures.details(), "trigger": trigger}
    thread = Thread.objects.select_related("article").get(pk=guard.thread_id)
    reason = figures.describe()
    audit.record(
        None,
        "heat_guard_on",
        thread,
        reason,
        mode=guard.mode,
        trigger=trigger,
        slow_mode_minutes=guard.slow_mode_minutes,
        **figures.details(),
    )
    _alert_moderators(thread, guard, reason, limits)
    transaction.on_commit(partial(_announce, thread, guard, "on"))


def release_if_calm(thread_id: int, now: datetime | None = None) -> HeatGuard | None:
    """Lift the thread's guard if it has been calm for the calm period; the guard released, or None."""
    now = now or timezone.now()
    limits = current_limits()
    with transaction.atomic():
        guard = (
            HeatGuard.objects.select_for_update()
            .filter(thread_id=thread_id, engaged=True, last_heated_at__lte=now - limits.calm)
            .first()
        )
        if guard is None:
            return None
        figures = window_figures(guard, now, limits)
        if figures.trigger(limits):  # no new comment since, but the window still holds the storm
            guard.last_heated_at = now
            guard.save(update_fields=["last_heated_at"])
            transaction.on_commit(partial(_remember, guard))
            return None
        buckets = _rolled(guard, now, limits.window)
        guard.window_start, guard.posts, guard.flagged, guard.previous_posts, guard.previous_flagged = buckets
        guard.engaged, guard.released_at, guard.figures = False, now, figures.details()
        guard.save()
        thread = Thread.objects.select_related("article").get(pk=thread_id)
        audit.record(
            None,
            "heat_guard_off",
            thread,
            f"calm for {limits.calm_minutes} minutes",
            mode=guard.mode,
            engaged_minutes=round((now - (guard.engaged_at or now)).total_seconds() / 60),
            **figures.details(),
        )
        transaction.on_commit(partial(_announce, thread, guard, "off"))
    return guard


def sweep(now: datetime | None = None) -> list[HeatGuard]:
    """Release every guard calm for long enough, and write the others back to the cache (cron)."""
    now = now or timezone.now()
    due = HeatGuard.objects.filter(engaged=True, last_heated_at__lte=now - current_limits().calm)
    released = (
        release_if_calm(thread_id, now) for thread_id in list(due.values_list("thread_id", flat=True))
    )
    done = [guard for guard in released if guard is not None]
    for guard in HeatGuard.objects.filter(engaged=True):
        _remember(guard)
    return done


def engaged_guards():  # type: ignore[no-untyped-def]
    """Engaged guards, longest engaged first, with their threads and articles."""
    return HeatGuard.objects.filter(engaged=True).select_related("thread__article").order_by("engaged_at")


def _where(thread: Thread) -> str:
    if thread.article is not None:
        return thread.article.get_absolute_url()
    return thread.url or thread.get_absolute_url()


def _alert_moderators(thread: Thread, guard: HeatGuard, reason: str, limits: Limits) -> None:
    """A notification (and email) to each moderator, at most ALERT_LIMIT of them."""
    moderators = (
        get_user_model()
        .objects.with_perm("moderation.moderate_comments", is_active=True)
        .order_by("pk")[:ALERT_LIMIT]
    )
    link = absolute(_where(thread))  # absolute, so that it works in an email
    message = (
        f"“{thread}” switched itself to {guard.get_mode_display().lower()}: {reason}. "
        f"It reopens after {limits.calm_minutes} calm minutes. {link}"
    )
    key = f"heat:{thread.pk}:{guard.engaged_at.isoformat() if guard.engaged_at else ''}"
    notifications.notify(NotificationKind.HEAT, moderators, key=key, text=message, url=link)


def _announce(thread: Thread, guard: HeatGuard, switch: str) -> None:
    """After a switch commits: the cached state, the thread's cached pages, and moderators' live pages."""
    _remember(guard)
    if thread.article_id:
        invalidate_pages(CommentingPolicy.Scope.ARTICLE, thread.article)
    else:
        invalidate_pages(CommentingPolicy.Scope.THREAD, thread)
    event = {"type": "heat_guard", "switch": switch, "thread": thread.pk, "title": str(thread)}
    broker().publish(CHANNEL, {**event, "url": _where(thread), "mode": guard.mode, **guard.figures})


# --- Reading the state (discussions.commenting) ------------------------------------------------------


def _cache_key(thread_id: int) -> str:
    return f"moderation:heat:{thread_id}"


def _state(guard: HeatGuard) -> dict:
    if not guard.engaged:
        return {}
    return {
        "mode": guard.mode,
        "slow_mode_minutes": guard.slow_mode_minutes,
        "engaged_at": guard.engaged_at,
        "last_heated_at": guard.last_heated_at,
        "trigger": (guard.figures or {}).get("trigger", ""),
    }


def _remember(guard: HeatGuard) -> None:
    """Write the guard's state to the cache (see the module docstring): kept while engaged."""
    if guard.engaged:
        cache.set(_cache_key(guard.thread_id), _state(guard), None)
    else:
        cache.delete(_cache_key(guard.thread_id))


def _reload(thread_id: int) -> dict:
    """The state from the database, written back to the cache."""
    guard = HeatGuard.objects.filter(thread_id=thread_id).first()
    if guard is None:
        return {}
    _remember(guard)
    return _state(guard)


# Why the guard engaged, in readers' words (Figures.trigger names it).
TRIGGER_REASONS = {
    "flagged": "many recent comments here were held for review or reported",
    "rate": "comments are arriving here very fast",
}


def notice(engaged_at: datetime, trigger: str = "") -> str:
    """What readers are told, after the usual sentence on pre-moderation or slow mode: when it switched
    on, and the true reason (a storm of flagged comments is not "very busy")."""
    since = formats.time_format(timezone.localtime(engaged_at), "H:i")
    why = TRIGGER_REASONS.get(trigger, "this discussion is heating up")
    return f"This switched on automatically at {since} because {why}; it lifts itself once things calm down."


def guard_level(sender: object, thread: Thread, now: datetime, **kwargs: object) -> CommentingPolicy | None:
    """Receiver of discussions.commenting.extra_levels (connected in moderation.apps)."""
    return commenting_level(thread, now)


def commenting_level(thread: Thread, now: datetime) -> CommentingPolicy | None:
    """The thread's engaged guard as a virtual thread-level commenting row (never saved), or None.

    A guard calm for long enough is released first; otherwise no query (the state is in the cache).
    """
    if not thread.pk:
        return None
    state = cache.get(_cache_key(thread.pk))
    if state and now - state["last_heated_at"] >= current_limits().calm:
        state = {} if release_if_calm(thread.pk, now) else _reload(thread.pk)
    if not state:
        return None
    slow = state["mode"] == Mode.SLOW
    return CommentingPolicy(
        scope=CommentingPolicy.Scope.THREAD,
        thread=thread,
        status=CommentingPolicy.Status.SLOW if slow else CommentingPolicy.Status.PREMODERATED,
        slow_mode_minutes=state["slow_mode_minutes"] if slow else None,
        notice=notice(state["engaged_at"], state.get("trigger", "")),
    )
