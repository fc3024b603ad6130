"""Background tasks (Celery).  Each is safe to run twice: see notifications.delivery."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from notifications import delivery, live
from notifications.delivery import Event

SEND_BATCH = 200  # emails per send task: one SMTP connection each


@shared_task(name="notifications.record")
def record(event: Event, recipient_ids: list[int]) -> int:
    """Store an event for its recipients, update their bells, and queue the emails due at once."""
    told, immediate = delivery.record(event, recipient_ids)
    live.publish_unread(told)
    if immediate:
        compose_immediate.apply_async((immediate,), countdown=settings.NOTIFICATIONS_IMMEDIATE_DELAY)
    return len(told)


@shared_task(name="notifications.compose_immediate")
def compose_immediate(user_ids: list[int]) -> int:
    """One email per reader with what waits for an immediate email (a burst arrives as one)."""
    return queue_sending(delivery.compose("immediate", user_ids))


@shared_task(name="notifications.compose_digests")
def compose_digests(frequency: str) -> int:
    """The daily or weekly digest of every reader with something waiting for it (the scheduler)."""
    return queue_sending(delivery.compose(frequency))


@shared_task(name="notifications.send")
def send(delivery_ids: list[int]) -> dict[str, int]:
    return delivery.send(delivery_ids)


@shared_task(name="notifications.sweep")
def sweep() -> int:
    """Every minute (the scheduler): emails due a retry, and immediate ones whose task was lost."""
    stale = timezone.now() - 2 * timedelta(seconds=max(settings.NOTIFICATIONS_IMMEDIATE_DELAY, 60))
    delivery.compose("immediate", older_than=stale)  # what is composed here is due, so sent below
    return queue_sending(delivery.due_deliveries())


def queue_sending(delivery_ids: list[int]) -> int:
    for start in range(0, len(delivery_ids), SEND_BATCH):
        send.delay(delivery_ids[start : start + SEND_BATCH])
    return len(delivery_ids)
