"""The effects of stored posts and edits, on the task queue where there is one (posting.aftermath says
what they are and why they may run twice)."""

import logging
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction

from agora.celery import app as celery_app
from discussions import events, notices
from discussions.models import Comment
from posting import aftermath

log = logging.getLogger(__name__)


@shared_task(
    name="posting.aftermath",
    autoretry_for=(Exception,),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=8,
)
def run_aftermath(effects: list[dict]) -> int:
    """Run a batch of effects; a failed batch is retried whole, which counts nothing twice."""
    aftermath.run(effects)
    return len(effects)


def after_commit(comment: Comment, effect: dict) -> None:
    """Once the current transaction commits: the cached pages and the live event now (a cache bump and
    a publish: what the author and open pages need at once; the notifications they start are tasks of
    their own), then the effect queued for the heat guard."""
    transaction.on_commit(partial(_committed, comment, effect), robust=True)


def _committed(comment: Comment, effect: dict) -> None:
    if effect["what"] == aftermath.POSTED:
        events.comment_published(comment)  # its reply and mention notifications: notifications' tasks
        dispatch([effect])
    else:
        events.comment_changed(comment)
        notices.comment_published(comment)  # it may mention someone new


def dispatch(effects: list[dict]) -> None:
    """To the task queue where one exists; else (and should queueing fail) to this process's runner."""
    if has_task_queue():
        try:
            run_aftermath.delay(effects)
            return
        except Exception:  # the broker is unreachable: run them here rather than lose them
            log.exception("Could not queue %d post effects; running them in this process", len(effects))
    aftermath.runner.put(effects)


def has_task_queue() -> bool:
    """A broker with workers (Redis, AMQP), or tasks run at once (the tests); not the embedded default."""
    eager = bool(celery_app.conf.task_always_eager)
    return eager or not settings.CELERY_BROKER_URL.startswith("filesystem:")
