"""`manage.py ingest SOURCE`: wire copy, an HTML article page or an RSS/Atom feed, from a file or URL."""

import sys
import time
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from articles.ingest.feeds import FeedItem
from articles.ingest.pipeline import Ingestor, Options, Outcome
from articles.ingest.sources import IngestError
from articles.models import Article
from articles.tasks import queue_topics


class IngestFailed(CommandError):
    """Exit status 1.  Django prints a CommandError as "<class name>: <message>" on stderr."""


# So the command line reads "error: SOURCE: PROBLEM"; tracebacks still say IngestFailed.
IngestFailed.__name__ = "error"


def non_negative_seconds(value: str) -> float:
    seconds = float(value)
    if seconds < 0:
        raise ArgumentTypeError("must be zero or more seconds")
    return seconds


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ArgumentTypeError("must be 1 or more")
    return number


class Command(BaseCommand):
    help = (
        "Ingest articles from SOURCE, a file or an http(s) URL holding plain-text wire copy, "
        "an HTML article page, or an RSS/RDF/Atom feed (one article per item). Ingesting the "
        "same story again updates it. Exits with status 1 when anything could not be ingested. "
        "A feed's topics are extracted in the background, by the task worker `make run` starts."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("source", help="a file path or an http(s) URL")
        parser.add_argument(
            "--section", default="", help=f"section slug (default: {settings.INGEST_DEFAULT_SECTION})"
        )
        parser.add_argument(
            "--source",
            dest="agency",
            default="",
            help="agency to credit (AFP, Reuters ...), over what the copy says",
        )
        parser.add_argument(
            "--status",
            choices=Article.Status.values,
            default=None,
            help="status of new articles (default: published); updates keep theirs unless given",
        )
        parser.add_argument(
            "--watch",
            action="store_true",
            help="poll the source every --interval seconds (conditional GET for URLs); a failed "
            "poll is reported and the next one tried",
        )
        parser.add_argument(
            "--interval",
            type=non_negative_seconds,
            default=300.0,
            help="seconds between polls with --watch (default 300)",
        )
        parser.add_argument(
            "--max-polls",
            type=positive_int,
            default=None,
            help="with --watch, stop after N polls (for cron and tests); default: poll until stopped",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source, watch = options["source"], options["watch"]
        chosen = Options(options["section"], options["agency"], options["status"])
        ingestor = Ingestor(source, chosen, topics_later=queue_topics)
        self.verbosity = options["verbosity"]
        polls = failures = 0
        try:
            while True:
                polls += 1
                failures += self.poll_once(ingestor, keep_going=watch)
                if not watch or polls == options["max_polls"]:
                    break
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            self.say(f"stopped after {polls} poll{'s' if polls > 1 else ''}")
        if failures:
            raise IngestFailed(f"{source}: {failures} failure{'s' if failures > 1 else ''}, reported above")

    def poll_once(self, ingestor: Ingestor, *, keep_going: bool) -> int:
        """Fetch and store once; the number of failures.  Without keep_going, an IngestError ends the run."""
        try:
            items = ingestor.poll()
            if items is None:
                self.say(f"not modified: {ingestor.source}", min_verbosity=2)
                return 0
            return sum(self.report(ingestor.source, ingestor.store(item)) for item in self.progress(items))
        except IngestError as exc:
            if not keep_going:
                raise IngestFailed(str(exc)) from exc
            self.say(f"error: {exc}", error=True)
            return 1

    def report(self, source: str, outcome: Outcome) -> bool:
        """Print one line for the outcome; True when it is a failure."""
        if outcome.problem:
            self.say(f"error: {source}: {outcome.label}: {outcome.problem}", error=True)
        elif outcome.article is None:
            self.say(f"unchanged: {outcome.label}", min_verbosity=2)
        else:
            verb = "created" if outcome.created else "updated"
            self.say(f"{verb}: {outcome.article.headline} ({outcome.article.get_absolute_url()})")
        return bool(outcome.problem)

    def say(self, line: str, *, error: bool = False, min_verbosity: int = 1) -> None:
        """Print a line (errors always, on stderr) without tearing a progress bar on the terminal."""
        if error or self.verbosity >= min_verbosity:
            with tqdm.external_write_mode(file=sys.stderr):
                (self.stderr if error else self.stdout).write(line)

    def progress(self, items: list[FeedItem]) -> Iterable[FeedItem]:
        """A progress bar on stderr for a feed of many items, when stderr is a terminal."""
        return tqdm(
            items,
            file=sys.stderr,
            unit="item",
            leave=False,
            disable=len(items) <= 1 or not self.stderr.isatty(),
        )
