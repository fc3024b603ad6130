"""Speed of the moderation model on one core: single comments (p50, p99) and batches, with and without a
site layer, against alt-profanity-check and the first stage alone, measured in the same run (baselines).
The shipped model runs the second stage (MiniLM) on the texts in its uncertain band: the share of the
texts that went there is printed.

A second table times one comment both ways in the same run: the batch path on a list of one text
(``predict_proba([text])``, what every comment paid before) and the single-text path the site now takes
(``predict_one``, no sparse matrices), each comment through both in turn (the order alternating) so
that changes in the machine's load hit both alike.

    .venv/bin/python bench/moderation_model.py [--data FILE.csv.gz] [--samples 2000]

Texts: the file's ``text`` column (default: the UCC Globe and Mail news comments in
../shared/data/moderation, else the hand-written civil samples repeated). One thread
(threadpoolctl), the model loaded and warmed before timing. Prints the machine and a table.
"""

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
django.setup()

import numpy as np  # noqa: E402

from moderation.classifier import DEFAULT_ARTIFACT, LinearPart, SiteLayer, ToxicityModel, get_model  # noqa: E402
from moderation.evaluation import (  # noqa: E402
    latency_percentiles,
    latency_sample,
    load_baseline,
    measure_speed,
)
from moderation.normalize import normalize  # noqa: E402
from moderation.training.data import read_civil_samples, read_rows  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "moderation" / "unhealthy_comments_ucc_val_test.csv.gz"


def texts_from(path: Path | None) -> tuple[list[str], str]:
    if path is not None and path.is_file():
        return [row["text"] for row in read_rows(path)], str(path)
    samples = [text for text, _ in read_civil_samples()]
    return samples * (5000 // len(samples) + 1), "moderation/training/civil_samples.txt (repeated)"


def site_layer() -> SiteLayer:
    """A layer the size adaptation keeps (20,000 residual columns), with random weights."""
    rng = np.random.default_rng(0)
    columns = np.sort(rng.choice(get_model().config.n_features, 20_000, replace=False))
    return SiteLayer(1.0, 0.0, LinearPart(columns, rng.normal(0, 0.1, 20_000).astype(np.float32), 0.0))


def first_logits(model, texts: list[str]) -> dict[str, np.ndarray]:
    matrix = model.features([normalize(text) for text in texts])
    return model.head_logits(model.component_scores(texts, matrix))


def paired_latencies(
    paths: tuple[Callable[[str], object], Callable[[str], object]], texts: list[str], samples: int
) -> list[dict]:
    """p50/p99 of each of two ways to score one comment, timed on the same comments, alternately."""
    from threadpoolctl import threadpool_limits

    chosen = latency_sample(texts, samples)
    latencies: tuple[list[float], list[float]] = ([], [])
    with threadpool_limits(limits=1):
        for text in chosen[:20]:
            for path in paths:
                path(text)  # warm-up
        for i, text in enumerate(chosen):
            for j in (0, 1) if i % 2 == 0 else (1, 0):
                started = time.perf_counter()
                paths[j](text)
                latencies[j].append((time.perf_counter() - started) * 1000.0)
    return [latency_percentiles(found) for found in latencies]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--samples", type=int, default=2000, help="comments timed one by one")
    args = parser.parse_args()
    texts, source = texts_from(args.data)
    model, layer = get_model(), site_layer()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or 'unknown CPU'}, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print(f"texts: {len(texts)} from {source}; median {int(np.median([len(t) for t in texts]))} characters")
    first_only = ToxicityModel(DEFAULT_ARTIFACT)
    if model.stage2 is not None:
        chunks = range(0, len(texts), 1000)
        band = sum(len(model.stage2.band_rows(first_logits(model, texts[i : i + 1000]))) for i in chunks)
        print(f"second stage: {band / len(texts):.1%} of the texts are in its uncertain band")
    rows = [
        ("ours (both stages)", lambda t: model.score_batch([t]), model.score_batch),
        (
            "ours + a site layer",
            lambda t: model.score_batch([t], layer),
            lambda b: model.score_batch(b, layer),
        ),
    ]
    rows.append(("ours, first stage only", lambda t: first_only.score_batch([t]), first_only.score_batch))
    baseline = load_baseline()
    if baseline is not None:
        rows.append(("alt-profanity-check (baseline)", lambda t: baseline([t]), baseline))
    print(f"{'scorer':32s} {'p50 ms':>8s} {'p99 ms':>8s} {'per second (batches of 1,000)':>30s}")
    for name, single, batch in rows:
        figures = measure_speed(single, batch, texts, args.samples)
        print(f"{name:32s} {figures['p50_ms']:8.3f} {figures['p99_ms']:8.3f} {figures['per_second']:30.1f}")
    print()
    print(
        "one comment: the batch path on one text (before) vs the single-text path (score_batch of one text)"
    )
    print(f"{'scorer':32s} {'batch p50':>10s} {'p99':>8s} {'single p50':>11s} {'p99':>8s} {'p50 ratio':>10s}")
    paired = [
        ("ours (both stages)", model, None),
        ("ours + a site layer", model, layer),
        ("ours, first stage only", first_only, None),
    ]
    for name, scorer, with_layer in paired:
        before, after = paired_latencies(
            (
                lambda t, m=scorer, lay=with_layer: m.predict_proba([t], lay),
                lambda t, m=scorer, lay=with_layer: m.predict_one(t, lay),
            ),
            texts,
            args.samples,
        )
        print(
            f"{name:32s} {before['p50_ms']:10.3f} {before['p99_ms']:8.3f} {after['p50_ms']:11.3f} "
            f"{after['p99_ms']:8.3f} {before['p50_ms'] / after['p50_ms']:9.1f}x"
        )


if __name__ == "__main__":
    main()
