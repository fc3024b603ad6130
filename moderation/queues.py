"""The moderators' queues, one page at a time, with everything an item shows loaded in bulk.

A page costs the same number of queries whatever its length: the page of rows (keyset-paginated
on the decision's time for the decision queues, bounded page numbers for the reported queue,
whose order is a count; joined to each reply's parent and its author, which the item quotes),
then one query each for the checks' decisions, the open reports, their
notes, the authors' trust records, their bans and their warnings.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from accounts.models import User
from discussions.live import broker
from discussions.models import Comment, CommentRevision
from moderation import selectors
from moderation.models import Appeal, AuditEntry, Ban, ModerationDecision, Report, SpotCheck, UserTrust
from moderation.normalize import normalize
from moderation.rules import _phrase_pattern  # the rules' own pattern: highlight what they matched

# Open queue pages listen here (queue_views.queue_events): an item may have arrived or left.
QUEUE_CHANNEL = "moderation:queues"


def announce_change() -> None:
    """Tell open queue pages to look again, once the current transaction commits.

    Called for every decision (a new comment's, a moderator's) and every report.  A hint only:
    the pages count what arrived from the database, so a lost event costs at most a poll.
    """
    transaction.on_commit(_publish_queue_change, robust=True)


def _publish_queue_change() -> None:
    broker().publish(QUEUE_CHANNEL, {"type": "queue"})


Action = ModerationDecision.Action
Source = ModerationDecision.Source

PAGE_SIZE = 50
REPORT_NOTES_SHOWN = 3
MAX_REPORTED_PAGES = 40  # the reported queue pages by number (its order is a count); this far and no further
SCORE_LABELS = {
    "toxicity": "Toxicity",
    "insult": "Insult",
    "identity_attack": "Identity attack",
    "obscene": "Obscene",
    "threat": "Threat",
}


@dataclass(frozen=True)
class Queue:
    name: str
    label: str
    description: str
    oldest_first: bool = False


QUEUES = {
    q.name: q
    for q in (
        Queue("pending", "Pending", "Held comments waiting for a decision.", oldest_first=True),
        Queue("reported", "Reported", "Comments readers reported, most reported first."),
        Queue("unmoderated", "Unmoderated", "Published by the automatic checks, not yet seen by a person."),
        Queue(
            "audit",
            "Audit",
            "A sample of the comments the automatic checks published, oldest first: is each one fine, "
            "or should it have been held? Your verdicts measure how much the checks let through.",
            oldest_first=True,
        ),
        Queue(
            "appeals",
            "Appeals",
            "Readers' appeals against a rejected comment or a suspension, oldest first.",
            oldest_first=True,
        ),
        Queue("approved", "Approved", "Approved or kept by a moderator, newest first."),
        Queue("rejected", "Rejected", "Rejected by the checks or a moderator, newest first."),
    )
}


# --- the rows ----------------------------------------------------------------------------------------


def _decision_rows(name: str) -> QuerySet[ModerationDecision]:
    if name == "pending":
        return selectors.held_queue()
    if name == "unmoderated":
        return selectors.unreviewed_queue()
    current = ModerationDecision.objects.filter(is_current=True).select_related(
        "comment__thread", "comment__author"
    )
    if name == "approved":
        return current.filter(
            action=Action.PUBLISH, source=Source.MODERATOR, comment__status=Comment.Status.PUBLISHED
        )
    return current.filter(action=Action.REJECT, comment__status=Comment.Status.REJECTED)


def rows(name: str, article_id: int | None = None) -> QuerySet:
    """Every item of a queue (unpaginated), optionally for one article."""
    if name == "audit":
        checks = selectors.open_spot_checks()
        return checks.filter(comment__thread__article_id=article_id) if article_id else checks
    if name == "appeals":
        waiting = selectors.open_appeals()
        return waiting.filter(comment__thread__article_id=article_id) if article_id else waiting
    if name == "reported":
        found = selectors.reported_queue()
        return found.filter(thread__article_id=article_id) if article_id else found
    decisions = _decision_rows(name)
    return decisions.filter(comment__thread__article_id=article_id) if article_id else decisions


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_for(entry: ModerationDecision | SpotCheck | Appeal) -> str:
    """Where the next page starts: the entry's time in microseconds and its id."""
    return f"{(entry.created_at - _EPOCH) // timedelta(microseconds=1)}-{entry.pk}"


def parse_cursor(value: str) -> tuple[datetime, int] | None:
    micros, _, pk = (value or "").partition("-")
    if not (micros.isdecimal() and pk.isdecimal()):
        return None
    return _EPOCH + timedelta(microseconds=int(micros)), int(pk)


def _after(found: QuerySet, cursor: tuple[datetime, int] | None, oldest_first: bool):
    order = ("created_at", "id") if oldest_first else ("-created_at", "-id")
    found = found.order_by(*order)
    if cursor is None:
        return found
    moment, pk = cursor
    if oldest_first:
        return found.filter(Q(created_at__gt=moment) | Q(created_at=moment, id__gt=pk))
    return found.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=pk))


# --- what an item shows ------------------------------------------------------------------------------


@dataclass
class AuthorHistory:
    user: User
    approved: int
    rejected: int
    warnings: int
    ban: Ban | None

    @property
    def joined(self) -> datetime:
        return self.user.date_joined


@dataclass
class Score:
    key: str
    label: str
    value: float


@dataclass
class QueueItem:
    comment: Comment
    decision: ModerationDecision | None  # the current one
    checks: ModerationDecision | None  # the automatic checks' latest decision
    author: AuthorHistory | None
    reports: list[tuple[str, int]] = field(default_factory=list)  # (reason label, count)
    open_reports: int = 0
    report_notes: list[str] = field(default_factory=list)  # the newest few readers wrote
    previous_body: str = ""  # the wording before its latest edit, when it was edited
    spot_check: SpotCheck | None = None  # in the Audit queue

    @property
    def risk(self) -> float | None:
        """The higher of the toxicity and attack-on-a-group scores (what Pending can be ordered by)."""
        found = self.checks.scores if self.checks else {}
        heads = [float(found[key]) for key in ("toxicity", "identity_attack") if key in found]
        return max(heads) if heads else None

    @property
    def flagged_phrases(self) -> list[str]:
        rules_step = _step(self.checks, "rules")
        if rules_step is None:
            return []
        details = rules_step.get("details", {})
        return [p for kind in ("banned", "suspect") for p in details.get(kind, [])]

    @property
    def highlighted_body(self) -> SafeString:
        return highlight(self.comment.body, self.flagged_phrases)

    @property
    def scores(self) -> list[Score]:
        found = self.checks.scores if self.checks else {}
        return [Score(key, label, float(found[key])) for key, label in SCORE_LABELS.items() if key in found]

    @property
    def hold_threshold(self) -> float | None:
        model = _step(self.checks, "model")
        return model.get("details", {}).get("hold_at") if model else None

    @property
    def score_low(self) -> float | None:
        """Below this a score bar reads as fine; between it and the hold threshold, as worth a look."""
        return self.hold_threshold / 2 if self.hold_threshold else None

    @property
    def steps_hit(self) -> list[dict]:
        """The checks that held or rejected it (the rest passed)."""
        steps = self.checks.steps if self.checks else []
        return [s for s in steps if s.get("outcome") in (Action.HOLD, Action.REJECT)]

    @property
    def all_steps(self) -> list[dict]:
        return self.checks.steps if self.checks else []


def _step(decision: ModerationDecision | None, name: str) -> dict | None:
    steps = decision.steps if decision else []
    return next((s for s in steps if s.get("step") == name), None)


@dataclass
class AppealItem:
    appeal: Appeal
    item: QueueItem | None  # the comment appealed for, shown as in the other queues
    ban: Ban | None
    refusal: str = ""  # why the moderator looking may not decide it (the page fills these in)
    sole_decider: bool = False  # they decided first, and nobody else could decide the appeal


@dataclass
class QueuePage:
    queue: Queue
    items: list  # QueueItem, or AppealItem in the Appeals queue
    next_query: str  # the query string of the next page, "" on the last


# --- highlighting -------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\S+")
MAX_WINDOW = 24  # tokens one flagged phrase may span in the raw text ("i d i o t" is five)


@cache
def _pattern(phrase: str) -> re.Pattern[str] | None:
    body = _phrase_pattern(phrase)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)") if normalize(phrase.rstrip("*")) else None


def flagged_spans(text: str, phrases: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, phrase) of the shortest runs of raw words whose normalised form matches a phrase.

    Rules are matched on normalised text, so "1d10t" or "i d i o t" must be found in the words the
    reader typed: each run of words is normalised and tested, and trimmed from both ends.
    """
    patterns = [(p, pattern) for p in phrases if (pattern := _pattern(p))]
    tokens = [m.span() for m in _TOKEN_RE.finditer(text)]

    def hit(i: int, j: int) -> str | None:
        normalised = normalize(text[tokens[i][0] : tokens[j][1]])
        return next((p for p, pattern in patterns if pattern.search(normalised)), None)

    spans, i = [], 0
    while patterns and i < len(tokens):
        if not hit(i, min(i + 2 * MAX_WINDOW, len(tokens)) - 1):
            i += MAX_WINDOW  # no run of at most MAX_WINDOW words starting in the next MAX_WINDOW matches
            continue
        last = min(i + MAX_WINDOW, len(tokens)) - 1
        end = next((j for j in range(i, last + 1) if hit(i, j)), None) if hit(i, last) else None
        if end is None:
            i += 1
            continue
        start = i
        while start < end and hit(start + 1, end):
            start += 1
        spans.append((tokens[start][0], tokens[end][1], hit(start, end) or ""))
        i = end + 1
    return spans


def highlight(text: str, phrases: list[str]) -> SafeString:
    """The raw text, escaped, with each flagged run in <mark> (titled with the rule it matched)."""
    html, position = SafeString(), 0
    for start, end, phrase in flagged_spans(text, phrases):
        html += escape(text[position:start])
        html += format_html('<mark title="matches the rule “{}”">{}</mark>', phrase, text[start:end])
        position = end
    return html + escape(text[position:])


# --- loading a page -----------------------------------------------------------------------------------


def _checks_for(ids: list[int]) -> dict[int, ModerationDecision]:
    latest: dict[int, ModerationDecision] = {}
    found = ModerationDecision.objects.filter(comment_id__in=ids, source=Source.PIPELINE).order_by(
        "comment_id", "-created_at", "-id"
    )
    for decision in found:
        latest.setdefault(decision.comment_id, decision)
    return latest


def _report_notes_for(ids: list[int]) -> dict[int, list[str]]:
    """The newest few notes readers wrote with their open reports, per comment (a window, not all)."""
    notes: dict[int, list[str]] = {}
    newest = (
        Report.objects.filter(comment_id__in=ids, resolved_at__isnull=True)
        .exclude(note="")
        .annotate(rank=Window(RowNumber(), partition_by=F("comment_id"), order_by=F("created_at").desc()))
        .filter(rank__lte=REPORT_NOTES_SHOWN)
        .order_by("comment_id", "rank")
        .values_list("comment_id", "note")
    )
    for comment_id, note in newest:
        notes.setdefault(comment_id, []).append(note)
    return notes


def _reports_for(ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    labels = dict(Report.Reason.choices)
    found: dict[int, list[tuple[str, int]]] = {}
    counts = (
        Report.objects.filter(comment_id__in=ids, resolved_at__isnull=True)
        .values("comment_id", "reason")
        .annotate(n=Count("id"))
        .order_by("comment_id", "-n", "reason")
    )
    for row in counts:
        found.setdefault(row["comment_id"], []).append((labels.get(row["reason"], row["reason"]), row["n"]))
    return found


def author_histories(users: list) -> dict[int, AuthorHistory]:
    """Approved and rejected counts, warnings and any ban in force, for many authors in three queries."""
    ids = list({u.pk for u in users})
    trusts = {t.user_id: t for t in UserTrust.objects.filter(user_id__in=ids)}
    bans: dict[int, Ban] = {}
    for ban in selectors.bans_in_force().filter(user_id__in=ids).order_by("-created_at"):
        user_id = ban.user_id or 0  # never 0: the filter names users
        current = bans.get(user_id)
        if current is None or (ban.is_permanent and not current.is_permanent):
            bans[user_id] = ban
    warnings = dict(
        AuditEntry.objects.filter(
            action="warn_user",
            target_type=get_user_model()._meta.label_lower,
            target_id__in=[str(pk) for pk in ids],
        )
        .values("target_id")
        .annotate(n=Count("id"))
        .values_list("target_id", "n")
    )
    histories = {}
    for user in users:
        record = trusts.get(user.pk)
        histories[user.pk] = AuthorHistory(
            user=user,
            approved=record.approved_count if record else 0,
            rejected=record.rejected_count if record else 0,
            warnings=warnings.get(str(user.pk), 0),
            ban=bans.get(user.pk),
        )
    return histories


def _previous_bodies(comments: list[Comment]) -> dict[int, str]:
    """The wording each edited comment had before its latest edit (CommentRevision keeps every one)."""
    edited = [c.pk for c in comments if c.edited_at is not None]
    if not edited:
        return {}
    revisions = CommentRevision.objects.filter(comment_id__in=edited).order_by(
        "comment_id", "created_at", "id"
    )
    return {r.comment_id: r.body for r in revisions}  # the last one of each comment wins


def _items(comments: list[Comment], current: dict[int, ModerationDecision]) -> list[QueueItem]:
    ids = [c.pk for c in comments]
    checks = _checks_for(ids)
    previous = _previous_bodies(comments)
    reports = _reports_for(ids)
    notes = _report_notes_for(ids)
    histories = author_histories([c.author for c in comments if c.author is not None])
    items = []
    for comment in comments:
        found = reports.get(comment.pk, [])
        items.append(
            QueueItem(
                comment=comment,
                decision=current.get(comment.pk),
                checks=checks.get(comment.pk),
                author=histories.get(comment.author_id) if comment.author_id else None,
                reports=found,
                open_reports=sum(n for _, n in found),
                report_notes=notes.get(comment.pk, []),
                previous_body=previous.get(comment.pk, ""),
            )
        )
    return items


def _query(article_id: int | None, **extra: object) -> str:
    params = {"article": article_id, **extra}
    return "&".join(f"{key}={value}" for key, value in params.items() if value)


def _reported_page(queue: Queue, article_id: int | None, page: int) -> QueuePage:
    page = min(max(page, 1), MAX_REPORTED_PAGES)
    start = (page - 1) * PAGE_SIZE
    comments = list(
        rows("reported", article_id).select_related("thread__article", "parent__author")[
            start : start + PAGE_SIZE + 1
        ]
    )
    more = len(comments) > PAGE_SIZE and page < MAX_REPORTED_PAGES
    comments = comments[:PAGE_SIZE]
    current = {
        d.comment_id: d
        for d in ModerationDecision.objects.filter(comment_id__in=[c.pk for c in comments], is_current=True)
    }
    return QueuePage(queue, _items(comments, current), _query(article_id, page=page + 1) if more else "")


def _current_for(comments: list[Comment]) -> dict[int, ModerationDecision]:
    found = ModerationDecision.objects.filter(comment_id__in=[c.pk for c in comments], is_current=True)
    return {d.comment_id: d for d in found}


COMMENT_RELATED = ("comment__thread__article", "comment__author", "comment__parent__author")


def _keyset(found: QuerySet, queue: Queue, article_id: int | None, after: str) -> tuple[list, str]:
    """A page of spot checks or appeals (each about a comment), by their own time."""
    ordered = _after(found, parse_cursor(after), queue.oldest_first)
    entries = list(ordered.select_related(*COMMENT_RELATED)[: PAGE_SIZE + 1])
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    return entries, _query(article_id, after=cursor_for(entries[-1])) if more else ""


def _audit_page(queue: Queue, article_id: int | None, after: str) -> QueuePage:
    checks, next_query = _keyset(rows("audit", article_id), queue, article_id, after)
    comments = [c.comment for c in checks]
    items = _items(comments, _current_for(comments))
    for item, check in zip(items, checks, strict=True):
        item.spot_check = check
    return QueuePage(queue, items, next_query)


def _appeals_page(queue: Queue, article_id: int | None, after: str) -> QueuePage:
    appeals, next_query = _keyset(rows("appeals", article_id), queue, article_id, after)
    comments = [a.comment for a in appeals if a.comment is not None]
    by_comment = {item.comment.pk: item for item in _items(comments, _current_for(comments))}
    items = [AppealItem(a, by_comment.get(a.comment_id or 0), a.ban) for a in appeals]
    return QueuePage(queue, items, next_query)


def _ordered_pending_page(queue: Queue, article_id: int | None, order: str, page: int) -> QueuePage:
    """Pending in an order other than the oldest first: bounded page numbers (the order is a score)."""
    page = min(max(page, 1), MAX_REPORTED_PAGES)
    start = (page - 1) * PAGE_SIZE
    found = selectors.held_queue_by(order)
    if article_id:
        found = found.filter(comment__thread__article_id=article_id)
    decisions = list(
        found.select_related("comment__thread__article", "comment__parent__author")[
            start : start + PAGE_SIZE + 1
        ]
    )
    more = len(decisions) > PAGE_SIZE and page < MAX_REPORTED_PAGES
    decisions = decisions[:PAGE_SIZE]
    items = _items([d.comment for d in decisions], {d.comment_id: d for d in decisions})
    return QueuePage(queue, items, _query(article_id, order=order, page=page + 1) if more else "")


def load_page(
    name: str, article_id: int | None = None, after: str = "", page: int = 1, order: str = "oldest"
) -> QueuePage:
    """One page of a queue: `after` is the decision queues' cursor, `page` the reported queue's number
    (and Pending's, in an order of selectors.PENDING_ORDERS other than the oldest first)."""
    queue = QUEUES[name]
    if name == "reported":
        return _reported_page(queue, article_id, page)
    if name == "audit":
        return _audit_page(queue, article_id, after)
    if name == "appeals":
        return _appeals_page(queue, article_id, after)
    if name == "pending" and order != "oldest":
        return _ordered_pending_page(queue, article_id, order, page)
    found = _after(rows(name, article_id), parse_cursor(after), queue.oldest_first)
    decisions = list(
        found.select_related("comment__thread__article", "comment__parent__author")[: PAGE_SIZE + 1]
    )
    more = len(decisions) > PAGE_SIZE
    decisions = decisions[:PAGE_SIZE]
    comments = [d.comment for d in decisions]
    items = _items(comments, {d.comment_id: d for d in decisions})
    next_query = _query(article_id, after=cursor_for(decisions[-1])) if more else ""
    return QueuePage(queue, items, next_query)


# --- sizes and live updates ---------------------------------------------------------------------------


WAITING = ("pending", "reported", "unmoderated", "audit", "appeals")


def sizes(article_id: int | None = None) -> dict[str, int]:
    """How many items wait in the queues that need a person (the others only grow)."""
    return {name: rows(name, article_id).count() for name in WAITING}


def newest_marker(name: str, article_id: int | None = None) -> int:
    """The newest entry into a queue so far: a decision's id, or an open report's for the reported queue."""
    if name == "reported":
        found = selectors.open_reports()
        if article_id:
            found = found.filter(comment__thread__article_id=article_id)
        return found.aggregate(newest=Max("id"))["newest"] or 0
    return rows(name, article_id).order_by().aggregate(newest=Max("id"))["newest"] or 0


def arrived_since(name: str, marker: int, article_id: int | None = None) -> int:
    """Items that entered the queue after the page showing `marker` was loaded."""
    if name == "reported":
        found = selectors.open_reports().filter(id__gt=marker)
        if article_id:
            found = found.filter(comment__thread__article_id=article_id)
        return found.values("comment_id").distinct().count()
    return rows(name, article_id).filter(id__gt=marker).count()
