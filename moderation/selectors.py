"""Reading moderation state.  The queue selectors are what a moderation queue page would list;
each is served by one of the partial indexes on ModerationDecision and Report."""

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from discussions.models import Comment
from moderation.models import Ban, ModerationDecision, Report

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
