"""Train the comment-moderation model and write ``moderation/artifacts/toxicity_linear.npz``.

    python manage.py train_moderation_model [--data-dir DIR] [--output FILE]

Reads the CSVs of ``shared/data/moderation`` (see its README.md; never its test-only files), prints
the validation figures per source and writes the artifact. Deterministic: the same data give the
same artifact, byte for byte. About three minutes on one core.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from moderation.classifier import DEFAULT_ARTIFACT, reset_model
from moderation.training.data import CATEGORIES
from moderation.training.train import TrainingConfig, train_and_write

STAGES = [
    "loading data",
    "featurising",
    "fitting toxicity",
    *(f"fitting {c}" for c in CATEGORIES),
    "writing artifact",
]


def default_data_dir() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "moderation"


class Command(BaseCommand):
    help = "Train the toxicity model from the moderation data sets and write its artifact."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=Path, default=None, help="folder with the moderation CSVs")
        parser.add_argument("--output", type=Path, default=DEFAULT_ARTIFACT, help="artifact file to write")
        parser.add_argument(
            "--C", type=float, default=None, help="inverse regularisation of the toxicity head"
        )
        parser.add_argument("--json", action="store_true", help="also print the validation figures as JSON")

    def handle(self, *args, **options):
        data_dir = options["data_dir"] or default_data_dir()
        if not Path(data_dir).is_dir():
            raise CommandError(f"data directory not found: {data_dir}")
        config = TrainingConfig()
        if options["C"] is not None:
            config.C = options["C"]
        bar = tqdm(total=len(STAGES), desc="training", unit="stage", disable=False, file=sys.stderr)

        def progress(stage: str) -> None:
            if bar.n or stage != STAGES[0]:
                bar.update(1)
            bar.set_postfix_str(stage)

        try:
            result, size, examples = train_and_write(Path(data_dir), options["output"], config, progress)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.update(bar.total - bar.n)
            bar.close()
        reset_model()
        self._report(result, size, len(examples), options)

    def _report(self, result, size, n_examples, options):
        out = self.stdout.write
        tox = result.validation["toxicity"]
        out(
            f"Trained on {n_examples} rows in {result.seconds} s; "
            f"artifact {options['output']} ({size / 1e6:.2f} MB)"
        )
        threshold = tox["threshold"]
        out(
            f"Hold threshold {threshold['threshold']} (validation: mean leak {threshold['leak']}, "
            f"mean false holds {threshold['false_holds']}); pooled validation AUC {tox['pooled_auc']} "
            f"(before pruning {tox['pooled_auc_unpruned']})"
        )
        out("Validation, toxicity head, per source:")
        out(f"  {'source':16s} {'rows':>6s} {'pos':>6s} {'AUC':>7s} {'leak':>6s} {'false_holds':>11s}")
        for source, row in tox["per_source"].items():
            auc = row.get("auc", row.get("auc_vs_all_clean"))
            out(
                f"  {source:16s} {row['rows']:6d} {row['positives']:6d} {_fmt(auc):>7s} "
                f"{_fmt(row.get('leak')):>6s} {_fmt(row.get('false_holds')):>11s}"
            )
            if "auc_vs_agora_civil" in row:
                out(
                    f"  {'':16s} AUC against the held-out civil samples only: "
                    f"{_fmt(row['auc_vs_agora_civil'])}"
                )
        out("Validation, category heads (AUC against all negatives / among toxic comments only):")
        for category in CATEGORIES:
            row = result.validation[category]
            out(
                f"  {category:16s} {_fmt(row['auc'])} / {_fmt(row['auc_among_toxic'])} "
                f"({row['val_positives']} positives)"
            )
        if options["json"]:
            out(json.dumps(result.validation, sort_keys=True))


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"
