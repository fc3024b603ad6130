"""Experiment helper: encode the rows the second-stage experiments use, once, into var/stage2/.

Mean pools after layers 3, 4 and 6 of all-MiniLM-L6-v2 (numpy forward, ``moderation.encoder``), so
one pass tells whether a shallower, faster encoder would do. Rows: a per-(source, label) sample of the
training rows, the validation rows (ParaDetox sampled), and the evaluation files (Jigsaw's test
subset sampled). Run as two processes (``--part 0`` and ``--part 1``), one BLAS thread each.
"""

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
from moderation.encoder import SentenceEncoder, _layer_norm  # noqa: E402
from moderation.training.data import load_training_data, read_rows  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "moderation"
OUT = REPO / "var" / "stage2" / "t64"  # EmbeddingCache's folder for 64 tokens
POOLS = (3, 4, 6)
EVAL_FILES = {
    "unhealthy_comments_ucc_val_test.csv.gz": None,
    "sfu_constructiveness_toxicity_globe_and_mail.csv.gz": None,
    "jigsaw2018_STANDARD_TEST_SPLIT_toxic_subset.csv.gz": 4000,
    "kaggle_insults_impermium.csv.gz": None,
    "olid_offenseval2019.csv.gz": None,
    "hateval2019.csv.gz": None,
    "ethos_binary.csv.gz": None,
    "hatecheck_functional_tests.csv.gz": None,
    "youtoxic_youtube_ferguson.csv.gz": None,
}


def key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def texts_to_encode(per_group: int, val_paradetox: int) -> list[str]:
    rng = random.Random(7)
    groups: dict[tuple, list[str]] = {}
    for ex in load_training_data(DATA):
        label = ex.labels.get("toxicity", ex.labels.get("identity_attack"))
        groups.setdefault((ex.source, ex.split, label), []).append(ex.raw)
    chosen = []
    for (source, split, _), texts in sorted(groups.items()):
        limit = per_group if split == "train" else (val_paradetox if source == "paradetox" else None)
        chosen.extend(texts if limit is None or len(texts) <= limit else rng.sample(texts, limit))
    for name, limit in EVAL_FILES.items():
        rows = [r for r in read_rows(DATA / name) if r.get("split", "test") in ("test", "val")]
        if name.startswith("olid") or name.startswith("hateval") or name.startswith("kaggle"):
            rows = [r for r in rows if r["split"] == "test"]
        if limit is not None:
            pos = [r for r in rows if r["label"] == "1"]
            neg = [r for r in rows if r["label"] != "1"]
            share = limit / len(rows)
            rows = rng.sample(pos, round(len(pos) * share)) + rng.sample(neg, round(len(neg) * share))
        chosen.extend(r["text"] for r in rows)
    unique = sorted({key(t): t for t in chosen}.items())
    return [t for _, t in unique]


class MultiPool(SentenceEncoder):
    def pools(self, texts):
        ids = self.token_ids(texts)
        order = np.argsort([len(r) for r in ids], kind="stable")
        found = {p: np.zeros((len(ids), 384), dtype=np.float32) for p in POOLS}
        for start in range(0, len(order), 32):
            chunk = order[start : start + 32]
            rows = [ids[i] for i in chunk]
            length = max(len(r) for r in rows)
            padded = np.zeros((len(rows), length), dtype=np.int64)
            mask = np.zeros((len(rows), length), dtype=np.float32)
            for i, r in enumerate(rows):
                padded[i, : len(r)], mask[i, : len(r)] = r, 1.0
            x = _layer_norm(self.words[padded] + self.positions[:length] + self.type0, *self.norm)
            x = x.reshape(len(rows) * length, 384)
            bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
            for number, layer in enumerate(self.layers, start=1):
                x = layer(x, bias, len(rows))
                if number in POOLS:
                    pooled = (x.reshape(len(rows), length, 384) * mask[:, :, None]).sum(1) / mask.sum(
                        1, keepdims=True
                    )
                    found[number][chunk] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", type=int, default=0)
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--per-group", type=int, default=1000)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    texts = texts_to_encode(args.per_group, 800)[args.part :: args.parts]
    print(f"part {args.part}: {len(texts)} texts", flush=True)
    encoder = MultiPool(max_tokens=args.max_tokens)
    started, done = time.perf_counter(), []
    for start in range(0, len(texts), 512):
        done.append(encoder.pools(texts[start : start + 512]))
        rate = (start + 512) / (time.perf_counter() - started)
        print(f"{start + 512}/{len(texts)} {rate:.0f}/s", flush=True)
    arrays = {f"l{p}": np.vstack([d[p] for d in done]).astype(np.float16) for p in POOLS}
    arrays["keys"] = np.array([key(t) for t in texts])
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(OUT / f"cache_{args.part}.npz", **arrays)


if __name__ == "__main__":
    main()
