"""Figures for the moderation dashboard, over a window of the last 24 hours or 7 days.

Each figure is one aggregate query; the charts' geometry is worked out here so the template only
draws rectangles (server-rendered SVG, no chart library), and every chart has its numbers in a table.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncHour
from django.urls import reverse
from django.utils import timezone

from discussions.models import Comment
from moderation import classifier, policy, queues, selectors, spot_checks, versions
from moderation.classifier import ModelUnavailable
from moderation.models import Appeal, AuditEntry, ModelVersion, ModerationDecision, Report, SpotCheck
from moderation.nudge import nudge_stats, nudge_threshold

Action = ModerationDecision.Action
Source = ModerationDecision.Source
Trigger = ModerationDecision.Trigger

WINDOWS = {"24h": ("Last 24 hours", timedelta(hours=24)), "7d": ("Last 7 days", timedelta(days=7))}
HEAT_GUARD_ACTIONS = ("heat_guard_on", "heat_guard_off")
CHART_WIDTH, CHART_HEIGHT = 720, 160
BAR_CHART_ROW = 28  # height of one row of a horizontal bar chart
MAX_DECISIONS_TIMED = 10_000  # time-to-decision is measured over the newest this many decisions
VERSIONS_SHOWN = 10


@dataclass
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class HourlyChart:
    bars: list[Bar]
    ticks: list[Bar]  # where to write an hour label under the bars
    peak: int
    total: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


@dataclass
class Share:
    key: str
    label: str
    count: int
    percent: float
    x: float
    width: float


def duration_label(span: timedelta | None) -> str:
    """A wait in words: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    if span is None:
        return "—"
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes} min"
    if days < 1:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"


@dataclass
class Timing:
    decisions: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def median_label(self) -> str:
        return duration_label(self.median)

    @property
    def p90_label(self) -> str:
        return duration_label(self.p90)


@dataclass
class Rate:
    """`count` of `total`, with a 95 % Wilson interval (a handful of verdicts says little)."""

    count: int
    total: int

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None

    @property
    def percent(self) -> float | None:
        return 100 * self.count / self.total if self.total else None

    @property
    def range_label(self) -> str:
        """The 95 % interval in percent, "12.0–31.5 %"."""
        low, high = self.low, self.high
        return f"{100 * low:.1f}–{100 * high:.1f} %" if low is not None and high is not None else "—"

    def _bound(self, sign: int) -> float | None:
        if not self.total:
            return None
        z, n, p = 1.96, self.total, self.count / self.total
        centre = p + z * z / (2 * n)
        spread = z * ((p * (1 - p) + z * z / (4 * n)) / n) ** 0.5
        return min(max((centre + sign * spread) / (1 + z * z / n), 0.0), 1.0)

    @property
    def low(self) -> float | None:
        return self._bound(-1)

    @property
    def high(self) -> float | None:
        return self._bound(+1)


@dataclass
class Outcomes:
    """Spot checks' leak rate, Pending's false-hold rate, and the appeals, over the window."""

    leak: Rate  # spot checks judged "should have been held", of those judged
    false_holds: Rate  # held comments moderators approved, of those they decided
    audit_share: float
    appeals_filed: int
    appeals_upheld: int
    appeals_refused: int
    appeals_open: int
    appeal_timing: Timing

    @property
    def audit_percent(self) -> float:
        return 100 * self.audit_share


@dataclass
class ReportedArticle:
    label: str
    article_id: int | None
    reports: int
    comments: int
    bar: Bar


@dataclass
class ModelFigures:
    """The model the site runs, the site policy's thresholds and what they are expected to do."""

    running: ModelVersion | None
    thresholds_from: str
    target: float | None
    hold: float
    identity_hold: float
    nudge: float | None
    expected: dict
    versions: list[ModelVersion]
    digest: str


@dataclass
class Figures:
    window_label: str
    since: datetime
    per_hour: HourlyChart
    shares: list[Share]
    posted: int
    sizes: dict[str, int]
    oldest_pending: datetime | None
    timing: Timing
    top_reported: list[ReportedArticle]
    top_reported_height: int
    heat_guard: list[dict] = field(default_factory=list)
    nudges: dict = field(default_factory=dict)  # moderation.nudge.nudge_stats over the window
    model: ModelFigures | None = None  # None: the model is unavailable
    outcomes: Outcomes | None = None


def model_figures() -> ModelFigures | None:
    """Expected false holds and leak at the site's settings, and the model versions with their figures."""
    try:
        running = versions.current()
    except ModelUnavailable:
        return None
    site = policy.site_thresholds()
    shown = list(ModelVersion.objects.select_related("created_by")[:VERSIONS_SHOWN])
    active = next((v for v in shown if v.pk == running.version_id), None)
    if active is None and running.version_id:
        active = ModelVersion.objects.filter(pk=running.version_id).first()
    return ModelFigures(
        running=active,
        thresholds_from=running.tables_from,
        target=site.target,
        hold=site.hold,
        identity_hold=site.identity_hold,
        nudge=nudge_threshold(site.hold),
        expected=site.expected,
        versions=shown,
        digest=classifier.get_model().digest,
    )


def _hour(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(minute=0, second=0, microsecond=0)


def comments_per_hour(since: datetime, now: datetime) -> HourlyChart:
    """Comments posted in each hour of the window (every status: what readers sent)."""
    counted = (
        Comment.objects.filter(created_at__gte=since)
        .annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    by_hour = {_hour(hour): n for hour, n in counted}
    hours, hour = [], _hour(since)
    while hour <= now:
        hours.append(hour)
        hour += timedelta(hours=1)
    peak = max(by_hour.values(), default=0)
    step = CHART_WIDTH / len(hours)
    bars, ticks = [], []
    every = 6 if len(hours) <= 25 else 24
    for i, moment in enumerate(hours):
        value = by_hour.get(moment, 0)
        height = (CHART_HEIGHT - 20) * value / peak if peak else 0
        label = moment.strftime("%d %b %H:00")
        bars.append(Bar(label, value, i * step, CHART_HEIGHT - 20 - height, max(step - 1, 1), height))
        if moment.hour % every == 0:
            ticks.append(
                Bar(moment.strftime("%H:00" if every == 6 else "%d %b"), 0, i * step, CHART_HEIGHT, 0, 0)
            )
    return HourlyChart(bars, ticks, peak, sum(by_hour.values()))


def held_rejected_share(since: datetime) -> tuple[list[Share], int]:
    """What the automatic checks did with the comments posted in the window."""
    counted = dict(
        ModerationDecision.objects.filter(created_at__gte=since, source=Source.PIPELINE, trigger=Trigger.POST)
        .values("action")
        .annotate(n=Count("id"))
        .values_list("action", "n")
    )
    total = sum(counted.values())
    shares, x = [], 0.0
    for key, label in ((Action.PUBLISH, "Published"), (Action.HOLD, "Held"), (Action.REJECT, "Rejected")):
        count = counted.get(key, 0)
        percent = 100 * count / total if total else 0.0
        shares.append(Share(key, label, count, percent, x, CHART_WIDTH * percent / 100))
        x += CHART_WIDTH * percent / 100
    return shares, total


def _percentile(values: list[timedelta], fraction: float) -> timedelta | None:
    """Nearest-rank percentile of sorted `values`."""
    if not values:
        return None
    rank = max(1, -(-len(values) * fraction // 1))
    return values[int(rank) - 1]


def time_to_decision(since: datetime) -> Timing:
    """From the checks' (or readers' reports') decision to the moderator's, for decisions in the window."""
    earlier = ModerationDecision.objects.filter(
        comment_id=OuterRef("comment_id"), id__lt=OuterRef("id")
    ).order_by("-id")
    timed = (
        ModerationDecision.objects.filter(source=Source.MODERATOR, created_at__gte=since)
        .annotate(
            before_at=Subquery(earlier.values("created_at")[:1]),
            before_source=Subquery(earlier.values("source")[:1]),
        )
        .order_by("-created_at")
        .values_list("created_at", "before_at", "before_source")[:MAX_DECISIONS_TIMED]
    )
    waits = sorted(at - before for at, before, source in timed if before and source != Source.MODERATOR)
    return Timing(len(waits), _percentile(waits, 0.5), _percentile(waits, 0.9))


def leak_rate(since: datetime) -> Rate:
    """Of the spot checks moderators judged in the window, the share that should have been held."""
    judged = SpotCheck.objects.filter(decided_at__gte=since).exclude(verdict="")
    found = judged.aggregate(
        total=Count("id"), leaked=Count("id", filter=Q(verdict=SpotCheck.Verdict.SHOULD_HAVE_HELD))
    )
    return Rate(found["leaked"], found["total"])


def false_hold_rate(since: datetime) -> Rate:
    """Of the comments the checks held that moderators decided in the window, the share they approved."""
    before = ModerationDecision.objects.filter(
        comment_id=OuterRef("comment_id"), id__lt=OuterRef("id")
    ).order_by("-id")
    decided = ModerationDecision.objects.filter(source=Source.MODERATOR, created_at__gte=since).annotate(
        before_source=Subquery(before.values("source")[:1]),
        before_action=Subquery(before.values("action")[:1]),
    )
    found = decided.filter(before_source=Source.PIPELINE, before_action=Action.HOLD).aggregate(
        total=Count("id"), approved=Count("id", filter=Q(action=Action.PUBLISH))
    )
    return Rate(found["approved"], found["total"])


def outcomes(since: datetime) -> Outcomes:
    filed = Appeal.objects.filter(created_at__gte=since).count()
    decided = list(
        Appeal.objects.filter(decided_at__gte=since)
        .order_by("-decided_at")
        .values_list("status", "created_at", "decided_at")[:MAX_DECISIONS_TIMED]
    )
    waits = sorted(at - created for _, created, at in decided if at is not None)
    return Outcomes(
        leak=leak_rate(since),
        false_holds=false_hold_rate(since),
        audit_share=spot_checks.share(),
        appeals_filed=filed,
        appeals_upheld=sum(status == Appeal.Status.UPHELD for status, _, _ in decided),
        appeals_refused=sum(status == Appeal.Status.REFUSED for status, _, _ in decided),
        appeals_open=selectors.open_appeals().count(),
        appeal_timing=Timing(len(waits), _percentile(waits, 0.5), _percentile(waits, 0.9)),
    )


def top_reported_articles(since: datetime, limit: int = 10) -> tuple[list[ReportedArticle], int]:
    """The discussions readers reported most in the window."""
    rows = list(
        Report.objects.filter(created_at__gte=since)
        .values("comment__thread_id", "comment__thread__article_id", "comment__thread__article__headline")
        .annotate(reports=Count("id"), comments=Count("comment_id", distinct=True))
        .order_by("-reports", "comment__thread_id")[:limit]
    )
    peak = max((r["reports"] for r in rows), default=0)
    found = []
    for i, row in enumerate(rows):
        label = (
            row["comment__thread__article__headline"] or f"Embedded discussion {row['comment__thread_id']}"
        )
        width = (CHART_WIDTH - 60) * row["reports"] / peak if peak else 0
        bar = Bar(label, row["reports"], 0, i * BAR_CHART_ROW, width, BAR_CHART_ROW - 8)
        found.append(
            ReportedArticle(label, row["comment__thread__article_id"], row["reports"], row["comments"], bar)
        )
    return found, len(found) * BAR_CHART_ROW


def heat_guard_switches(since: datetime, limit: int = 20) -> list[dict]:
    """When the heat guard turned on or off for a discussion (written by the heat guard to the audit log)."""
    entries = AuditEntry.objects.filter(action__in=HEAT_GUARD_ACTIONS, created_at__gte=since)[:limit]
    return [
        {
            "on": entry.action == "heat_guard_on",
            "at": entry.created_at,
            "by": entry.actor_name,
            "discussion": entry.target_label,
            "url": reverse("discussions:thread", args=[entry.target_id])
            if entry.target_id.isdecimal()
            else "",
            "reason": entry.reason,
            "mode": entry.details.get("mode", ""),
        }
        for entry in entries
    ]


def build(window: str) -> Figures:
    label, span = WINDOWS[window]
    now = timezone.now()
    since = now - span
    shares, posted = held_rejected_share(since)
    top, top_height = top_reported_articles(since)
    oldest = selectors.held_queue().values_list("created_at", flat=True).first()
    return Figures(
        window_label=label,
        since=since,
        per_hour=comments_per_hour(since, now),
        shares=shares,
        posted=posted,
        sizes=queues.sizes(),
        oldest_pending=oldest,
        timing=time_to_decision(since),
        top_reported=top,
        top_reported_height=top_height,
        heat_guard=heat_guard_switches(since),
        nudges=nudge_stats(since),
        model=model_figures(),
        outcomes=outcomes(since),
    )
