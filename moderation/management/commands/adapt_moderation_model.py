"""Fit a site layer on the site's own moderation decisions; adopt it only if it helps.

    python manage.py adapt_moderation_model [--data-dir DIR] [--schedule]

Prints the figures it was judged on (held-out AUC of the site's decisions before/after, the worst
AUC loss on the base validation sets) and whether it was adopted. Every run is recorded as a model
version (dashboard: "Model"); moderators can roll back there. ``--schedule`` records the run as the
weekly schedule's (what a background task calls: ``moderation.adaptation.scheduled_adaptation``).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moderation.adaptation import AdaptationError, adapt, load_base_validation
from moderation.models import ModelVersion


class Command(BaseCommand):
    help = "Adapt the moderation model to this site's own decisions (adopted only when it helps)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", type=Path, default=None, help="the moderation data sets (base validation)"
        )
        parser.add_argument("--schedule", action="store_true", help="record the run as the weekly schedule's")
        parser.add_argument("--json", action="store_true", help="print the version's record as JSON")

    def handle(self, *args, **options):
        trigger = ModelVersion.Trigger.SCHEDULE if options["schedule"] else ModelVersion.Trigger.MANUAL
        try:
            version = adapt(trigger=trigger, base=load_base_validation(options["data_dir"]))
        except AdaptationError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            record = {"id": version.pk, "adopted": version.adopted, "note": version.note}
            self.stdout.write(json.dumps({**record, "counts": version.counts, "figures": version.figures}))
            return
        self.stdout.write(f"Model version {version.pk}: {version.note}")
        self.stdout.write(f"Examples: {json.dumps(version.counts)}")
