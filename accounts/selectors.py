"""Reading readers: a public profile's comments and counts, and whom a reader muted."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.dateparse import parse_datetime

from accounts.models import Mute, User
from discussions.models import Comment

PROFILE_PAGE_SIZE = 20
PICKS_SHOWN = 5
PUBLISHED = Comment.Status.PUBLISHED


@dataclass
class CommentsPage:
    items: list[Comment]
    next_cursor: str | None


def _published_by(person: User) -> QuerySet[Comment]:
    return Comment.objects.filter(author=person, status=PUBLISHED).select_related("thread__article")


def published_comments(
    person: User, cursor: str | None = None, size: int = PROFILE_PAGE_SIZE
) -> CommentsPage:
    """A reader's published comments, newest first, after a (created_at, id) keyset cursor."""
    comments = _published_by(person)
    if cursor and "~" in cursor:
        value, _, pk = cursor.rpartition("~")
        when = parse_datetime(value.replace(" ", "+"))
        if when is not None and pk.isdigit():
            comments = comments.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=int(pk)))
    found = list(comments.order_by("-created_at", "-id")[: size + 1])
    last = found[size - 1] if len(found) > size else None
    return CommentsPage(found[:size], f"{last.created_at.isoformat()}~{last.pk}" if last else None)


def editors_picks(person: User, limit: int = PICKS_SHOWN) -> list[Comment]:
    return list(_published_by(person).filter(is_featured=True).order_by("-created_at", "-id")[:limit])


def profile_counts(person: User) -> dict[str, int]:
    """Published comments, the respect they earned, and editor's picks, in one query."""
    counts = Comment.objects.filter(author=person, status=PUBLISHED).aggregate(
        comments=Count("id"), respect=Sum("reaction_count"), picks=Count("id", filter=Q(is_featured=True))
    )
    return {name: value or 0 for name, value in counts.items()}


def muted_ids(user) -> set[int]:  # type: ignore[no-untyped-def]
    """The readers `user` muted (none, and no query, for anonymous readers)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(Mute.objects.filter(muter=user).values_list("muted_id", flat=True))


def muted_readers(user: User) -> list[User]:
    return list(
        User.objects.filter(pk__in=Mute.objects.filter(muter=user).values("muted")).order_by("username")
    )
