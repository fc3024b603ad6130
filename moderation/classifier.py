"""Moderation scores for reader comments, from a small model shipped in ``moderation/artifacts``.

Usage::

    from moderation.classifier import score, score_batch, hold_threshold

    scores = score("You are a complete idiot.")
    scores.toxicity          # probability that a comment on an ordinary news site is toxic
    scores.identity_attack   # probability that it attacks a group of people
    scores.should_hold()     # toxicity >= the site's hold threshold

Two heads decide, each with one meaning: ``toxicity`` (insults, attacks on a participant, obscenity,
threats) and ``identity_attack`` (hate against a group). ``insult``, ``obscene`` and ``threat`` only
name the kind of problem. A head is a weighted sum of linear *components* (logistic regressions over
hashed word and character n-grams of the normalised text, ``features.py``, and alt-profanity-check's
vocabulary model), calibrated to the prevalence an ordinary news site sees (a few per cent). The
artifact also holds each head's *threshold table*: the score that holds a given share of civil
comments, and the share of toxic ones let through there (``moderation.policy`` turns an editor's
target, "hold at most 5 % of civil comments", into thresholds with it).

The artifact is a plain ``.npz`` (no pickle) plus a JSON ``meta`` record (settings, validation
figures). Rebuild it with ``python manage.py train_moderation_model``. The model is loaded on first
use (a web process loads it at start: ``agora.warmup``) and kept per process; a site's adapted layer
(``moderation.versions``) is applied on top by the pipeline, not here.

**Second stage** (``artifacts/stage2_minilm.npz``, a few kB: ``stage2.py``): comments whose first-stage
score falls in a head's *uncertain band* (around the thresholds a site runs at) are encoded by
all-MiniLM-L6-v2 (``encoder.py``), and a small head on the embedding re-ranks them inside the band.
Comments outside every band, most of them, never reach the encoder. The threshold tables then come
from the second-stage artifact (they describe the final scores).

**One comment** (``score_batch`` of a single text: the posting path) takes ``predict_one``: the same
features, weights and stages as the batch path (``predict_proba``), without building sparse matrices,
whose per-call overhead is most of the time for one text. Training and evaluation use the batch path.

Settings (all optional): ``MODERATION_MODEL_PATH`` (another artifact), ``MODERATION_STAGE2_PATH``
(another second stage; ``""``: none), ``MODERATION_HOLD_THRESHOLD`` (a fixed toxicity threshold
instead of the target's).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .features import FeatureConfig, Featurizer, VocabularyScorer
from .normalize import NORMALIZER_VERSION, normalize
from .stage2 import DEFAULT_STAGE2, SecondStage, Stage2Unavailable

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_ARTIFACT = ARTIFACT_DIR / "toxicity_linear.npz"
HEADS = ("toxicity", "insult", "identity_attack", "obscene", "threat")
DECIDING_HEADS = ("toxicity", "identity_attack")  # the policy holds on either
VOCABULARY = "vocabulary"
ARTIFACT_FORMAT = 2
TABLE_STEPS = 1000  # threshold tables: one row per 0.1 % of civil comments held
DEFAULT_TARGET = 0.05  # hold at most 5 % of civil comments
# Of the civil comments a target allows to be held, the share left to identity_attack alone.
IDENTITY_SHARE = 0.2


class ModelUnavailable(RuntimeError):
    """The artifact is missing or unreadable."""


def logit(probability: float) -> float:
    return float(np.log(probability / (1.0 - probability)))


def sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -40.0, 40.0)))


@dataclass(frozen=True)
class ModerationScores:
    """Scores in [0, 1]. ``toxicity`` and ``identity_attack`` decide; the others say why."""

    toxicity: float
    insult: float
    identity_attack: float
    obscene: float
    threat: float

    def should_hold(self, threshold: float | None = None) -> bool:
        return self.toxicity >= (hold_threshold() if threshold is None else threshold)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class HeadSpec:
    """A deciding head: ``sigmoid(scale * sum(weights * inputs) + intercept)``."""

    inputs: tuple[str, ...]
    weights: tuple[float, ...]
    scale: float
    intercept: float

    def calibrate(self, stacked: np.ndarray) -> np.ndarray:
        return sigmoid(self.scale * stacked + self.intercept)

    def to_dict(self) -> dict:
        return {
            "inputs": list(self.inputs),
            "weights": list(self.weights),
            "scale": self.scale,
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict) -> HeadSpec:
        return cls(
            tuple(data["inputs"]), tuple(data["weights"]), float(data["scale"]), float(data["intercept"])
        )


def split_target(target: float) -> dict[str, float]:
    """The share of civil comments each deciding head may hold alone, for an overall target."""
    return {"toxicity": target * (1.0 - IDENTITY_SHARE), "identity_attack": target * IDENTITY_SHARE}


class ThresholdTables:
    """Per deciding head: the threshold holding k/TABLE_STEPS of civil comments, and the leak there."""

    def __init__(self, tables: dict[str, dict[str, np.ndarray]]):
        self.tables = tables
        self.shares = np.arange(TABLE_STEPS + 1) / TABLE_STEPS

    def threshold(self, head: str, share: float) -> float:
        share = min(max(share, 0.0), 1.0)
        return float(np.interp(share, self.shares, self.tables[head]["threshold"]))

    def false_holds(self, head: str, threshold: float) -> float:
        """The share of civil comments a threshold holds (the table read the other way)."""
        column = self.tables[head]["threshold"][::-1]
        return float(np.interp(threshold, column, self.shares[::-1]))

    def leak(self, head: str, threshold: float) -> float:
        column = self.tables[head]["threshold"][::-1]
        return float(np.interp(threshold, column, self.tables[head]["leak"][::-1]))

    def for_target(self, target: float) -> dict[str, float]:
        return {head: round(self.threshold(head, share), 6) for head, share in split_target(target).items()}

    def to_json(self) -> dict:
        return {
            head: {k: [round(float(v), 6) for v in values] for k, values in t.items()}
            for head, t in self.tables.items()
        }

    @classmethod
    def from_json(cls, data: dict) -> ThresholdTables:
        return cls(
            {head: {k: np.array(v, dtype=np.float64) for k, v in t.items()} for head, t in data.items()}
        )


def default_thresholds(tables: dict[str, dict[str, np.ndarray]], target: float = DEFAULT_TARGET):
    return ThresholdTables(tables).for_target(target)


@dataclass
class LinearPart:
    """A hashed-feature linear component, or a site layer's residual: columns, weights, bias."""

    columns: np.ndarray
    weights: np.ndarray
    bias: float


@dataclass
class SiteLayer:
    """A site's adaptation of the toxicity head (``moderation.versions``): a new logit
    ``scale * base_logit + residual(features) + bias``, fitted on the site's own decisions."""

    scale: float
    bias: float
    residual: LinearPart

    def residuals(self, matrix: sp.csr_matrix) -> np.ndarray:
        """The residual of each row of hashed features."""
        return np.asarray(matrix[:, self.residual.columns] @ self.residual.weights).ravel()

    @cached_property
    def _lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """The residual's columns sorted without repeats, with their weights (a repeated column's
        summed, as the product in ``residuals`` counts it once per repeat): for ``residual_one``."""
        columns, inverse = np.unique(self.residual.columns, return_inverse=True)
        weights = np.bincount(inverse, weights=self.residual.weights, minlength=len(columns))
        return columns.astype(np.int64), weights.astype(np.float32)

    def residual_one(self, columns: np.ndarray, values: np.ndarray) -> np.float32:
        """The residual of one text's features (``Featurizer.transform_one``'s columns and values)."""
        positions, hit = _matches(self._lookup[0], columns)
        return np.float32(values[hit] @ self._lookup[1][positions[hit]])

    def apply(self, base_logit: np.ndarray, residual: np.ndarray) -> np.ndarray:
        """The site's toxicity logit."""
        return self.scale * base_logit + residual + self.bias

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            scale=np.array([self.scale]),
            bias=np.array([self.bias]),
            columns=self.residual.columns.astype(np.uint32),
            weights=self.residual.weights.astype(np.float32),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SiteLayer:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as arrays:
            residual = LinearPart(arrays["columns"].astype(np.int64), arrays["weights"], 0.0)
            return cls(float(arrays["scale"][0]), float(arrays["bias"][0]), residual)


def _matches(columns: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each feature index: its position in the sorted ``columns`` (clamped), and whether it is there."""
    if len(columns) == 0:
        return np.zeros(len(indices), dtype=np.int64), np.zeros(len(indices), dtype=bool)
    positions = np.minimum(np.searchsorted(columns, indices), len(columns) - 1)
    return positions, columns[positions] == indices


class _Compact:
    """Several linear parts as one weight matrix over the union of their columns (fast scoring)."""

    def __init__(self, parts: dict[str, LinearPart]):
        self.names = tuple(parts)
        columns = np.unique(np.concatenate([p.columns for p in parts.values()])) if parts else np.zeros(0)
        self.columns = columns.astype(np.int64)
        self.weights = np.zeros((len(columns), len(parts)), dtype=np.float32)
        for j, part in enumerate(parts.values()):
            self.weights[np.searchsorted(self.columns, part.columns), j] = part.weights
        self.bias = np.array([p.bias for p in parts.values()], dtype=np.float32)

    def scores(self, matrix: sp.csr_matrix) -> np.ndarray:
        if len(self.columns) == 0 or matrix.nnz == 0:
            return np.tile(self.bias, (matrix.shape[0], 1))
        positions, hit = _matches(self.columns, matrix.indices)
        compact = sp.csr_matrix(
            (np.where(hit, matrix.data, np.float32(0.0)), positions, matrix.indptr),
            shape=(matrix.shape[0], len(self.columns)),
        )
        return np.asarray(compact @ self.weights) + self.bias

    def scores_one(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``scores`` of one row given as its columns and values: shape (len(names),)."""
        positions, hit = _matches(self.columns, columns)
        return values[hit] @ self.weights[positions[hit]] + self.bias


def _read(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    if not path.is_file():
        raise ModelUnavailable(
            f"moderation model artifact not found: {path} "
            "(build it with `python manage.py train_moderation_model`)"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"].reshape(-1)[0]))
            arrays = {key: data[key] for key in data.files if key != "meta"}
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailable(f"cannot read moderation model artifact {path}: {exc}") from exc
    if meta.get("format") != ARTIFACT_FORMAT:
        raise ModelUnavailable(
            f"{path}: artifact format {meta.get('format')!r} is not supported: retrain the model"
        )
    if meta.get("normalizer_version") != NORMALIZER_VERSION:
        raise ModelUnavailable(
            f"{path} was trained with normaliser version {meta.get('normalizer_version')}, "
            f"this code has version {NORMALIZER_VERSION}: retrain the model"
        )
    if tuple(meta.get("heads", ())) != HEADS:
        raise ModelUnavailable(f"{path}: unexpected heads {meta.get('heads')}")
    return meta, arrays


class ToxicityModel:
    """The loaded artifact (and its second stage, if one was built for it). Thread-safe for scoring
    (it is read-only after construction)."""

    def __init__(self, path: Path, stage2_path: Path | None = None):
        self.path = Path(path)
        self.meta, arrays = _read(self.path)
        base_bytes = self.path.read_bytes()
        self.base_digest = hashlib.sha256(base_bytes).hexdigest()[:16]
        try:
            self.stage2 = SecondStage.load(stage2_path, self.base_digest) if stage2_path else None
        except Stage2Unavailable as exc:
            raise ModelUnavailable(str(exc)) from exc
        # Which model a site layer was fitted on: the base artifact, and the second stage when used.
        self.digest = (
            self.base_digest
            if self.stage2 is None
            else hashlib.sha256(base_bytes + self.stage2.path.read_bytes()).hexdigest()[:16]
        )
        self.config = FeatureConfig.from_dict(self.meta["features"])
        self.featurizer = Featurizer(self.config)
        self.heads = HEADS
        self.stacked = {head: HeadSpec.from_dict(spec) for head, spec in self.meta["stacked_heads"].items()}
        parts = {
            name: LinearPart(
                arrays[f"{name}__columns"].astype(np.int64),
                arrays[f"{name}__weights"],
                float(arrays[f"{name}__bias"][0]),
            )
            for name in self.meta["components"]
        }
        self._linear = _Compact(parts)
        self.vocabulary = VocabularyScorer(
            str(arrays[f"{VOCABULARY}__tokens"]).split("\n"),
            arrays[f"{VOCABULARY}__idf"],
            arrays[f"{VOCABULARY}__weights"],
            float(arrays[f"{VOCABULARY}__bias"][0]),
        )
        self.first_stage_tables = ThresholdTables(
            {
                head: {
                    key: arrays[f"table__{head}__{key}"].astype(np.float64) for key in ("threshold", "leak")
                }
                for head in DECIDING_HEADS
            }
        )
        self.tables = self.first_stage_tables if self.stage2 is None else ThresholdTables(self.stage2.tables)

    def features(self, normalised_texts: Sequence[str]) -> sp.csr_matrix:
        return self.featurizer.transform(normalised_texts)

    def component_scores(self, raw_texts: Sequence[str], matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
        """Each component's logit; ``matrix``: the hashed features of the normalised texts (the
        vocabulary component reads the texts as written, as alt-profanity-check does)."""
        linear = self._linear.scores(matrix)
        found = {name: linear[:, j] for j, name in enumerate(self._linear.names)}
        found[VOCABULARY] = self.vocabulary.decision_function(raw_texts)
        return found

    def component_scores_one(
        self, raw_text: str, columns: np.ndarray, values: np.ndarray
    ) -> dict[str, np.ndarray]:
        """``component_scores`` of one text (arrays of one row), from ``Featurizer.transform_one``'s
        columns and values of the normalised text."""
        linear = self._linear.scores_one(columns, values)
        found = {name: linear[j : j + 1] for j, name in enumerate(self._linear.names)}
        found[VOCABULARY] = np.array([self.vocabulary.decision_function_one(raw_text)])
        return found

    def head_logits(self, components: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The calibrated logit of each deciding head."""
        logits = {}
        for head, spec in self.stacked.items():
            inputs = np.column_stack([components[name] for name in spec.inputs])
            logits[head] = spec.scale * (inputs @ np.array(spec.weights)) + spec.intercept
        return logits

    def deciding_logits(
        self, raw_texts: Sequence[str], matrix: sp.csr_matrix, components: dict[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """The final calibrated logit of each deciding head: the first stage's, re-ranked by the second
        stage inside its uncertain band (only the texts in a band are encoded)."""
        return self._reranked(raw_texts, components or self.component_scores(raw_texts, matrix))

    def _reranked(self, raw_texts: Sequence[str], components: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        logits = self.head_logits(components)
        return logits if self.stage2 is None else self.stage2.rerank(raw_texts, logits)

    def predict_proba(self, texts: Sequence[str], layer: SiteLayer | None = None) -> np.ndarray:
        """Probabilities, shape (n, len(HEADS)), for raw (not yet normalised) texts: the batch path."""
        matrix = self.features([normalize(text) for text in texts])
        components = self.component_scores(texts, matrix)
        residual = None if layer is None else layer.residuals(matrix)
        return self._probabilities(texts, components, layer, residual)

    def predict_one(self, text: str, layer: SiteLayer | None = None) -> np.ndarray:
        """``predict_proba([text], layer)[0]``, to float rounding, without scipy's and scikit-learn's
        per-call overhead (the features as plain arrays: ``Featurizer.transform_one``)."""
        columns, values = self.featurizer.transform_one(normalize(text))
        components = self.component_scores_one(text, columns, values)
        residual = None if layer is None else np.array([layer.residual_one(columns, values)])
        return self._probabilities([text], components, layer, residual)[0]

    def _probabilities(
        self,
        raw_texts: Sequence[str],
        components: dict[str, np.ndarray],
        layer: SiteLayer | None,
        residual: np.ndarray | None,
    ) -> np.ndarray:
        """Both stages, then the site layer (``residual``: its residual per text) on toxicity."""
        logits = self._reranked(raw_texts, components)
        if layer is not None and residual is not None:
            logits["toxicity"] = layer.apply(logits["toxicity"], residual)
        columns = [logits[h] if h in logits else components[h] for h in HEADS]
        return sigmoid(np.column_stack(columns))

    def score_batch(self, texts: Iterable[str], layer: SiteLayer | None = None) -> list[ModerationScores]:
        texts = [text if isinstance(text, str) else "" for text in texts]
        if not texts:
            return []
        if len(texts) == 1:
            return [ModerationScores(*self.predict_one(texts[0], layer).tolist())]
        return [ModerationScores(*row) for row in self.predict_proba(texts, layer).tolist()]


def apply_layer(layer: SiteLayer, base_logit: np.ndarray, matrix: sp.csr_matrix) -> np.ndarray:
    return layer.apply(base_logit, layer.residuals(matrix))


_model: ToxicityModel | None = None
_lock = threading.Lock()


def _configured_paths() -> tuple[Path, Path | None]:
    """The artifact, and the second stage (None: first stage only). ``MODERATION_STAGE2_PATH`` unset
    means the shipped second stage with the shipped artifact, none with another artifact."""
    from django.conf import settings

    path = Path(getattr(settings, "MODERATION_MODEL_PATH", None) or DEFAULT_ARTIFACT)
    stage2 = getattr(settings, "MODERATION_STAGE2_PATH", None)
    if stage2 is None:
        return path, DEFAULT_STAGE2 if path == DEFAULT_ARTIFACT and DEFAULT_STAGE2.is_file() else None
    return path, Path(stage2) if stage2 else None


def get_model() -> ToxicityModel:
    """The process-wide model, loaded on first call."""
    global _model
    model = _model
    if model is None:
        with _lock:
            if _model is None:
                _model = ToxicityModel(*_configured_paths())
            model = _model
    return model


def reset_model() -> None:
    """Forget the loaded model (after retraining, or in tests that change the settings)."""
    global _model
    with _lock:
        _model = None


def hold_threshold() -> float:
    """The site-wide toxicity threshold: ``MODERATION_HOLD_THRESHOLD`` if set, else the one the
    artifact's validation tables give for the default target (``moderation.policy`` derives the
    thresholds a thread really uses, from the site's own decisions once it has enough)."""
    from moderation import conf

    configured = conf.get("MODERATION_HOLD_THRESHOLD")
    if configured is not None:
        return float(configured)
    return get_model().tables.for_target(float(conf.get("MODERATION_HOLD_TARGET")))["toxicity"]


def score(text: str) -> ModerationScores:
    """Base-model scores for one comment."""
    return get_model().score_batch([text])[0]


def score_batch(texts: Iterable[str]) -> list[ModerationScores]:
    """Base-model scores for many comments (much faster per comment than calling ``score`` in a loop)."""
    return get_model().score_batch(texts)
