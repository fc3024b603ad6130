"""What follows a stored post or edit, after its transaction commits and off the request.

Right after the commit, in the request (posting.tasks.after_commit): the thread's cached pages and
API reads are invalidated and the live event is published (cache increments and one publish: the
author's next page and open pages need them at once, and a worker process could not reach an
in-process live broker); the reply and mention notifications go to notifications' own task.  The
heat guard's count of the comment is an *effect*, a small dict, run in batches by `run`, counted
once per comment (see `_count_heat`).

Where the effects run (posting.tasks.dispatch): on the task queue when there is one, a Redis or
AMQP broker, where a worker retries a failed batch; on the embedded default (kombu's filesystem
transport) in this process, on one background thread that waits BATCH_SECONDS after the first effect
arrives and then takes whatever has queued up as one batch (counting a batch costs about as much as
counting one comment, and under load that was a few milliseconds of every post).  Tests run tasks
eagerly, so effects run at the commit, in the test.  Nothing here can turn a stored comment into an
error: a failure is logged and retried, never raised to the author.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from datetime import datetime

from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Max

from discussions.models import Comment
from moderation import heat
from posting.models import Counted

log = logging.getLogger(__name__)
POSTED, EDITED = "posted", "edited"
LOCAL_RETRIES = 3  # in-process: a failed batch is tried again this many times, a second apart
BATCH_SECONDS = 0.5  # in-process: how long effects gather into a batch (the guard still switches in seconds)


def posted(comment: Comment, steps: list[dict]) -> dict:
    """A new comment went through the checks (`steps`: its decision's): tell, notify, count."""
    return {"what": POSTED, "comment": comment.pk, "thread": comment.thread_id, "flagged": heat.flags(steps)}


def edited(comment: Comment) -> dict:
    """An edit was saved: tell open pages, notify whoever it mentions now."""
    return {"what": EDITED, "comment": comment.pk, "thread": comment.thread_id}


# --- running a batch -------------------------------------------------------------------------------------


def run(effects: list[dict]) -> None:
    """Run a batch of effects.  Safe to run again after a failure: the heat guard counts each comment
    once (a marker per comment, in the transaction that counts it)."""
    _count_heat([effect for effect in effects if effect["what"] == POSTED])


def _count_heat(posted_effects: list[dict]) -> None:
    """Count new comments into their threads' heat windows, each comment once however often a batch
    runs: a marker row per comment is written in the transaction that counts it."""
    ids = set(
        Comment.objects.filter(pk__in=[e["comment"] for e in posted_effects]).values_list("pk", flat=True)
    )
    posted_effects = [effect for effect in posted_effects if effect["comment"] in ids]
    if not posted_effects:
        return
    keys = {f"heat:{e['comment']}": e for e in posted_effects}
    with transaction.atomic():
        done = set(Counted.objects.filter(key__in=keys).values_list("key", flat=True))
        fresh = [effect for key, effect in keys.items() if key not in done]
        if not fresh:
            return
        Counted.objects.bulk_create([Counted(key=f"heat:{e['comment']}") for e in fresh])
        by_thread: dict[int, list[dict]] = defaultdict(list)
        for effect in fresh:
            by_thread[effect["thread"]].append(effect)
        latest = _posted_at([e["comment"] for e in fresh])
        for thread_id, counted in sorted(by_thread.items()):
            flagged = sum(1 for e in counted if e["flagged"])
            heat.feed(thread_id, posted=len(counted), flagged=flagged, now=latest.get(thread_id))


def _posted_at(comment_ids: list[int]) -> dict[int, datetime]:
    """When the newest of these comments was posted, per thread (the window counts them then)."""
    rows = Comment.objects.filter(pk__in=comment_ids).values("thread_id").annotate(at=Max("created_at"))
    return {row["thread_id"]: row["at"] for row in rows}


# --- in this process, on the embedded default --------------------------------------------------------------


class Runner:
    """One background thread that runs queued effects in batches: what arrives within BATCH_SECONDS of
    a batch's first effect, and whatever queued while it worked."""

    def __init__(self) -> None:
        self._queue: queue.Queue[list[dict]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, effects: list[dict]) -> None:
        self._queue.put(effects)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="posting-aftermath", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            batch = list(self._queue.get())
            threading.Event().wait(BATCH_SECONDS)
            while not self._queue.empty():
                batch.extend(self._queue.get_nowait())
            for attempt in range(1 + LOCAL_RETRIES):
                try:
                    run(batch)
                    break
                except IntegrityError:  # another process counted some of them first: look again
                    continue
                except Exception:
                    log.exception("Post effects failed (attempt %d)", attempt + 1)
                    threading.Event().wait(1.0)
                finally:
                    close_old_connections()


runner = Runner()
