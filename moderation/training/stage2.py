"""Training the second stage (``moderation/stage2.py``) on top of a trained first stage.

1. **Rows.** Training rows: up to ``per_group`` per (source, label) of each head's training sources
   (the encoder costs milliseconds a row, so a sample). Validation rows: all of them (ParaDetox's
   sampled; its rewrites are not in the threshold tables). Both from ``training.data`` (so never an
   evaluate-only file, a test split or an excluded text).
2. **Embeddings** of the texts as written, cached in ``var/stage2/`` (keyed by the text's SHA-1 and
   the encoder settings, stored as float16 so a cached and a fresh run give the same bytes).
3. **Per deciding head**: a logistic regression on the embedding, on the training rows (each source
   and class weighted equally, ParaDetox 0.3); on the validation rows, the weight it gets next to
   the first-stage logit (grid, best mean AUC per source of the final, band-limited score), the
   calibration (Platt, moved to the news-site prevalence, as the first stage) and the band (the
   first-stage logits that hold ``band_low_share`` .. ``band_high_share`` of the validation sets'
   clean comments); then the threshold tables of the final scores.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from moderation.classifier import DECIDING_HEADS, ToxicityModel, sigmoid
from moderation.encoder import SentenceEncoder
from moderation.stage2 import ENCODER_PACKAGE, STAGE2_FORMAT, BandHead

from .data import Example
from .train import (
    CIVIL_REFERENCE_SOURCES,
    HATE_SOURCES,
    TOXICITY_SOURCES,
    _balanced_by_source,
    fit_calibration,
    per_source_auc,
    source_balanced,
    threshold_table,
    write_npz,
)

CACHE_DIR = Path(__file__).resolve().parents[2] / "var" / "stage2"
STACK_GRID = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


@dataclass
class Stage2Config:
    max_tokens: int = 64
    layers: int = 4  # the mean pool after layer 4 of 6: as good on validation, a third cheaper
    per_group: int = 1000  # training rows per (source, label)
    val_paradetox: int = 800  # ParaDetox validation rows per label
    C: float = 1.0
    # The band, as shares of the validation sets' clean comments held at its edges, per head.
    band_low_share: dict[str, float] = field(
        default_factory=lambda: {"toxicity": 0.05, "identity_attack": 0.02}
    )
    band_high_share: dict[str, float] = field(
        default_factory=lambda: {"toxicity": 0.005, "identity_attack": 0.002}
    )
    prevalence: dict[str, float] = field(default_factory=lambda: {"toxicity": 0.05, "identity_attack": 0.01})
    seed: int = 7


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


class EmbeddingCache:
    """Embeddings by text, in ``directory/t<max_tokens>/`` (one ``cache_*.npz`` per encoding run)."""

    def __init__(self, config: Stage2Config, directory: Path = CACHE_DIR):
        self.config = config
        self.directory = Path(directory) / f"t{config.max_tokens}"
        self.found: dict[str, np.ndarray] = {}
        for part in sorted(self.directory.glob("cache_*.npz")):
            with np.load(part, allow_pickle=False) as data:
                column = f"l{config.layers}"
                if column in data.files:
                    self.found.update(zip((str(k) for k in data["keys"]), data[column], strict=True))

    def embed(self, texts: Sequence[str], progress: Callable[[str], None]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.found}.items())
        if missing:
            progress(f"encoding {len(missing)} texts")
            encoder = SentenceEncoder(max_tokens=self.config.max_tokens, layers=self.config.layers)
            vectors = np.vstack(
                [encoder.encode([t for _, t in missing[i : i + 512]]) for i in range(0, len(missing), 512)]
            ).astype(np.float16)
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"cache_{time.strftime('%Y%m%d%H%M%S')}_{len(missing)}.npz"
            missing_keys = np.array([k for k, _ in missing])
            arrays = {"keys": missing_keys, f"l{self.config.layers}": vectors}
            np.savez(self.directory / name, allow_pickle=False, **arrays)
            self.found.update(zip((k for k, _ in missing), vectors, strict=True))
        return np.vstack([self.found[k] for k in keys]).astype(np.float32)


@dataclass
class Stage2Result:
    heads: dict[str, BandHead]
    tables: dict[str, dict[str, np.ndarray]]
    validation: dict
    counts: dict
    seconds: float


def select_rows(examples: list[Example], config: Stage2Config) -> list[Example]:
    """The training sample and the validation rows, in a fixed order."""
    rng = random.Random(config.seed)
    groups: dict[tuple, list[Example]] = {}
    for ex in examples:
        label = ex.labels.get("toxicity", ex.labels.get("identity_attack"))
        groups.setdefault((ex.source, ex.split, label), []).append(ex)
    chosen = []
    for (source, split, _), rows in sorted(groups.items(), key=lambda item: item[0]):
        limit = (
            config.per_group
            if split == "train"
            else (config.val_paradetox if source == "paradetox" else None)
        )
        chosen.extend(rows if limit is None or len(rows) <= limit else rng.sample(rows, limit))
    return chosen


def first_stage_logits(model: ToxicityModel, examples: Sequence[Example]) -> dict[str, np.ndarray]:
    parts = []
    for start in range(0, len(examples), 2000):
        chunk = examples[start : start + 2000]
        matrix = model.features([ex.text for ex in chunk])
        parts.append(model.head_logits(model.component_scores([ex.raw for ex in chunk], matrix)))
    return {head: np.concatenate([p[head] for p in parts]) for head in DECIDING_HEADS}


def _civil_weights(sources: np.ndarray, civil: np.ndarray) -> np.ndarray:
    weights = np.zeros(len(sources))
    weights[civil] = _balanced_by_source(sources[civil])
    return weights


def _held_share_threshold(scores: np.ndarray, weights: np.ndarray, share: float) -> float:
    """The score at or above which ``share`` of the (weighted) rows lie."""
    order = np.argsort(-scores, kind="stable")
    cumulative = np.cumsum(weights[order]) / weights.sum()
    position = min(int(np.searchsorted(cumulative, share, side="right")), len(order) - 1)
    return float(scores[order][position])


def _fit_head(head, first, embeddings, labels, sources, is_val, civil, config) -> tuple[BandHead, np.ndarray]:
    """The head's second stage, and its final logits on every row."""
    head_sources = TOXICITY_SOURCES if head == "toxicity" else HATE_SOURCES
    known = (labels >= 0) & np.isin(sources, head_sources)
    train, val = known & ~is_val, known & is_val
    weights = source_balanced(sources[train], labels[train], {"paradetox": 0.3})
    model = LogisticRegression(C=config.C, max_iter=3000)
    model.fit(embeddings[train], labels[train], sample_weight=weights)
    second = embeddings @ model.coef_.ravel() + model.intercept_[0]
    civil_w = _civil_weights(sources, civil)[civil]
    low = _held_share_threshold(first[civil], civil_w, config.band_low_share[head])
    high = _held_share_threshold(first[civil], civil_w, config.band_high_share[head])
    balance = source_balanced(sources[val], labels[val], {})
    best: tuple[float, BandHead, np.ndarray] | None = None
    for stack in STACK_GRID:
        scale, intercept = fit_calibration(
            first[val] + stack * second[val], labels[val], balance, config.prevalence[head]
        )
        spec = BandHead(
            model.coef_.ravel().astype(np.float32),
            float(model.intercept_[0]),
            stack,
            scale,
            intercept,
            low,
            high,
        )
        inside = spec.in_band(first)
        final = first.copy()
        final[inside] = spec.final(first[inside], embeddings[inside])
        mean = float(np.mean(list(per_source_auc(final[val], labels[val], sources[val]).values())))
        if best is None or mean > best[0] + 1e-9:
            best = (mean, spec, final)
    assert best is not None
    return best[1], best[2]


def train_stage2(
    examples: list[Example],
    model: ToxicityModel,
    config: Stage2Config,
    cache: EmbeddingCache | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> Stage2Result:
    started = time.perf_counter()
    rows = select_rows(examples, config)
    progress("first stage")
    first = first_stage_logits(model, rows)
    progress("embeddings")
    embeddings = (cache or EmbeddingCache(config)).embed([ex.raw for ex in rows], progress)
    sources = np.array([ex.source for ex in rows])
    is_val = np.array([ex.split == "val" for ex in rows])
    toxicity = np.array([ex.labels.get("toxicity", -1) for ex in rows])
    civil = is_val & (toxicity == 0) & np.isin(sources, CIVIL_REFERENCE_SOURCES)
    heads, finals, tables, validation = {}, {}, {}, {}
    for head in DECIDING_HEADS:
        progress(f"fitting {head}")
        labels = np.array([ex.labels.get(head, -1) for ex in rows])
        heads[head], finals[head] = _fit_head(
            head, first[head], embeddings, labels, sources, is_val, civil, config
        )
        toxic_sources = CIVIL_REFERENCE_SOURCES if head == "toxicity" else HATE_SOURCES
        toxic = is_val & (labels == 1) & np.isin(sources, toxic_sources)
        scores = sigmoid(finals[head])
        tables[head] = threshold_table(
            scores[civil],
            _balanced_by_source(sources[civil]),
            scores[toxic],
            _balanced_by_source(sources[toxic]),
        )
        val = is_val & (labels >= 0)
        validation[head] = {
            "first_stage": per_source_auc(first[head][val], labels[val], sources[val]),
            "final": per_source_auc(finals[head][val], labels[val], sources[val]),
            "validation_rows_in_band": round(float(heads[head].in_band(first[head][val]).mean()), 4),
            "civil_rows_in_band": round(float(heads[head].in_band(first[head][civil]).mean()), 4),
        }
    counts: dict = {}
    for ex in rows:
        counts.setdefault(ex.source, {"train": 0, "val": 0})[ex.split] += 1
    return Stage2Result(heads, tables, validation, counts, round(time.perf_counter() - started, 1))


def write_stage2(result: Stage2Result, config: Stage2Config, base_digest: str, path: Path) -> int:
    """Write the second stage's artifact (deterministic bytes); returns its size."""
    meta = {
        "format": STAGE2_FORMAT,
        "base_digest": base_digest,
        "encoder": ENCODER_PACKAGE,
        "max_tokens": config.max_tokens,
        "layers": config.layers,
        "heads": {head: spec.meta() for head, spec in result.heads.items()},
        "tables": sorted(result.tables),
        "training": {"config": asdict(config), "counts": result.counts, "validation": result.validation},
    }
    arrays = {"meta": np.array(json.dumps(meta, sort_keys=True))}
    for head, spec in result.heads.items():
        arrays[f"{head}__weights"] = spec.weights.astype(np.float32)
    for head, table in result.tables.items():
        for key, values in table.items():
            arrays[f"table__{head}__{key}"] = values.astype(np.float32)
    return write_npz(arrays, Path(path))
