"""Operate the heat guard (moderation.heat) from cron or a shell.

    python manage.py heat_guard --sweep     # release guards calm for long enough (run every minute)
    python manage.py heat_guard [--status]  # list the engaged guards and their figures

The sweep is what lifts a guard on an article whose page is served from the cache (nobody's
request evaluates it); it also writes every engaged guard back to the cache.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from moderation import heat


class Command(BaseCommand):
    help = "Release calm heat guards (--sweep, for cron) or list the engaged ones (--status, the default)."

    def add_arguments(self, parser):
        parser.add_argument("--sweep", action="store_true", help="release guards calm for long enough")
        parser.add_argument("--status", action="store_true", help="list engaged guards (the default)")

    def handle(self, *args, sweep: bool = False, status: bool = False, **options):
        now = timezone.now()
        if sweep:
            released = heat.sweep(now)
            for guard in released:
                self.stdout.write(f"released: {guard.thread} (thread {guard.thread_id})")
            self.stdout.write(f"{len(released)} heat guard(s) released.")
        if status or not sweep:
            self._status(now)

    def _status(self, now) -> None:  # type: ignore[no-untyped-def]
        limits = heat.current_limits()
        guards = list(heat.engaged_guards())
        if not guards:
            self.stdout.write("No heat guard is engaged.")
        for guard in guards:
            figures = heat.window_figures(guard, now, limits)
            calm_for = int((now - guard.last_heated_at).total_seconds() // 60)
            self.stdout.write(
                f"{guard.thread} (thread {guard.thread_id}): {guard.get_mode_display().lower()} "
                f"since {timezone.localtime(guard.engaged_at):%Y-%m-%d %H:%M}; now "
                f"{figures.flagged_share:.0%} flagged of {figures.comments:.0f}, "
                f"{figures.rate_per_minute:.1f}/min; calm for {calm_for} of {limits.calm_minutes} min"
            )
