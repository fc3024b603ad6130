"""Experiment: second-stage designs on cached embeddings (run ``encode_cache.py`` first).

Trains the second stage as ``training/stage2.py`` does (training rows for the embedding head,
validation rows for the rest) under a few settings, and prints for each the test figures
``evaluate_moderation`` would give (AUC, and at the 5 % target the false holds and leak, holding on
either head), from cached embeddings: Jigsaw's test subset is a 4,000-row stratified sample here.
"""

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
import django  # noqa: E402

django.setup()
from moderation.classifier import DEFAULT_ARTIFACT, ThresholdTables, ToxicityModel, sigmoid  # noqa: E402
from moderation.normalize import normalize  # noqa: E402
from moderation.training import stage2 as stage2_training  # noqa: E402
from moderation.training.data import Example, load_training_data, read_rows  # noqa: E402
from moderation.training.experiments.encode_cache import DATA, EVAL_FILES  # noqa: E402
from moderation.training.stage2 import (  # noqa: E402
    EmbeddingCache,
    Stage2Config,
    first_stage_logits,
    text_key,
    train_stage2,
)

IDENTITY_FILES = ("hateval", "ethos", "hatecheck")
_first_stage_memo: dict = {}


def memoised_first_stage(model, rows):
    """The first stage's logits of the same rows, computed once per run (every design reuses them)."""
    key = (len(rows), rows[0].raw, rows[-1].raw)
    if key not in _first_stage_memo:
        _first_stage_memo[key] = first_stage_logits(model, rows)
    return _first_stage_memo[key]


stage2_training.first_stage_logits = memoised_first_stage


def eval_sets(cache: EmbeddingCache, model: ToxicityModel):
    sets = {}
    for name in EVAL_FILES:
        rows = [r for r in read_rows(DATA / name) if r.get("split", "test") == "test"]
        rows = [r for r in rows if text_key(r["text"]) in cache.found]
        examples = [Example(normalize(r["text"]), "eval", "test", {}, r["text"]) for r in rows]
        head = "identity_attack" if name.startswith(IDENTITY_FILES) else "toxicity"
        labels = np.array([int(r["label"]) for r in rows])
        embeddings = cache.embed([r["text"] for r in rows], print)
        sets[name.split("_")[0]] = (labels, first_stage_logits(model, examples), embeddings, head)
    return sets


def figures(result, sets, tables=None):
    """Figures of the final scores; with ``tables`` (the first stage's), of the first stage alone."""
    use_stage2 = tables is None
    point = (tables or ThresholdTables(result.tables)).for_target(0.05)
    line = {}
    for name, (labels, first, embeddings, head_of) in sets.items():
        scores, band = {}, np.zeros(len(labels), dtype=bool)
        for head, spec in result.heads.items():
            final = first[head].copy()
            if use_stage2:
                inside = spec.in_band(first[head])
                final[inside] = spec.final(first[head][inside], embeddings[inside])
                band |= inside
            scores[head] = sigmoid(final)
        held = np.zeros(len(labels), dtype=bool)
        for head, threshold in point.items():
            held |= scores[head] >= threshold
        entry = {
            "auc": round(float(roc_auc_score(labels, scores[head_of])), 4),
            "band": round(float(band.mean()), 3),
        }
        if head_of == "toxicity":
            entry["fh"] = round(float(held[labels == 0].mean()), 3)
            entry["leak"] = round(float((~held[labels == 1]).mean()), 3)
        else:
            alone = scores[head_of] >= point[head_of]
            entry["caught"] = round(float(alone[labels == 1].mean()), 3)
            entry["held0"] = round(float(alone[labels == 0].mean()), 3)
        line[name] = entry
    return point, line


def site_experiment(model: ToxicityModel, cache: EmbeddingCache):
    """UCC val as a site's history, UCC test as the test: does an embedding site layer help?"""
    rows = list(read_rows(DATA / "unhealthy_comments_ucc_val_test.csv.gz"))
    split = {}
    for name in ("val", "test"):
        chosen = [r for r in rows if r["split"] == name]
        texts = [r["text"] for r in chosen]
        examples = [Example(normalize(t), "site", name, {}, t) for t in texts]
        first = first_stage_logits(model, examples)["toxicity"]
        split[name] = (np.array([int(r["label"]) for r in chosen]), first, cache.embed(texts, print))
    labels, first, embeddings = split["val"]
    t_labels, t_first, t_embeddings = split["test"]
    print("site: base test AUC", round(roc_auc_score(t_labels, t_first), 4))
    for C in (0.1, 1.0):
        design = np.column_stack([embeddings, first])
        layer = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(design, labels)
        everywhere = np.column_stack([t_embeddings, t_first]) @ layer.coef_.ravel()
        print(
            f"site C={C}: embedding layer everywhere, test AUC", round(roc_auc_score(t_labels, everywhere), 4)
        )
        for share in (0.1, 0.3, 0.5):
            civil = t_first[t_labels == 0]
            low = np.quantile(first[labels == 0], 1 - share)
            inside = t_first >= low
            # inside the site band: the layer's logit, kept above every row below the band
            scores = np.where(inside, 100 + everywhere, t_first)
            print(
                f"  only above the first-stage score holding {share:.0%} of the site's civil comments "
                f"({inside.mean():.1%} of test rows encoded, {np.mean(civil >= low):.1%} of civil):",
                round(roc_auc_score(t_labels, scores), 4),
            )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", default="6")
    parser.add_argument("--bands", default="0.10,0.03;0.05,0.02;0.2,0.05;0.999,0.999")
    parser.add_argument("--C", default="1.0")
    parser.add_argument("--site", action="store_true", help="only the site-adaptation experiment")
    args = parser.parse_args()
    model = ToxicityModel(DEFAULT_ARTIFACT)
    if args.site:
        site_experiment(model, EmbeddingCache(Stage2Config(layers=int(args.layers.split(",")[0]))))
        return
    examples = load_training_data(DATA)
    for layers in [int(x) for x in args.layers.split(",")]:
        base = Stage2Config(layers=layers)
        cache = EmbeddingCache(base)
        sets = eval_sets(cache, model)
        for C in [float(x) for x in args.C.split(",")]:
            for band in args.bands.split(";"):
                tox, ident = (float(x) for x in band.split(","))
                config = replace(
                    base,
                    C=C,
                    band_low_share={"toxicity": tox, "identity_attack": ident},
                    band_high_share={
                        "toxicity": 0.005 if tox < 0.99 else 0.0,
                        "identity_attack": 0.002 if ident < 0.99 else 0.0,
                    },
                )
                result = train_stage2(examples, model, config, cache)
                if band == args.bands.split(";")[0] and float(args.C.split(",")[0]) == C:
                    first_only = figures(result, sets, model.first_stage_tables)[1]
                    print("first stage only", json.dumps(first_only))
                point, line = figures(result, sets)
                stacks = {h: s.stack for h, s in result.heads.items()}
                print(f"layers {layers} C {C} band {band} stack {stacks} point {point}")
                print("  val", json.dumps({h: v["final"] for h, v in result.validation.items()}))
                print("  test", json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
