"""Telling readers things: the API other apps call.

    notify(kind, recipients, key=..., actor=..., comment=..., article=..., text=..., url=...)
    notify_followers(article, follower_ids, because="Syria")

Both return at once: the work (rows, muting, the live bell, emails) runs in a background task once the
caller's transaction commits, so nothing is told about something that was rolled back.  `key` names
the event: the same key for the same recipient never makes a second notification, so callers and
retried tasks may repeat themselves safely.  Readers' own actions (reading, email choices,
unsubscribing) are here too.
"""

from collections.abc import Iterable
from functools import partial
from itertools import islice

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from notifications import live, tasks
from notifications.delivery import make_event
from notifications.models import DEFAULT_FREQUENCY, EmailPreference, Frequency, Kind, Notification

# Recipients per fan-out task: one multi-row INSERT each, small enough to keep a task short.
FAN_OUT_BATCH = 2000


def _pk(thing: Model | int | None) -> int | None:
    return thing if thing is None or isinstance(thing, int) else thing.pk


def notify(
    kind: Kind | str,
    recipients: Iterable[AbstractBaseUser | int | None],
    *,
    key: str,
    actor: AbstractBaseUser | int | None = None,
    comment: Model | int | None = None,
    article: Model | int | None = None,
    text: str = "",
    url: str = "",
    links: list[dict[str, str]] | None = None,
) -> None:
    """Tell `recipients` (users or ids; None is skipped) about one event, after the transaction commits.

    The actor is never told of their own action, and readers who muted the actor are not told at
    all.  Reactions (Kind.REACTION) add the actor to the recipient's notification for the same key.
    `url`: a path on the site ("/…") or an absolute URL; `text`: the message, shown as written;
    `links`: further links shown with it, ``[{"label": "Appeal this decision", "url": "/…"}]``.
    """
    ids = sorted({pk for pk in map(_pk, recipients) if pk is not None})
    if not ids:
        return
    event = make_event(
        Kind(kind),
        key,
        actor=_pk(actor),
        comment=_pk(comment),
        article=_pk(article),
        text=text,
        url=url,
        links=links,
    )
    transaction.on_commit(lambda: tasks.record.delay(event, ids), robust=True)


def notify_followers(article: Model, follower_ids: Iterable[int], because: str) -> int:
    """A new article in something its followers follow (`because`: its name, "Syria"), fanned out in
    background batches of FAN_OUT_BATCH; `follower_ids` may be a values_list queryset.  The batches
    queued (after the transaction commits).  Once per article per reader, whatever calls it again."""
    event = make_event(
        Kind.FOLLOWED,
        f"article:{article.pk}",
        article=article.pk,
        text=because,
        url=article.get_absolute_url(),  # type: ignore[attr-defined]
    )
    chunks = list(_chunks(_iterate(follower_ids), FAN_OUT_BATCH))
    for chunk in chunks:
        transaction.on_commit(partial(tasks.record.delay, event, chunk), robust=True)
    return len(chunks)


def _iterate(ids: Iterable[int]) -> Iterable[int]:
    iterator = getattr(ids, "iterator", None)  # a queryset: stream it rather than load it whole
    return iterator(chunk_size=FAN_OUT_BATCH) if iterator else ids


def _chunks(ids: Iterable[int], size: int) -> Iterable[list[int]]:
    items = iter(ids)
    while chunk := list(islice(items, size)):
        yield chunk


# --- the reader's own actions --------------------------------------------------------------------------


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark some (or all) of the reader's notifications read; read ones are not emailed any more."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    changed = unread.update(read_at=timezone.now(), email_schedule="")
    if changed:
        transaction.on_commit(lambda: live.publish_unread([user.pk]), robust=True)
    return changed


def set_frequency(user: User | int, kind: Kind | str, frequency: Frequency | str) -> None:
    """The reader's email choice for one kind; what is waiting for an email follows it."""
    user_id, kind, frequency = user if isinstance(user, int) else user.pk, Kind(kind), Frequency(frequency)
    with transaction.atomic():
        if frequency == DEFAULT_FREQUENCY[kind]:
            EmailPreference.objects.filter(user_id=user_id, kind=kind).delete()
        else:
            EmailPreference.objects.update_or_create(
                user_id=user_id, kind=kind, defaults={"frequency": frequency}
            )
        schedule = "" if frequency == Frequency.OFF else frequency
        Notification.objects.filter(recipient_id=user_id, kind=kind).exclude(email_schedule="").update(
            email_schedule=schedule
        )


def unsubscribe(user_id: int, kinds: Iterable[str]) -> None:
    """No more email of these kinds (from an unsubscribe link; the in-app notifications stay)."""
    with transaction.atomic():
        for kind in kinds:
            set_frequency(user_id, kind, Frequency.OFF)
