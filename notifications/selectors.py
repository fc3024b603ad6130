"""Reading notifications: what a reader may see, unread counts, and their pages."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.dateparse import parse_datetime

from accounts.models import Mute
from discussions.models import Comment
from notifications.models import DEFAULT_FREQUENCY, NEEDS_PUBLIC_COMMENT, EmailPreference, Kind, Notification

PAGE_SIZE = 30


def visible(notifications: QuerySet[Notification]) -> QuerySet[Notification]:
    """Only what each recipient may be told: kinds about a comment only while it is published (held,
    rejected or removed text is never shown to anyone it was not for), and nothing from a reader the
    recipient muted."""
    return notifications.filter(
        ~Q(kind__in=NEEDS_PUBLIC_COMMENT)
        | Q(comment__isnull=True)
        | Q(comment__status=Comment.Status.PUBLISHED)
    ).exclude(Exists(Mute.objects.filter(muter=OuterRef("recipient"), muted=OuterRef("actor"))))


def unread_count(user) -> int:  # type: ignore[no-untyped-def]
    return visible(Notification.objects.filter(recipient=user, read_at__isnull=True)).count()


def unread_counts(user_ids: list[int]) -> dict[int, int]:
    """Unread counts of many readers in one query (readers with none are 0)."""
    rows = (
        visible(Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True))
        .order_by()
        .values_list("recipient_id")
        .annotate(n=Count("id"))
    )
    return dict.fromkeys(user_ids, 0) | dict(rows)


@dataclass
class Page:
    items: list[Notification]
    next_cursor: str | None


def _cursor_of(item: Notification) -> str:
    return f"{item.updated_at.isoformat()}~{item.pk}"


def page(user, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:  # type: ignore[no-untyped-def]
    """The reader's notifications, newest activity first, keyset-paginated on (updated_at, id)."""
    items = visible(Notification.objects.filter(recipient=user)).select_related("actor", "comment", "article")
    if cursor and "~" in cursor:
        value, _, pk = cursor.rpartition("~")
        when = parse_datetime(value.replace(" ", "+"))
        if when is not None and pk.isdigit():
            items = items.filter(Q(updated_at__lt=when) | Q(updated_at=when, id__lt=int(pk)))
    found = list(items.order_by("-updated_at", "-id")[: size + 1])
    return Page(found[:size], _cursor_of(found[size - 1]) if len(found) > size else None)


def frequencies(user_ids: list[int], kind: str) -> dict[int, str]:
    """Each reader's email frequency for one kind (their choice, else the default)."""
    default = DEFAULT_FREQUENCY[Kind(kind)]
    chosen = dict(
        EmailPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list("user_id", "frequency")
    )
    return {user_id: chosen.get(user_id, default) for user_id in user_ids}


def preferences(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every kind's email frequency for one reader."""
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("kind", "frequency"))
    return {kind: chosen.get(kind, str(default)) for kind, default in DEFAULT_FREQUENCY.items()}


def muted_by(muter_ids: list[int], actor_id: int) -> set[int]:
    """Which of these readers muted the actor."""
    return set(
        Mute.objects.filter(muter_id__in=muter_ids, muted_id=actor_id).values_list("muter_id", flat=True)
    )
