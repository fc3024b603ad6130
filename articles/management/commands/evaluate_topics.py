"""Print the precision and recall of topic extraction on the hand-labelled articles."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.topics.aliases import KINDS, shipped_table
from articles.topics.evaluation import LABELLED_FILE, Report, evaluate, read_labelled
from articles.topics.extraction import Extractor


class Command(BaseCommand):
    help = (
        "Precision and recall of topic extraction on hand-labelled articles (the shipped alias table), "
        "per set (development: the rules were tuned on it; held-out: never used for tuning) and in all."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--data", default=str(LABELLED_FILE), help="labelled articles (JSON)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--verbose-articles", action="store_true", help="list each article's topics")

    def handle(self, *args: object, **options: object) -> None:
        try:
            labelled = read_labelled(Path(str(options["data"])))
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"Cannot read labelled articles from {options['data']}: {exc}") from exc
        extractor = Extractor(shipped_table())
        sets = sorted({item.get("set", "all") for item in labelled})
        reports = {
            name: evaluate(extractor, [i for i in labelled if i.get("set", "all") == name]) for name in sets
        }
        if len(sets) > 1:
            reports["all"] = evaluate(extractor, labelled)
        if options["json"]:
            self.stdout.write(json.dumps({name: r.as_dict() for name, r in reports.items()}, indent=2))
            return
        for name, report in reports.items():
            self.write_report(name, report, bool(options["verbose_articles"]) and name != "all")

    def write_report(self, name: str, report: Report, per_article: bool) -> None:
        matched = sum(report.correct.values())
        self.stdout.write(
            f"\n== {name}: {len(report.articles)} articles, {sum(report.labelled.values())} labelled topics, "
            f"{sum(report.predicted.values())} predicted, {matched} right"
        )
        self.stdout.write(f"precision {report.precision():.3f}  recall {report.recall():.3f}")
        for kind in KINDS:
            self.stdout.write(
                f"  {kind:<12} precision {report.precision(kind):.3f} ({report.correct[kind]}/"
                f"{report.predicted[kind]})  recall {report.recall(kind):.3f} "
                f"({report.found[kind]}/{report.labelled[kind]})"
            )
        if per_article:
            for result in report.articles:
                self.stdout.write(f"\n{result.headline}")
                self.stdout.write(f"  right:  {', '.join(result.right) or '-'}")
                self.stdout.write(f"  wrong:  {', '.join(result.wrong) or '-'}")
                self.stdout.write(f"  missed: {', '.join(result.missed) or '-'}")
