"""Reading moderation state.  The queue selectors are what a moderation queue page would list;
each is served by one of the partial indexes on ModerationDecision and Report."""

from django.db.models import Count, Exists, F, FloatField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone

from discussions.models import Comment
from moderation.models import Appeal, Ban, ModerationDecision, Report, SpotCheck

Action = ModerationDecision.Action
Source = ModerationDecision.Source


def bans_in_force() -> QuerySet[Ban]:
    """Bans and suspensions not lifted and not over."""
    return Ban.objects.filter(lifted_at__isnull=True).filter(
        Q(until__isnull=True) | Q(until__gt=timezone.now())
    )


def strongest_first(bans: QuerySet[Ban]) -> QuerySet[Ban]:
    """A permanent ban before any suspension, then the longest suspension."""
    return bans.order_by(F("until").desc(nulls_first=True), "-created_at")


def strongest(bans: QuerySet[Ban]) -> Ban | None:
    return strongest_first(bans).first()


def active_ban(user) -> Ban | None:
    """The ban or suspension in force for `user`, if any: a permanent ban before any suspension."""
    return strongest(bans_in_force().filter(user=user))


def open_trusted_reporters(comment: Comment) -> int:
    """Distinct trusted readers with an unresolved report on `comment`."""
    return (
        Report.objects.filter(comment=comment, resolved_at__isnull=True, reporter_trusted=True)
        .values("reporter")
        .distinct()
        .count()
    )


def current_decision(comment: Comment) -> ModerationDecision | None:
    return ModerationDecision.objects.filter(comment=comment, is_current=True).first()


def held_queue() -> QuerySet[ModerationDecision]:
    """Held comments, oldest first (waiting longest), with their current decision."""
    return (
        ModerationDecision.objects.filter(
            is_current=True, action=Action.HOLD, comment__status=Comment.Status.HELD
        )
        .select_related("comment__thread", "comment__author")
        .order_by("created_at")
    )


# The Pending queue's orders: (value, label), the first the default.
PENDING_ORDERS = [
    ("oldest", "Oldest first"),
    ("score", "Most likely to break the guidelines"),
    ("reports", "Most reported"),
]


def risk_score() -> Subquery:
    """The higher of the checks' toxicity and attack-on-a-group scores of a decision's comment (from
    its latest automatic decision; both are calibrated probabilities, so the higher one is how likely
    the comment is to break a guideline); NULL when the model did not score it."""
    checks = ModerationDecision.objects.filter(
        comment_id=OuterRef("comment_id"), source=Source.PIPELINE
    ).order_by("-created_at", "-id")
    risk = Greatest(
        Cast(KT("scores__toxicity"), FloatField()), Cast(KT("scores__identity_attack"), FloatField())
    )
    return Subquery(checks.annotate(risk=risk).values("risk")[:1], output_field=FloatField())


def open_report_count() -> Coalesce:
    reports = (
        Report.objects.filter(comment_id=OuterRef("comment_id"), resolved_at__isnull=True)
        .order_by()
        .values("comment_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(reports[:1]), 0)


def held_queue_by(order: str) -> QuerySet[ModerationDecision]:
    """The held queue with each comment's risk score and open reports, in one of PENDING_ORDERS."""
    found = held_queue().annotate(risk=risk_score(), open_reports=open_report_count())
    risk_first = F("risk").desc(nulls_last=True)
    if order == "score":
        return found.order_by(risk_first, "created_at", "id")
    if order == "reports":
        return found.order_by("-open_reports", risk_first, "created_at", "id")
    return found.order_by("created_at", "id")


def approvable_below(decision_ids: list[int], below: float) -> QuerySet[ModerationDecision]:
    """Of the held decisions a moderator was shown (`decision_ids`), those still current and held,
    scored under `below`, with no open report: what "approve the rest below X" may approve.  A comment
    edited, reported or decided since has a new current decision, so it is left for a person."""
    return (
        held_queue_by("score")
        .filter(Q(risk__lt=below), Q(open_reports=0), pk__in=decision_ids)
        .select_related("comment__author")
    )


def unreviewed_queue() -> QuerySet[ModerationDecision]:
    """Published by the automatic checks and not yet seen by a person, newest first."""
    return (
        ModerationDecision.objects.filter(
            is_current=True,
            action=Action.PUBLISH,
            source=Source.PIPELINE,
            comment__status=Comment.Status.PUBLISHED,
        )
        .select_related("comment__thread", "comment__author")
        .order_by("-created_at")
    )


# Reported comments wait for a moderator while readers can see them or they are held.  One its
# author has deleted (or that was rejected) leaves nothing to decide; its reports are kept, open.
REPORTED_STATUSES = (Comment.Status.PUBLISHED, Comment.Status.HELD)


def open_reports() -> QuerySet[Report]:
    """Unresolved reports on comments still waiting in the reported queue."""
    return Report.objects.filter(resolved_at__isnull=True, comment__status__in=REPORTED_STATUSES)


def reported_queue() -> QuerySet[Comment]:
    """Comments with open reports, most reported first, with counts and the first report's time."""
    return (
        Comment.objects.filter(
            Exists(Report.objects.filter(comment=OuterRef("pk"), resolved_at__isnull=True)),
            status__in=REPORTED_STATUSES,
        )
        .annotate(
            open_reports=Count("reports", filter=Q(reports__resolved_at__isnull=True)),
            first_reported_at=Min("reports__created_at", filter=Q(reports__resolved_at__isnull=True)),
        )
        .select_related("thread", "author")
        .order_by("-open_reports", "first_reported_at")
    )


def open_spot_checks() -> QuerySet[SpotCheck]:
    """Spot checks (moderation.spot_checks) waiting for a verdict, oldest first; a comment its author
    deleted leaves nothing to judge."""
    return (
        SpotCheck.objects.filter(verdict="")
        .exclude(comment__status=Comment.Status.DELETED)
        .select_related("comment__thread", "comment__author")
        .order_by("created_at", "id")
    )


def open_appeals() -> QuerySet[Appeal]:
    """Appeals (moderation.appeals) waiting for a moderator, oldest first."""
    return (
        Appeal.objects.filter(status=Appeal.Status.OPEN)
        .select_related("appellant", "first_decider", "ban__by", "decision__moderator")
        .order_by("created_at", "id")
    )
