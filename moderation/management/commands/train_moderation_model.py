"""Train the comment-moderation model and write ``moderation/artifacts/toxicity_linear.npz`` and
its second stage ``moderation/artifacts/stage2_minilm.npz``.

    python manage.py train_moderation_model [--data-dir DIR] [--output FILE] [--json]
    python manage.py train_moderation_model --stage2-only   # the second stage, on the installed first

The second stage encodes about 35,000 texts with all-MiniLM-L6-v2 the first time (about 20 minutes on
two cores); the embeddings are cached in ``var/stage2/``, so a rerun takes a minute.

Reads the CSVs of ``shared/data/moderation`` (see its README.md; never its test or evaluate-only
files) and alt-profanity-check's model (a dev dependency), prints the validation figures per head
and source, and writes the artifact. Deterministic: the same data give the same artifact, byte for
byte. About four minutes on one core.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from moderation.classifier import DEFAULT_ARTIFACT, ToxicityModel, reset_model
from moderation.stage2 import DEFAULT_STAGE2
from moderation.training.data import load_training_data
from moderation.training.stage2 import Stage2Config, train_stage2, write_stage2
from moderation.training.train import CATEGORY_COMPONENTS, COMPONENTS, TrainingConfig, train_and_write

STAGES = [
    "loading data",
    "featurising",
    *(f"fitting {name}" for name in (*COMPONENTS, *CATEGORY_COMPONENTS)),
    "stacking and calibrating",
    "writing artifact",
]


def default_data_dir() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "moderation"


class Command(BaseCommand):
    help = "Train the moderation model from the moderation data sets and write its artifact."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=Path, default=None, help="folder with the moderation CSVs")
        parser.add_argument("--output", type=Path, default=DEFAULT_ARTIFACT, help="artifact file to write")
        parser.add_argument("--C", type=float, default=None, help="inverse regularisation of the components")
        parser.add_argument("--json", action="store_true", help="also print the validation figures as JSON")
        parser.add_argument(
            "--stage2-output", type=Path, default=DEFAULT_STAGE2, help="second stage to write"
        )
        stage2 = parser.add_mutually_exclusive_group()
        stage2.add_argument("--stage2-only", action="store_true", help="only the second stage, on --output")
        stage2.add_argument("--no-stage2", action="store_true", help="only the first stage")

    def handle(self, *args, **options):
        data_dir = options["data_dir"] or default_data_dir()
        if not Path(data_dir).is_dir():
            raise CommandError(f"data directory not found: {data_dir}")
        if options["stage2_only"]:
            self._stage2(load_training_data(Path(data_dir)), options)
            return
        config = TrainingConfig()
        if options["C"] is not None:
            config.C = options["C"]
        bar = tqdm(total=len(STAGES), desc="training", unit="stage", file=sys.stderr)

        def progress(stage: str) -> None:
            if bar.n or stage != STAGES[0]:
                bar.update(1)
            bar.set_postfix_str(stage)

        try:
            result, size, examples = train_and_write(Path(data_dir), options["output"], config, progress)
        except (FileNotFoundError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.update(bar.total - bar.n)
            bar.close()
        reset_model()
        self._report(result, size, len(examples), options)
        if not options["no_stage2"]:
            self._stage2(examples, options)

    def _stage2(self, examples, options):
        """Train the second stage on the first-stage artifact at ``--output`` and write it."""
        base = ToxicityModel(options["output"])
        config = Stage2Config()
        result = train_stage2(
            examples, base, config, progress=lambda stage: self.stderr.write(f"stage 2: {stage}")
        )
        size = write_stage2(result, config, base.base_digest, options["stage2_output"])
        reset_model()
        self.stdout.write(
            f"Second stage: {options['stage2_output']} ({size / 1e3:.0f} kB) in {result.seconds} s; "
            f"rows {json.dumps(result.counts, sort_keys=True)}"
        )
        for head, figures in result.validation.items():
            self.stdout.write(f"{head}: {json.dumps(figures, sort_keys=True)}")

    def _report(self, result, size, n_examples, options):
        out = self.stdout.write
        out(
            f"Trained on {n_examples} rows in {result.seconds} s; "
            f"artifact {options['output']} ({size / 1e6:.2f} MB)"
        )
        for head, figures in result.validation.items():
            stacker = figures["stacker"]
            weights = ", ".join(f"{name} {weight}" for name, weight in stacker["weights"].items())
            out(
                f"{head}: inputs {weights} (mean validation AUC per source {stacker['mean_source_auc']}); "
                f"threshold at the default target {figures['threshold']}"
            )
            out(f"  {'source':16s} {'rows':>6s} {'pos':>6s} {'AUC':>7s} {'leak':>6s} {'false_holds':>11s}")
            for source, row in figures["per_source"].items():
                out(
                    f"  {source:16s} {row['rows']:6d} {row['positives']:6d} {_fmt(row.get('auc')):>7s} "
                    f"{_fmt(row.get('leak')):>6s} {_fmt(row.get('false_holds')):>11s}"
                )
        if options["json"]:
            out(json.dumps(result.validation, sort_keys=True))


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"
