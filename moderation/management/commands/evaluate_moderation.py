"""Evaluate the moderation model, and alt-profanity-check beside it, on a labelled CSV file.

    python manage.py evaluate_moderation --data FILE.csv[.gz] [--json] [--hold-threshold X] [--target T]
    python manage.py evaluate_moderation --simulate-site HISTORY.csv --data TEST.csv [--json]

The file needs ``text`` and ``label`` (1 = hold) columns. Where it has a ``split`` column only the
``split == "test"`` rows are used. Reported for both scorers:

* ``auc``: ROC AUC of ``toxicity`` on ``label``; ``label_columns``: AUC on every other 0/1 column
  (scored by the matching head: ``insult``, ``threat``, ``identity_hate`` ... or ``toxicity``);
  ``mean_auc``: the mean over the columns that label a harm, named in ``mean_auc_columns`` (so UCC's
  ``healthy`` is reported but not averaged), or ``auc`` when there are none;
* ``heads``: each deciding head's AUC on the labels that fit its meaning (a hate data set's ``label``
  is ``identity_attack``'s, any other file's is ``toxicity``'s; ``--label-head`` overrides);
* ``operating_point``: the thresholds used (the site's policy target, 5 % of civil comments held by
  default, through the running model's threshold tables; or ``--hold-threshold``), with the
  false-hold and leak rates the tables expect; ``leak`` (share of positives published) and
  ``false_holds`` (share of clean comments held) are measured there, holding on either head;
  alt-profanity-check is cut at 0.5, as its ``predict`` does;
* ``per_source``: the same figures per value of the file's ``source`` column;
* ``p50_ms``/``p99_ms``, single-comment latency, and ``per_second``, batched throughput, on one thread;
* accuracy per ``functionality`` where the file has that column (HateCheck), and the share of hateful
  cases caught and of non-hateful ones held (by the policy, and by the label's head alone).

``--simulate-site HISTORY`` imports HISTORY as a site's past decisions into a scratch database (rolled
back at the end: nothing is kept), adapts the model to it as ``adapt_moderation_model`` does, and prints
the figures on TEST before and after (``simulation``). A model adapted there is a measurement only.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agora.snapshots import invalidate
from moderation import adaptation, policy, versions
from moderation.classifier import DECIDING_HEADS, ModelUnavailable, SiteLayer, ThresholdTables
from moderation.evaluation import (
    BASELINE_NAME,
    BASELINE_THRESHOLD,
    EvalData,
    EvaluationError,
    OperatingPoint,
    evaluate_baseline,
    evaluate_ours,
    load_baseline,
    load_eval_data,
)
from moderation.history import HistoryError, import_history


class _Rollback(Exception):
    """Raised to roll the scratch database of --simulate-site back."""


def operating_point(tables: ThresholdTables, fixed: float | None, target: float | None) -> OperatingPoint:
    """The site's thresholds (or a fixed toxicity threshold), with what the tables expect there."""
    if fixed is not None:
        thresholds = {
            "toxicity": fixed,
            "identity_attack": tables.for_target(policy.site_target())["identity_attack"],
        }
        source = "--hold-threshold"
    else:
        target = target if target is not None else policy.site_target()
        thresholds, source = tables.for_target(target), "target"
    expected = policy.expected_rates(tables, thresholds["toxicity"], thresholds["identity_attack"])
    return OperatingPoint(thresholds, source, None if fixed is not None else target, {"expected": expected})


class Command(BaseCommand):
    help = "ROC AUC, leak / false holds and speed of the moderation model (and alt-profanity-check) on a CSV."

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True, help="CSV or gzip CSV with text and label")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
        parser.add_argument("--hold-threshold", type=float, default=None, help="a fixed toxicity threshold")
        parser.add_argument("--target", type=float, default=None, help="share of civil comments held (0-1)")
        parser.add_argument(
            "--label-columns", default=None, help="comma-separated extra 0/1 label columns (default: detect)"
        )
        parser.add_argument(
            "--label-head", choices=DECIDING_HEADS, default=None, help="the head `label` means"
        )
        parser.add_argument("--latency-samples", type=int, default=1000, help="comments timed one by one")
        parser.add_argument("--no-baseline", action="store_true", help="skip alt-profanity-check")
        parser.add_argument(
            "--simulate-site", type=Path, default=None, help="history CSV to adapt to (scratch)"
        )
        parser.add_argument(
            "--base-data-dir", type=Path, default=None, help="base validation sets (simulation)"
        )

    def handle(self, *args, **options):
        columns = options["label_columns"]
        try:
            data = load_eval_data(
                options["data"],
                [c.strip() for c in columns.split(",") if c.strip()] if columns else None,
                options["label_head"],
            )
        except EvaluationError as exc:
            raise CommandError(str(exc)) from exc
        fixed, target = options["hold_threshold"], options["target"]
        if fixed is not None and not 0.0 <= fixed <= 1.0:
            raise CommandError("--hold-threshold must be between 0 and 1")
        if target is not None and not 0.0 < target < 1.0:
            raise CommandError("--target must be between 0 and 1 (0.05: hold at most 5 % of civil comments)")
        samples = max(1, options["latency_samples"])
        try:
            running = versions.current()
            ours = evaluate_ours(data, operating_point(running.tables, fixed, target), samples, running.layer)
            simulation = (
                self._simulate(data, options, fixed, target, samples) if options["simulate_site"] else None
            )
        except ModelUnavailable as exc:
            raise CommandError(str(exc)) from exc
        result = {
            "data": str(options["data"]),
            "rows": len(data.texts),
            "positives": int(data.labels.sum()),
            "split": "test" if data.split_filtered else None,
            "label_head": data.label_head,
            "model_version": running.version_id,
            "thresholds_from": running.tables_from,
            **ours,
            "baseline": self._baseline(data, options, samples),
        }
        if options.get("baseline_note"):
            result["baseline_note"] = options["baseline_note"]
        if simulation is not None:
            result["simulation"] = simulation
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True))
        else:
            self._report(result)

    def _baseline(self, data: EvalData, options: dict, samples: int) -> dict | None:
        if options["no_baseline"]:
            options["baseline_note"] = "skipped (--no-baseline)"
            return None
        if load_baseline() is None:
            options["baseline_note"] = (
                f"{BASELINE_NAME} is not installed (pip install -r requirements-dev.txt): no baseline"
            )
            self.stderr.write(options["baseline_note"])
            return None
        return evaluate_baseline(data, samples)

    def _simulate(self, data: EvalData, options: dict, fixed, target, samples: int) -> dict:  # type: ignore[no-untyped-def]
        """Import the history, adapt and measure inside a transaction that is always rolled back."""
        base = adaptation.load_base_validation(options["base_data_dir"])
        outcome: dict = {}
        try:
            with transaction.atomic():
                imported = import_history(options["simulate_site"])
                invalidate(versions.VERSIONS_SNAPSHOT)
                version = adaptation.adapt(base=base)
                layer = SiteLayer.from_bytes(bytes(version.layer or b""))
                tables = ThresholdTables.from_json(version.tables) if version.tables else None
                outcome = {
                    "history": str(options["simulate_site"]),
                    "imported": imported.rows,
                    "adopted": version.adopted,
                    "note": version.note,
                    "counts": version.counts,
                    "checks": version.figures,
                }
                raise _Rollback
        except _Rollback:
            pass
        except (HistoryError, adaptation.AdaptationError) as exc:
            raise CommandError(f"--simulate-site: {exc}") from exc
        finally:
            invalidate(versions.VERSIONS_SNAPSHOT)
        before = evaluate_ours(data, operating_point(versions.current().tables, fixed, target), samples)
        tables = tables or versions.current().tables
        after = evaluate_ours(data, operating_point(tables, fixed, target), samples, layer)
        keys = ("auc", "mean_auc", "leak", "false_holds", "operating_point", "heads")
        outcome["before"] = {key: before[key] for key in keys}
        outcome["after"] = {key: after[key] for key in keys}
        outcome["auc_gain"] = round((after["auc"] or 0.0) - (before["auc"] or 0.0), 4)
        return outcome

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
        point = result["operating_point"]
        out(f"operating point: {json.dumps(point)}")
        for head, figures in result["heads"].items():
            out(f"head {head}: {json.dumps(figures)}")
        for source, figures in result["per_source"].items():
            out(f"source {source}: {json.dumps(figures)}")
        if result.get("simulation"):
            sim = result["simulation"]
            out(f"simulated site ({sim['history']}, {sim['imported']} decisions): {sim['note']}")
            for when in ("before", "after"):
                row = sim[when]
                out(
                    f"  {when:6s} AUC {_fmt(row['auc'])} leak {_fmt(row['leak'])} "
                    f"false holds {_fmt(row['false_holds'])}"
                )
        if "functionality_accuracy" in result:
            out("Accuracy per functionality (ours / baseline):")
            base_acc = baseline.get("functionality_accuracy", {})
            for function, row in result["functionality_accuracy"].items():
                theirs = base_acc.get(function, {}).get("accuracy")
                out(f"  {function:24s} n={row['n']:4d}  {row['accuracy']:.3f} / {_fmt(theirs)}")
            out(f"caught / held: {json.dumps(result['functionality_summary'])}")


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
