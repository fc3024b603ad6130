"""Commenting status (open, slow mode, pre-moderated, closed, suspended) site-wide, per section, per article.

Each level may have one `CommentingPolicy` row; a thread's effective state combines its
site, section and article rows (or the site and thread rows of an embedded story):

* the most restrictive status wins: suspended > closed (auto-close counts as closed) >
  pre-moderated > slow mode > open; on a tie the broadest level speaks (site, then
  section, then article), so readers are told where the restriction comes from;
* pre-moderation and slow mode are not blocking, so both apply when both are set at
  different levels (the combination is more restrictive than either), and slow mode uses
  the longest interval set;
* auto-close: the shortest `auto_close_days` of the levels, counted from the article's
  publication (an embedded thread's creation), checked at request time;
* `Article.comment_policy == "closed"` (the article form's switch) counts as the article
  level being closed; `set_commenting_status` keeps it in step.

Nothing here touches a comment: closing or suspending hides the comment box, never the
comments, and reopening restores everything.  Every change (moderation.commenting.set_commenting_status)
is authorised, written to the audit log and invalidates the cached pages that show it (`invalidate_pages`).

Other apps add virtual levels through the `extra_levels` signal (moderation's heat guard does, from its
AppConfig.ready): this app imports nothing from moderation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from accounts.roles import EDITORS, MODERATORS
from agora import snapshots
from agora.page_cache import bump_generation
from api.read_cache import thread_scope
from articles.models import Article, Section
from articles.views import article_page_scope
from discussions.models import Comment, CommentingPolicy, Thread

Status = CommentingPolicy.Status
Scope = CommentingPolicy.Scope

AUDIT_ACTION = "set_commenting_status"
POLICIES_SNAPSHOT = "commenting-policies"
# Broadest first: on a tie between levels, the broadest one's message is shown.
LEVEL_ORDER: dict[str, int] = {Scope.SITE: 0, Scope.SECTION: 1, Scope.ARTICLE: 2, Scope.THREAD: 3}
MAX_SLOW_MODE_MINUTES = 24 * 60
MAX_AUTO_CLOSE_DAYS = 3650
READABLE = "Existing comments stay readable."


# Sent with `thread` and `now` whenever a thread's state is read; a receiver returns an unsaved
# thread-level CommentingPolicy to add as a virtual level (only ever more restrictive), or None.
extra_levels = Signal()


@dataclass(frozen=True)
class CommentingState:
    """The effective commenting state of a thread; `effective_status` computes it."""

    open: bool
    reason: str = ""  # why (and the editors' notice): shown in place of, or above, the comment box
    status: str = "open"  # CommentingPolicy.Status: open, slow, premoderated, closed, suspended
    premoderated: bool = False  # new comments are stored HELD for review
    slow_mode_minutes: int | None = None  # one comment per reader per N minutes in this thread
    notice: str = ""  # the editors' message of the deciding level
    level: str = ""  # the level that decided: site, section, article, thread, or auto (auto-close)
    closes_at: datetime | None = None  # when auto-close takes (or took) effect

    @property
    def label(self) -> str:
        """Short status for editors' controls: "open", "pre-moderated, slow mode (5 min)", "closed"."""
        if not self.open:
            return "suspended" if self.status == "suspended" else "closed"
        parts = ["pre-moderated"] if self.premoderated else []
        if self.slow_mode_minutes:
            parts.append(f"slow mode ({self.slow_mode_minutes} min)")
        return ", ".join(parts) or "open"


class CommentingPermissionDenied(PermissionDenied):
    """The actor may not change commenting status (views turn it into a 403)."""


# --- Reading the effective state ----------------------------------------------------------------


@dataclass(frozen=True)
class Governing:
    """Every process's copy of the site's and sections' rows, and which articles and threads have one."""

    site: tuple[CommentingPolicy, ...]
    sections: dict[int, tuple[CommentingPolicy, ...]]
    articles: frozenset[int]  # ids of articles with a row of their own
    threads: frozenset[int]


def _build_governing() -> Governing:
    broad = CommentingPolicy.objects.filter(scope__in=[Scope.SITE, Scope.SECTION]).select_related("section")
    sections: dict[int, list[CommentingPolicy]] = {}
    site = []
    for policy in broad:
        if policy.scope == Scope.SITE:
            site.append(policy)
        elif policy.section_id is not None:
            sections.setdefault(policy.section_id, []).append(policy)
    own = CommentingPolicy.objects.filter(scope__in=[Scope.ARTICLE, Scope.THREAD])
    articles, threads = set(), set()
    for article_id, thread_id in own.values_list("article_id", "thread_id"):
        if article_id is not None:
            articles.add(article_id)
        if thread_id is not None:
            threads.add(thread_id)
    return Governing(
        tuple(site), {k: tuple(v) for k, v in sections.items()}, frozenset(articles), frozenset(threads)
    )


def section_saved(sender: object, instance: Section, **kwargs: object) -> None:
    """A section's name is part of its level's message: a section with a level of its own refreshes
    the snapshot when saved (a rename); others, created by every ingest, leave it be."""
    if CommentingPolicy.objects.filter(scope=Scope.SECTION, section_id=instance.pk).exists():
        snapshots.invalidate(POLICIES_SNAPSHOT)


def policies_for(thread: Thread) -> list[CommentingPolicy]:
    """The rows that govern a thread (site, its section, its article or itself), broadest first.

    The site's and sections' rows come from this process's snapshot (POLICIES_SNAPSHOT, bumped by
    every saved or deleted row, discussions.apps); the database is asked only for a thread or an
    article that has a row of its own, which the snapshot names.
    """
    governing = snapshots.snapshot(POLICIES_SNAPSHOT, _build_governing)
    article = thread.article if thread.article_id else None
    found = list(governing.site)
    own = Q()
    if article is not None:
        found += governing.sections.get(article.section_id, ())
        if article.pk in governing.articles:
            own |= Q(scope=Scope.ARTICLE, article_id=article.pk)
    if thread.pk and thread.pk in governing.threads:
        own |= Q(scope=Scope.THREAD, thread_id=thread.pk)
    if own:
        found += CommentingPolicy.objects.filter(own)
    return sorted(found, key=lambda policy: LEVEL_ORDER[policy.scope])


def effective_status(thread: Thread, now: datetime | None = None) -> CommentingState:
    """Whether new comments are accepted on `thread`, how, and why, all levels combined.

    An engaged heat guard (moderation.heat, through `extra_levels`) takes part as a virtual thread
    level, never saved: it only adds its own restriction, so a stricter level of the editors still
    wins and speaks.
    """
    now = now or timezone.now()
    policies = policies_for(thread)
    for _receiver, level in extra_levels.send(sender=Thread, thread=thread, now=now):
        if isinstance(level, CommentingPolicy):
            policies.append(level)
    return resolve(thread, policies, now)


def resolve(thread: Thread, policies: list[CommentingPolicy], now: datetime) -> CommentingState:
    """The effective state from the governing rows (see the module docstring for the rules)."""
    article = thread.article if thread.article_id else None
    by_status: dict[str, list[CommentingPolicy]] = {}
    for policy in policies:
        by_status.setdefault(policy.status, []).append(policy)

    days = [p.auto_close_days for p in policies if p.auto_close_days]
    started = article.published_at if article is not None else thread.created_at
    closes_at = started + timedelta(days=min(days)) if days and started else None

    if Status.SUSPENDED in by_status:
        policy = by_status[Status.SUSPENDED][0]
        # The editors' notice as they wrote it (it says why, as the seed page's did); without one, ours.
        said = (
            _sentence(policy.notice) if policy.notice.strip() else f"Commenting is suspended {_on(policy)}."
        )
        return _blocked(Status.SUSPENDED, policy.scope, f"{said} {READABLE}", policy.notice, closes_at)

    if Status.CLOSED in by_status:
        policy = by_status[Status.CLOSED][0]
        said = _with_notice(f"Commenting is closed {_on(policy)}.", policy.notice)
        return _blocked(Status.CLOSED, policy.scope, f"{said} {READABLE}", policy.notice, closes_at)
    if article is not None and article.comment_policy == Article.CommentPolicy.CLOSED:
        return _blocked(Status.CLOSED, Scope.ARTICLE, f"Commenting is closed on this article. {READABLE}")

    if closes_at is not None and now >= closes_at:
        n = min(days)
        said = (
            f"This article closed for comments {n} day{'s' if n != 1 else ''} after publication."
            if article is not None
            else f"This discussion closed for comments {n} day{'s' if n != 1 else ''} after it opened."
        )
        return _blocked(Status.CLOSED, "auto", f"{said} {READABLE}", "", closes_at)

    reasons, status, level, notice = [], Status.OPEN, "", ""
    premoderating = by_status.get(Status.PREMODERATED, [])
    if premoderating:
        policy = premoderating[0]
        status, level, notice = Status.PREMODERATED, policy.scope, policy.notice
        reasons.append(
            _with_notice(
                f"Comments {_on(policy)} are pre-moderated: each appears once a moderator has approved it.",
                policy.notice,
            )
        )
    slow = by_status.get(Status.SLOW, [])
    minutes = max((p.slow_mode_minutes or 0 for p in slow), default=0) or None
    if minutes:
        policy = next(p for p in slow if p.slow_mode_minutes == minutes)
        if not premoderating:
            status, level, notice = Status.SLOW, policy.scope, policy.notice
        reasons.append(_with_notice(f"Slow mode: one comment every {_minutes(minutes)}.", policy.notice))
    return CommentingState(
        True,
        " ".join(reasons),
        status=status,
        premoderated=bool(premoderating),
        slow_mode_minutes=minutes,
        notice=notice,
        level=level,
        closes_at=closes_at,
    )


def _blocked(
    status: str, level: str, reason: str, notice: str = "", closes_at: datetime | None = None
) -> CommentingState:
    return CommentingState(False, reason, status=status, notice=notice, level=level, closes_at=closes_at)


def _on(policy: CommentingPolicy) -> str:
    """Where a restriction applies, in readers' words: across the site, on Politics, on this article."""
    if policy.scope == Scope.SITE:
        return "across the site"
    if policy.scope == Scope.SECTION and policy.section is not None:
        return f"on {policy.section.name}"
    if policy.scope == Scope.ARTICLE:
        return "on this article"
    return "on this discussion"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text[-1:] in ".!?…”\"'" else f"{text}."


def _with_notice(said: str, notice: str) -> str:
    return f"{said} {_sentence(notice)}" if notice.strip() else said


def _minutes(n: int) -> str:
    return f"{n} minute{'s' if n != 1 else ''}"


# --- Slow mode -------------------------------------------------------------------------------------


def slow_mode_wait(
    thread: Thread, user, state: CommentingState | None = None, now: datetime | None = None
) -> int:
    """Seconds `user` must still wait before commenting again on `thread` (0: go ahead).

    Every comment the user left in the thread counts, whatever became of it, so deleting a
    comment does not reset the clock.
    """
    now = now or timezone.now()
    state = state or effective_status(thread, now)
    if not state.slow_mode_minutes or user is None or not user.is_authenticated or not thread.pk:
        return 0
    last = (
        Comment.objects.filter(thread=thread, author=user)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return 0
    remaining = (last + timedelta(minutes=state.slow_mode_minutes) - now).total_seconds()
    return max(0, ceil(remaining))


def slow_mode_message(state: CommentingState, wait_seconds: int) -> str:
    minutes = max(1, ceil(wait_seconds / 60))
    return (
        f"Slow mode: one comment every {_minutes(state.slow_mode_minutes or 0)} here. "
        f"Try again in {_minutes(minutes)}."
    )


# --- Changing it ----------------------------------------------------------------------------------------


def can_set_commenting(user) -> bool:
    """Editors, moderators and superusers (or anyone granted the model's change permission)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_can_set_commenting", None)
    if cached is None:
        cached = user.groups.filter(name__in=[EDITORS, MODERATORS]).exists() or user.has_perm(
            "discussions.change_commentingpolicy"
        )
        user._can_set_commenting = cached
    return cached


def add_settings_errors(form, data: dict) -> None:  # type: ignore[no-untyped-def]
    """Put validate_settings' problems with a form's cleaned `data` on the form's fields."""
    try:
        notice = data.get("notice") or ""
        validate_settings(data["status"], notice, data.get("slow_mode_minutes"), data.get("auto_close_days"))
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)


def validate_settings(
    status: str, notice: str = "", slow_mode_minutes: int | None = None, auto_close_days: int | None = None
) -> None:
    """Raise ValidationError (per field) for settings that cannot be stored."""
    errors: dict[str, str] = {}
    if status not in Status.values:
        errors["status"] = f"Unknown status {status!r}."
    if status == Status.SLOW and not slow_mode_minutes:
        errors["slow_mode_minutes"] = "Slow mode needs the number of minutes between a reader's comments."
    if slow_mode_minutes is not None and not 1 <= slow_mode_minutes <= MAX_SLOW_MODE_MINUTES:
        errors["slow_mode_minutes"] = f"Between 1 and {MAX_SLOW_MODE_MINUTES} minutes."
    if auto_close_days is not None and not 1 <= auto_close_days <= MAX_AUTO_CLOSE_DAYS:
        errors["auto_close_days"] = f"Between 1 and {MAX_AUTO_CLOSE_DAYS} days, or blank for never."
    if status == Status.SUSPENDED and not notice.strip():
        errors["notice"] = "Write the notice readers will see in place of the comment box."
    if errors:
        raise ValidationError(errors)


def scope_of(target: models.Model | None) -> tuple[str, dict[str, models.Model]]:
    """The scope and lookup of a target: None (site), a Section, an Article or a Thread.

    A thread that belongs to an article is governed at the article level.
    """
    if target is None:
        return Scope.SITE, {}
    if isinstance(target, Thread) and target.article_id:
        target = target.article
    if isinstance(target, Section):
        return Scope.SECTION, {"section": target}
    if isinstance(target, Article):
        return Scope.ARTICLE, {"article": target}
    if isinstance(target, Thread):
        return Scope.THREAD, {"thread": target}
    raise TypeError(f"Commenting status is set site-wide or on a section, article or thread, not {target!r}.")


def policy_for(target: models.Model | None) -> CommentingPolicy | None:
    """The row stored for exactly this level (not the effective state), if any."""
    scope, lookup = scope_of(target)
    return CommentingPolicy.objects.filter(scope=scope, **lookup).first()


def snapshot(policy: CommentingPolicy) -> dict[str, object]:
    """The settings of a level (for the audit log, and as a form's initial values)."""
    return {
        "status": policy.status,
        "notice": policy.notice,
        "slow_mode_minutes": policy.slow_mode_minutes,
        "auto_close_days": policy.auto_close_days,
    }


def invalidate_pages(scope: str, target: models.Model | None) -> None:
    """Site-wide and section changes reach every article page: bump the site generation.

    An article's change only needs its own page's scope, and its thread's cached API reads
    (api.read_cache) theirs; an embedded thread has only the latter.
    """
    if scope in (Scope.SITE, Scope.SECTION):
        bump_generation()
    elif scope == Scope.ARTICLE and isinstance(target, Article):
        bump_generation(article_page_scope(target.slug))
        for thread_id in Thread.objects.filter(article=target).values_list("pk", flat=True):
            bump_generation(thread_scope(thread_id))
    elif scope == Scope.THREAD and isinstance(target, Thread):
        bump_generation(thread_scope(target.pk))
