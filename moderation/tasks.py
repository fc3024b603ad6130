"""Moderation's periodic work, run by the task scheduler (agora/celery.py; was a cron job)."""

from celery import shared_task

from moderation import heat


@shared_task(name="moderation.sweep_heat_guards")
def sweep_heat_guards() -> int:
    """Release heat guards calm for long enough (`manage.py heat_guard --sweep` does the same by hand)."""
    return len(heat.sweep())
