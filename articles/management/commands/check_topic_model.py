"""Check the installed spaCy model against its wheel's RECORD and its own meta.json."""

from django.core.management.base import BaseCommand, CommandError

from articles.topics.model_check import DISTRIBUTION, EXPECTED_VERSION, check_model


class Command(BaseCommand):
    help = "Check that the installed topic-extraction model is the pinned one, whole, as its meta describes."

    def handle(self, *args: object, **options: object) -> None:
        problems = check_model()
        if problems:
            raise CommandError("The topic model fails its checks:\n  " + "\n  ".join(problems))
        self.stdout.write(
            f"{DISTRIBUTION} {EXPECTED_VERSION}: every file matches RECORD; meta, config and pipeline agree."
        )
