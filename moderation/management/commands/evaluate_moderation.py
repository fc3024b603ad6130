"""Evaluate the moderation model, and alt-profanity-check beside it, on a labelled CSV file.

    python manage.py evaluate_moderation --data FILE.csv[.gz] [--json] [--hold-threshold X]

The file needs ``text`` and ``label`` (1 = hold) columns. Where it has a ``split`` column only the
``split == "test"`` rows are used. Reported for both scorers:

* ROC AUC on ``label``, and on every other 0/1 label column (scored by the matching category head:
  ``insult``, ``threat``, ``identity_hate`` ... or by ``toxicity``); ``mean_auc`` is their mean, or the
  AUC on ``label`` when there are none;
* at the hold threshold, ``leak`` (share of positives published) and ``false_holds`` (share of clean
  comments held); alt-profanity-check is cut at 0.5, as its ``predict`` does;
* ``p50_ms``/``p99_ms``, single-comment latency, and ``per_second``, batched throughput, on one thread;
* accuracy per ``functionality`` where the file has that column (HateCheck).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moderation.classifier import ModelUnavailable, hold_threshold
from moderation.evaluation import (
    BASELINE_NAME,
    BASELINE_THRESHOLD,
    EvaluationError,
    evaluate_baseline,
    evaluate_ours,
    load_baseline,
    load_eval_data,
)


class Command(BaseCommand):
    help = "ROC AUC, leak / false holds and speed of the moderation model (and alt-profanity-check) on a CSV."

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True, help="CSV or gzip CSV with text and label")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
        parser.add_argument("--hold-threshold", type=float, default=None, help="default: the configured one")
        parser.add_argument(
            "--label-columns", default=None, help="comma-separated extra 0/1 label columns (default: detect)"
        )
        parser.add_argument("--latency-samples", type=int, default=1000, help="comments timed one by one")
        parser.add_argument("--no-baseline", action="store_true", help="skip alt-profanity-check")

    def handle(self, *args, **options):
        columns = options["label_columns"]
        try:
            data = load_eval_data(
                options["data"], [c.strip() for c in columns.split(",") if c.strip()] if columns else None
            )
        except EvaluationError as exc:
            raise CommandError(str(exc)) from exc
        threshold = options["hold_threshold"]
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise CommandError("--hold-threshold must be between 0 and 1")
        samples = max(1, options["latency_samples"])
        try:
            threshold = hold_threshold() if threshold is None else threshold
            ours = evaluate_ours(data, threshold, samples)
        except ModelUnavailable as exc:
            raise CommandError(str(exc)) from exc
        baseline_note = None
        baseline = None
        if options["no_baseline"]:
            baseline_note = "skipped (--no-baseline)"
        elif load_baseline() is None:
            baseline_note = (
                f"{BASELINE_NAME} is not installed (pip install -r requirements-dev.txt): no baseline"
            )
            self.stderr.write(baseline_note)
        else:
            baseline = evaluate_baseline(data, samples)
        result = {
            "data": str(options["data"]),
            "rows": len(data.texts),
            "positives": int(data.labels.sum()),
            "split": "test" if data.split_filtered else None,
            **ours,
            "baseline": baseline,
        }
        if baseline_note:
            result["baseline_note"] = baseline_note
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True))
        else:
            self._report(result)

    def _report(self, result: dict) -> None:
        out = self.stdout.write
        split = " (split == test)" if result["split"] else ""
        out(f"{result['data']}: {result['rows']} rows{split}, {result['positives']} positives")
        baseline = result["baseline"] or {}
        name = f"{BASELINE_NAME} (>= {BASELINE_THRESHOLD})"
        out(f"{'':22s} {'ours (>= ' + str(result['hold_threshold']) + ')':>20s} {name:>30s}")
        rows: list[tuple[str, str | tuple[str, str]]] = [("ROC AUC (label)", "auc"), ("mean AUC", "mean_auc")]
        rows += [(f"AUC {column}", ("label_columns", column)) for column in result["label_columns"]]
        rows += [
            ("leak (toxic published)", "leak"),
            ("false holds", "false_holds"),
            ("p50 ms (single)", "p50_ms"),
            ("p99 ms (single)", "p99_ms"),
            ("per second (batch)", "per_second"),
        ]
        for title, key in rows:
            out(f"{title:22s} {_get(result, key):>20s} {_get(baseline, key):>30s}")
        if result.get("baseline_note"):
            out(f"baseline: {result['baseline_note']}")
        if "functionality_accuracy" in result:
            out("Accuracy per functionality (ours / baseline):")
            base_acc = baseline.get("functionality_accuracy", {})
            for function, row in result["functionality_accuracy"].items():
                theirs = base_acc.get(function, {}).get("accuracy")
                out(f"  {function:24s} n={row['n']:4d}  {row['accuracy']:.3f} / {_fmt(theirs)}")


def _get(figures: dict, key) -> str:
    if isinstance(key, tuple):
        figures = figures.get(key[0], {}) if figures else {}
        key = key[1]
    return _fmt(figures.get(key) if figures else None)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if value < 10 else f"{value:.1f}"
    return str(value)
