"""Toxicity scores for reader comments, from a small linear model shipped in ``moderation/artifacts``.

Usage::

    from moderation.classifier import score, score_batch, hold_threshold

    scores = score("You are a complete idiot.")
    scores.toxicity          # 0..1, probability-like
    scores.should_hold()     # toxicity >= the configured hold threshold

The model is loaded on first use (about 10 ms) and then kept per process. It is a set of logistic
regressions over hashed word and character n-grams (see ``features.py``) of the normalised text
(see ``normalize.py``), one head for ``toxicity`` and one for each category the training data labels.
The artifact is a plain ``.npz`` (no pickle): for each head the hashed columns it uses, their float32
weights and a bias, plus a JSON ``meta`` record with the feature settings, the normaliser version, the
hold threshold and the validation figures of the training run. Rebuild it with
``python manage.py train_moderation_model``.

Settings (all optional):

* ``MODERATION_MODEL_PATH``: another artifact file;
* ``MODERATION_HOLD_THRESHOLD``: overrides the hold threshold stored in the artifact.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .features import FeatureConfig, Featurizer
from .normalize import NORMALIZER_VERSION, normalize

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_ARTIFACT = ARTIFACT_DIR / "toxicity_linear.npz"
HEADS = ("toxicity", "insult", "identity_attack", "obscene", "threat")
ARTIFACT_FORMAT = 1


class ModelUnavailable(RuntimeError):
    """The artifact is missing or unreadable."""


@dataclass(frozen=True)
class ModerationScores:
    """Scores in [0, 1]. ``toxicity`` decides holding; the others say why a comment looks toxic."""

    toxicity: float
    insult: float
    identity_attack: float
    obscene: float
    threat: float

    def should_hold(self, threshold: float | None = None) -> bool:
        return self.toxicity >= (hold_threshold() if threshold is None else threshold)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -40.0, 40.0)))


class ToxicityModel:
    """The loaded artifact. Thread-safe for scoring (it is read-only after construction)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelUnavailable(
                f"moderation model artifact not found: {self.path} "
                "(build it with `python manage.py train_moderation_model`)"
            )
        try:
            with np.load(self.path, allow_pickle=False) as data:
                self.meta = json.loads(str(data["meta"].reshape(-1)[0]))
                arrays = {key: data[key] for key in data.files if key != "meta"}
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailable(f"cannot read moderation model artifact {self.path}: {exc}") from exc
        if self.meta.get("format") != ARTIFACT_FORMAT:
            raise ModelUnavailable(
                f"{self.path}: artifact format {self.meta.get('format')!r} is not supported"
            )
        if self.meta.get("normalizer_version") != NORMALIZER_VERSION:
            raise ModelUnavailable(
                f"{self.path} was trained with normaliser version {self.meta.get('normalizer_version')}, "
                f"this code has version {NORMALIZER_VERSION}: retrain the model"
            )
        self.config = FeatureConfig.from_dict(self.meta["features"])
        self.featurizer = Featurizer(self.config)
        self.heads = tuple(self.meta["heads"])
        if self.heads != HEADS:
            raise ModelUnavailable(f"{self.path}: unexpected heads {self.heads}")
        # One compact weight matrix over the union of the columns any head uses.
        columns = np.unique(np.concatenate([arrays[f"{head}__columns"] for head in self.heads]))
        weights = np.zeros((len(columns), len(self.heads)), dtype=np.float32)
        for j, head in enumerate(self.heads):
            rows = np.searchsorted(columns, arrays[f"{head}__columns"])
            weights[rows, j] = arrays[f"{head}__weights"]
        self._columns = columns.astype(np.int64)
        self._weights = weights
        self._bias = np.array([float(arrays[f"{head}__bias"][0]) for head in self.heads], dtype=np.float32)
        self.default_threshold = float(self.meta["hold_threshold"])

    def decision_function(self, normalised_texts: Sequence[str]) -> np.ndarray:
        """Raw logits, shape (n, len(HEADS))."""
        matrix = self.featurizer.transform(normalised_texts)
        if len(self._columns) == 0 or matrix.nnz == 0:
            return np.tile(self._bias, (matrix.shape[0], 1))
        positions = np.searchsorted(self._columns, matrix.indices)
        np.minimum(positions, len(self._columns) - 1, out=positions)
        hit = self._columns[positions] == matrix.indices
        compact = sp.csr_matrix(
            (np.where(hit, matrix.data, np.float32(0.0)), positions, matrix.indptr),
            shape=(matrix.shape[0], len(self._columns)),
        )
        return np.asarray(compact @ self._weights) + self._bias

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, shape (n, len(HEADS)), for raw (not yet normalised) texts."""
        return _sigmoid(self.decision_function([normalize(text) for text in texts]))

    def score_batch(self, texts: Iterable[str]) -> list[ModerationScores]:
        texts = [text if isinstance(text, str) else "" for text in texts]
        if not texts:
            return []
        probabilities = self.predict_proba(texts).tolist()
        return [ModerationScores(*row) for row in probabilities]


_model: ToxicityModel | None = None
_lock = threading.Lock()


def _configured_path() -> Path:
    from django.conf import settings

    return Path(getattr(settings, "MODERATION_MODEL_PATH", None) or DEFAULT_ARTIFACT)


def get_model() -> ToxicityModel:
    """The process-wide model, loaded on first call."""
    global _model
    model = _model
    if model is None:
        with _lock:
            if _model is None:
                _model = ToxicityModel(_configured_path())
            model = _model
    return model


def reset_model() -> None:
    """Forget the loaded model (after retraining, or in tests that change the settings)."""
    global _model
    with _lock:
        _model = None


def hold_threshold() -> float:
    """Comments with ``toxicity`` at or above this are held for a moderator."""
    from django.conf import settings

    configured = getattr(settings, "MODERATION_HOLD_THRESHOLD", None)
    if configured is not None:
        return float(configured)
    return get_model().default_threshold


def score(text: str) -> ModerationScores:
    """Scores for one comment."""
    return get_model().score_batch([text])[0]


def score_batch(texts: Iterable[str]) -> list[ModerationScores]:
    """Scores for many comments (much faster per comment than calling ``score`` in a loop)."""
    return get_model().score_batch(texts)
