"""The background work behind notifications: recording events, composing emails, sending them.

Every step is safe to run twice (a retried or redelivered task): rows are keyed by event, an email
is composed by emptying its notifications' `email_schedule` in the transaction that creates it, and
an email is claimed before it is sent and marked sent right after.
"""

import contextlib
import logging
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypedDict, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from agora.prepared import PreparedUpdate
from notifications import emails, selectors
from notifications.models import BATCHED, EmailDelivery, Frequency, Kind, Notification

log = logging.getLogger(__name__)
User = get_user_model()

COMPOSE_BATCH = 500  # readers per transaction when composing emails
CLAIM_LEASE = timedelta(minutes=10)  # an email claimed by a worker that died is tried again after this
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)  # back-off doubles up to this, and goes on trying


class Event(TypedDict):
    """What happened, as a task carries it (JSON)."""

    kind: str
    key: str
    actor: int | None
    comment: int | None
    article: int | None
    text: str
    url: str
    links: list[dict[str, str]]


def make_event(
    kind: Kind,
    key: str,
    *,
    actor: int | None = None,
    comment: int | None = None,
    article: int | None = None,
    text: str = "",
    url: str = "",
    links: list[dict[str, str]] | None = None,
) -> Event:
    if not key or len(key) > Notification._meta.get_field("key").max_length:  # type: ignore[operator]
        raise ValueError(f"A notification key names its event in 1 to 150 characters, not {key!r}.")
    return Event(
        kind=kind,
        key=key,
        actor=actor,
        comment=comment,
        article=article,
        text=text,
        url=url,
        links=links or [],
    )


# --- recording ------------------------------------------------------------------------------------------


def record(event: Event, recipient_ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """Store the event for each recipient who may hear of it; (recipients told, those to email at once).

    Skipped: the actor themself, inactive accounts, and readers who muted the actor.
    """
    kind, actor = Kind(event["kind"]), event["actor"]
    readers = User.objects.filter(pk__in=list(recipient_ids), is_active=True)
    if actor is not None:
        readers = readers.exclude(pk=actor).exclude(mutes__muted_id=actor)
    ids = sorted(readers.values_list("pk", flat=True))
    if not ids:
        return [], []
    frequency = selectors.frequencies(ids, kind)
    schedule = {user_id: "" if f == Frequency.OFF else f for user_id, f in frequency.items()}
    if kind in BATCHED:
        for user_id in ids:
            _merge(event, user_id, schedule[user_id])
    else:
        rows = [_row(event, user_id, schedule[user_id]) for user_id in ids]
        Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)  # one per key
    return ids, [user_id for user_id in ids if schedule[user_id] == Frequency.IMMEDIATE]


def _row(event: Event, user_id: int, schedule: str) -> Notification:
    now = timezone.now()
    return Notification(
        recipient_id=user_id,
        kind=event["kind"],
        key=event["key"],
        actor_id=event["actor"],
        actor_ids=[event["actor"]] if event["actor"] and event["kind"] in BATCHED else [],
        comment_id=event["comment"],
        article_id=event["article"],
        text=event["text"],
        url=event["url"],
        links=event.get("links", []),  # events queued before links existed have none
        created_at=now,
        updated_at=now,
        email_schedule=schedule,
    )


def _merge(event: Event, user_id: int, schedule: str) -> None:
    """Count the actor into the recipient's notification for this key (once), making it unread again."""
    for _ in range(2):  # a concurrent first insert of the same key: then it exists, so merge into it
        try:
            with transaction.atomic():
                found = Notification.objects.select_for_update().filter(
                    recipient_id=user_id, key=event["key"]
                )
                row = found.first()
                if row is None:
                    _row(event, user_id, schedule).save()
                elif event["actor"] not in row.actor_ids:
                    row.actor_ids.append(event["actor"])
                    row.count, row.actor_id = len(row.actor_ids), event["actor"]
                    row.updated_at, row.read_at, row.email_schedule = timezone.now(), None, schedule
                    row.save()
            return
        except IntegrityError:
            continue


# --- composing emails ------------------------------------------------------------------------------------


def compose(
    frequency: str, user_ids: Iterable[int] | None = None, older_than: datetime | None = None
) -> list[int]:
    """Create the emails that carry what waits for `frequency` (every reader, or these); their ids.

    Readers who cannot receive email (no confirmed address, inactive) get none: their notifications
    stay in the app.  Each batch of readers is one transaction, so a retry composes nothing twice.
    """
    due = Notification.objects.filter(email_schedule=frequency)
    if user_ids is not None:
        due = due.filter(recipient_id__in=list(user_ids))
    if older_than is not None:
        due = due.filter(updated_at__lte=older_than)
    recipients = sorted(set(due.values_list("recipient_id", flat=True)))
    created: list[int] = []
    for start in range(0, len(recipients), COMPOSE_BATCH):
        created += _compose_batch(frequency, due, recipients[start : start + COMPOSE_BATCH])
    return created


def _compose_batch(frequency: str, due, user_ids: list[int]) -> list[int]:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        rows = list(
            due.filter(recipient_id__in=user_ids).select_for_update().values_list("id", "recipient_id")
        )
        reachable = set(
            User.objects.filter(pk__in=user_ids, is_active=True, email_verified_at__isnull=False)
            .exclude(email="")
            .values_list("pk", flat=True)
        )
        carried: dict[int, list[int]] = defaultdict(list)
        for pk, user_id in rows:
            carried[user_id].append(pk)
        deliveries = [
            EmailDelivery(recipient_id=user_id, frequency=frequency, notification_ids=sorted(ids))
            for user_id, ids in carried.items()
            if user_id in reachable
        ]
        EmailDelivery.objects.bulk_create(deliveries, batch_size=500)
        Notification.objects.filter(pk__in=[pk for pk, _ in rows]).update(email_schedule="")
    return [delivery.pk for delivery in deliveries]


def due_deliveries(now: datetime | None = None, limit: int = 10_000) -> list[int]:
    """Emails waiting to be (re)tried and claimed by nobody alive."""
    now = now or timezone.now()
    waiting = EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING, next_attempt_at__lte=now)
    unclaimed = waiting.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    return list(unclaimed.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


# --- sending --------------------------------------------------------------------------------------------


def send(delivery_ids: list[int], now: datetime | None = None) -> dict[str, int]:
    """Send these emails over one SMTP connection; how many were sent, empty, retried later, failed.

    Only emails this call claims are sent: one sent (or claimed by a live worker) is skipped, so a
    retried task never sends anything twice.
    """
    now = now or timezone.now()
    claim = uuid.uuid4().hex
    claimable = EmailDelivery.objects.filter(
        pk__in=delivery_ids, status=EmailDelivery.Status.PENDING, next_attempt_at__lte=now
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    claimable.update(claim=claim, claimed_until=now + CLAIM_LEASE)
    deliveries = list(EmailDelivery.objects.filter(claim=claim).select_related("recipient").order_by("pk"))
    outcome = {"sent": 0, "empty": 0, "retry": 0, "failed": 0}
    if not deliveries:
        return outcome
    contents = emails.contents_for(deliveries)
    letters, sender = emails.Letters(), emails.address(settings.DEFAULT_FROM_EMAIL)
    connection = get_connection()
    try:
        connection.open()  # one SMTP session for the batch (left closed, each message would open its own)
        for delivery in deliveries:
            email = letters.email(delivery, contents.get(delivery.pk, []))
            outcome[_send_one(delivery, email, connection, sender, claim, now)] += 1
    finally:
        _close_quietly(connection)
    return outcome


def _send_one(  # type: ignore[no-untyped-def]
    delivery: EmailDelivery, email: emails.Email | None, connection, sender: str, claim: str, now: datetime
) -> str:
    if email is None:  # everything it carried stopped being public, or was read meanwhile
        _mine(delivery, claim).update(status=EmailDelivery.Status.EMPTY, claim="", claimed_until=None)
        return "empty"
    try:
        _transmit(connection, email, sender)
    except smtplib.SMTPRecipientsRefused as error:
        if all(code >= 500 for code, _ in error.recipients.values()):
            _mine(delivery, claim).update(
                status=EmailDelivery.Status.FAILED, last_error=str(error)[:2000], claim=""
            )
            return "failed"
        _retry_later(delivery, claim, error, now)
        _close_quietly(connection)
        return "retry"
    except (smtplib.SMTPException, OSError) as error:
        _retry_later(delivery, claim, error, now)
        _close_quietly(connection)
        return "retry"
    _mark_sent(delivery.pk, claim)
    return "sent"


def _mine(delivery: EmailDelivery, claim: str):  # type: ignore[no-untyped-def]
    """The email, while this send holds its claim."""
    return EmailDelivery.objects.filter(pk=delivery.pk, claim=claim)


# Once per email sent: compiled once (agora.prepared), as the ORM took longer to build this UPDATE
# than the database took to run it.
_sent = PreparedUpdate(
    lambda pk, claim, at: (
        EmailDelivery.objects.filter(pk=pk, claim=claim),
        {"status": EmailDelivery.Status.SENT, "sent_at": at, "claim": "", "claimed_until": None},
    ),
    int,
    str,
    datetime,
)


def _mark_sent(pk: int, claim: str) -> None:
    """Mark the email sent, once the server has accepted it (if the worker dies before this, the
    lapsed claim sends that one email again: the window is this one statement, per email)."""
    _sent.run(pk, claim, timezone.now())


def _transmit(connection, email: emails.Email, sender: str) -> None:  # type: ignore[no-untyped-def]
    """Over SMTP, the email's bytes through the batch's session (a new one after a failure closed
    it); through any other backend, as a Django message."""
    if not isinstance(connection, SMTPBackend):
        email.as_django(connection).send()
        return
    if connection.connection is None:
        connection.open()
    session = cast(smtplib.SMTP, connection.connection)  # open
    session.sendmail(sender, [emails.address(email.to)], email.as_bytes(sender))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failure, up to LAST_RETRY."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LAST_RETRY)


def _retry_later(delivery: EmailDelivery, claim: str, error: BaseException, now: datetime) -> None:
    attempts = delivery.attempts + 1
    log.warning("email %s failed (attempt %s): %s", delivery.pk, attempts, error)
    _mine(delivery, claim).update(
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        last_error=f"{type(error).__name__}: {error}"[:2000],
        claim="",
        claimed_until=None,
    )


def _close_quietly(connection) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()
