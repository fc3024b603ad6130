"""The bell's live count: an "unread" event on the reader's own channel whenever it changes.

With REDIS_URL the worker's events reach every web process through Redis.  On the embedded default
(no Redis) the live broker is in-process, and notifications are written by the worker, another
process: each web process with a bell open runs a `Relay`, a thread that reads the notifications
changed in the last moments (one indexed query a second) and publishes their recipients' counts to
its own broker.  Events are hints; a bell that missed one is right again at its next (re)connect.
"""

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from discussions.live import broker
from notifications import selectors
from notifications.models import Notification

log = logging.getLogger(__name__)
PUBLISH_BATCH = 1000


def channel(user_id: int) -> str:
    return f"notifications:{user_id}"


def unread_event(count: int) -> dict:
    return {"type": "unread", "count": count}


def publish_unread(user_ids: list[int]) -> None:
    """Tell these readers' open pages their unread counts (a grouped count per batch of readers)."""
    for start in range(0, len(user_ids), PUBLISH_BATCH):
        counts = selectors.unread_counts(user_ids[start : start + PUBLISH_BATCH])
        for user_id, count in counts.items():
            broker().publish(channel(user_id), unread_event(count))


class Relay:
    """Publishes, in this process, the counts of readers whose notifications another process changed.

    Runs while bells are open here: each bell stream calls `touch()`, and the thread stops once no
    stream has started for longer than a stream lasts.  Rows are found by `updated_at`, re-reading a
    short overlap so that a transaction committing late is not missed (a repeat is a harmless hint).
    """

    INTERVAL = 1.0
    OVERLAP = timedelta(seconds=5)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._touched = 0.0
        self._since = timezone.now()
        self._seen: set[tuple[int, float]] = set()  # (id, updated_at) already published

    def touch(self) -> None:
        with self._lock:
            self._touched = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._since = timezone.now()
                self._thread = threading.Thread(target=self._run, name="notifications-relay", daemon=True)
                self._thread.start()

    def _idle(self) -> bool:
        return time.monotonic() - self._touched > settings.LIVE_STREAM_SECONDS + 30

    def _run(self) -> None:
        try:
            while not self._idle():
                try:
                    self.tick()
                except Exception:  # the database went away a moment: try again next second
                    log.exception("notifications relay")
                time.sleep(self.INTERVAL)
        finally:
            close_old_connections()

    def tick(self) -> list[int]:
        """Publish the counts of readers with notifications changed since the last tick; their ids."""
        now = timezone.now()
        rows = Notification.objects.filter(updated_at__gte=self._since - self.OVERLAP).values_list(
            "recipient_id", "id", "updated_at"
        )
        fresh = {(pk, updated.timestamp()): recipient for recipient, pk, updated in rows}
        recipients = sorted({recipient for item, recipient in fresh.items() if item not in self._seen})
        self._seen, self._since = set(fresh), now
        publish_unread(recipients)
        return recipients


relay = Relay()
