"""Import a publisher's past moderation decisions as labelled examples for site adaptation.

    python manage.py import_moderation_history FILE.csv[.gz]

Columns: ``text``, ``label`` (1 taken down, 0 stayed up), optional ``created`` and ``section``.
A file with any bad row is refused whole, with an error per row; nothing is half-imported.
Then run ``manage.py adapt_moderation_model``.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moderation.history import HistoryError, import_history


class Command(BaseCommand):
    help = "Import past moderation decisions (text,label[,created,section]) for site adaptation."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV or gzip CSV")

    def handle(self, *args, **options):
        try:
            imported = import_history(options["file"])
        except HistoryError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Imported {imported.rows} decisions ({imported.taken_down} taken down) "
            f"as batch “{imported.batch}”. "
            "Run `manage.py adapt_moderation_model` to learn from them."
        )
