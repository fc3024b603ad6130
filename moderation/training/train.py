"""Training the toxicity model and writing its artifact (used by ``train_moderation_model``).

One L2-regularised logistic regression per head over the hashed features of ``moderation.features``,
scaled by naive-Bayes log-count ratios (NB-SVM style; the scaling is folded into the stored weights):

* ``toxicity`` on every source's ``label``. Each source gets the same total weight, split evenly
  between its positives and negatives, so no source's base rate or style turns into a "toxic" signal.
  Civil Comments has positives only; the hand-written civil news sentences are its negatives;
* ``insult``, ``identity_attack``, ``obscene``, ``threat``: positives where a source labels the
  category (Civil Comments span types; Davidson hate speech and HatEval hate as identity attacks);
  negatives are clean comments from every source and toxic Civil Comments without that category.

Weights are pruned to the largest ``*_columns`` per head (the rest contribute little) to keep the
artifact small. The hold threshold is the one that minimises (mean leak over sources + mean false
holds over sources) on the validation rows. liblinear with a fixed ``random_state`` and data read in
file order make the run deterministic; the artifact is written with fixed zip timestamps, so the same
data and code give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from moderation.classifier import ARTIFACT_FORMAT, HEADS
from moderation.features import FeatureConfig, Featurizer
from moderation.normalize import NORMALIZER_VERSION

from .data import CATEGORIES, TRAINING_FILES, Example, load_training_data

SEED = 20240601
# Relative weight of each source in the toxicity head (each split evenly between its two classes).
DEFAULT_SOURCE_WEIGHTS = {
    "civil_comments": 1.0,
    "agora_civil": 1.0,
    "wikipedia_talk": 1.0,
    "davidson": 1.0,
    "olid": 1.0,
    "hateval": 1.0,
}


@dataclass
class TrainingConfig:
    features: FeatureConfig = field(default_factory=FeatureConfig)
    C: float = 1.0
    category_C: float = 1.0
    nb_alpha: float | None = 1.0  # None: plain logistic regression
    toxicity_columns: int = 200_000
    category_columns: int = 40_000
    source_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SOURCE_WEIGHTS))
    seed: int = SEED

    def to_dict(self) -> dict:
        data = asdict(self)
        data["features"] = self.features.to_dict()
        return data


@dataclass
class HeadModel:
    columns: np.ndarray  # uint32, sorted
    weights: np.ndarray  # float32
    bias: float


@dataclass
class TrainingResult:
    heads: dict[str, HeadModel]
    hold_threshold: float
    validation: dict
    counts: dict
    seconds: float


def _balanced_weights(groups: np.ndarray, group_weights: dict[str, float]) -> np.ndarray:
    """Each group gets ``group_weights[group]`` in total, shared evenly by its rows; mean weight 1."""
    weights = np.zeros(len(groups), dtype=np.float64)
    for group in np.unique(groups):
        mask = groups == group
        weights[mask] = group_weights.get(str(group), 1.0) / mask.sum()
    return weights * (len(groups) / weights.sum())


def _nb_ratios(matrix: sp.csr_matrix, labels: np.ndarray, weights: np.ndarray, alpha: float) -> np.ndarray:
    """Naive-Bayes log-count ratios per column from weighted presence counts (NB-SVM, Wang & Manning)."""
    present = matrix.copy()
    present.data[:] = 1.0
    positive = np.asarray(present.T @ (weights * (labels == 1))).ravel() + alpha
    negative = np.asarray(present.T @ (weights * (labels == 0))).ravel() + alpha
    return np.log((positive / positive.sum()) / (negative / negative.sum())).astype(np.float32)


def _fit(matrix: sp.csr_matrix, labels: np.ndarray, weights: np.ndarray, C: float, seed: int, nb_alpha):
    """Logistic regression, on NB-scaled features when ``nb_alpha`` is set; weights come back unscaled."""
    ratios = _nb_ratios(matrix, labels, weights, nb_alpha) if nb_alpha else None
    if ratios is not None:
        matrix = matrix @ sp.diags(ratios)
    model = LogisticRegression(C=C, solver="liblinear", max_iter=500, random_state=seed)
    model.fit(matrix, labels, sample_weight=weights)
    coef = model.coef_.ravel()
    if ratios is not None:
        coef = coef * ratios  # fold the scaling in: x.(r*w) == (x*r).w
    return coef.astype(np.float32), float(model.intercept_[0])


def _prune(coef: np.ndarray, bias: float, keep: int) -> HeadModel:
    nonzero = np.flatnonzero(coef)
    if len(nonzero) > keep:
        order = np.argsort(-np.abs(coef[nonzero]), kind="stable")[:keep]
        nonzero = np.sort(nonzero[order])
    return HeadModel(nonzero.astype(np.uint32), coef[nonzero].astype(np.float32), float(bias))


def _decision(matrix: sp.csr_matrix, head: HeadModel) -> np.ndarray:
    return matrix[:, head.columns.astype(np.int64)] @ head.weights + head.bias


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    if len(np.unique(labels)) < 2:
        return None
    return round(float(roc_auc_score(labels, scores)), 4)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -40.0, 40.0)))


def choose_threshold(probabilities: np.ndarray, labels: np.ndarray, sources: np.ndarray) -> dict:
    """Threshold minimising mean leak (over sources with positives) + mean false holds (with negatives)."""
    with_pos = [s for s in np.unique(sources) if ((sources == s) & (labels == 1)).any()]
    with_neg = [s for s in np.unique(sources) if ((sources == s) & (labels == 0)).any()]
    best = None
    for threshold in np.round(np.arange(0.05, 0.951, 0.005), 3):
        leak = np.mean([np.mean(probabilities[(sources == s) & (labels == 1)] < threshold) for s in with_pos])
        holds = np.mean(
            [np.mean(probabilities[(sources == s) & (labels == 0)] >= threshold) for s in with_neg]
        )
        if best is None or leak + holds < best["leak"] + best["false_holds"] - 1e-12:
            best = {"threshold": float(threshold), "leak": float(leak), "false_holds": float(holds)}
    assert best is not None  # the loop always runs
    return {key: round(value, 4) for key, value in best.items()}


def _toxicity_validation(probabilities, labels, sources, threshold) -> dict:
    per_source = {}
    clean_val = labels == 0
    for source in sorted(np.unique(sources)):
        mask = sources == source
        row: dict = {"rows": int(mask.sum()), "positives": int(labels[mask].sum())}
        if source == "civil_comments":
            # Positives only: compare with the clean validation rows of every source.
            row["auc_vs_all_clean"] = _auc(labels[mask | clean_val], probabilities[mask | clean_val])
            news = mask | (sources == "agora_civil")
            row["auc_vs_agora_civil"] = _auc(labels[news], probabilities[news])
        else:
            row["auc"] = _auc(labels[mask], probabilities[mask])
        if labels[mask].any():
            row["leak"] = round(float(np.mean(probabilities[mask & (labels == 1)] < threshold)), 4)
        if (labels[mask] == 0).any():
            row["false_holds"] = round(float(np.mean(probabilities[mask & (labels == 0)] >= threshold)), 4)
        per_source[str(source)] = row
    return per_source


def train_model(
    examples: list[Example],
    config: TrainingConfig,
    progress: Callable[[str], None] = lambda stage: None,
) -> TrainingResult:
    started = time.perf_counter()
    featurizer = Featurizer(config.features)
    labels = np.array([ex.label for ex in examples], dtype=np.int8)
    sources = np.array([ex.source for ex in examples])
    is_train = np.array([ex.split == "train" for ex in examples])
    is_val = ~is_train

    progress("featurising")
    matrix = featurizer.transform([ex.text for ex in examples])
    train_matrix = matrix[is_train]
    val_matrix = matrix[is_val]

    progress("fitting toxicity")
    # Every (source, class) group gets half its source's weight, whatever its size; a source with one
    # class (civil_comments: positives, agora_civil: negatives) is thus matched by the other.
    groups = np.array([f"{s}:{y}" for s, y in zip(sources[is_train], labels[is_train], strict=True)])
    group_weights = {
        str(group): config.source_weights.get(str(group).split(":")[0], 1.0) / 2
        for group in np.unique(groups)
    }
    weights = _balanced_weights(groups, group_weights)
    coef, bias = _fit(train_matrix, labels[is_train], weights, config.C, config.seed, config.nb_alpha)
    full_val = _sigmoid(val_matrix @ coef + bias)
    heads = {"toxicity": _prune(coef, bias, config.toxicity_columns)}
    val_probabilities = _sigmoid(_decision(val_matrix, heads["toxicity"]))
    val_labels, val_sources = labels[is_val], sources[is_val]
    threshold = choose_threshold(val_probabilities, val_labels, val_sources)
    validation: dict = {
        "toxicity": {
            "threshold": threshold,
            "pooled_auc_unpruned": _auc(val_labels, full_val),
            "pooled_auc": _auc(val_labels, val_probabilities),
            "per_source": _toxicity_validation(
                val_probabilities, val_labels, val_sources, threshold["threshold"]
            ),
        }
    }

    for category in CATEGORIES:
        progress(f"fitting {category}")
        cat = np.array([ex.categories.get(category, -1) for ex in examples], dtype=np.int8)
        known = cat >= 0
        rows = is_train & known
        # Groups: positives per source; clean negatives per source; toxic negatives (other categories).
        kind = np.where(cat == 1, "pos", np.where(labels == 0, "clean", "other"))
        cat_groups = np.array([f"{k}:{s}" for k, s in zip(kind[rows], sources[rows], strict=True)])
        totals = {"pos": 1.0, "clean": 0.5, "other": 0.5}
        kinds = [str(g).split(":")[0] for g in np.unique(cat_groups)]
        cat_weights = _balanced_weights(
            cat_groups,
            {str(g): totals[k] / kinds.count(k) for g, k in zip(np.unique(cat_groups), kinds, strict=True)},
        )
        coef, bias = _fit(
            matrix[rows], cat[rows], cat_weights, config.category_C, config.seed, config.nb_alpha
        )
        head = _prune(coef, bias, config.category_columns)
        heads[category] = head
        val_rows = is_val & known
        scores = _decision(matrix[val_rows], head)
        other = (labels[val_rows] == 1) | (cat[val_rows] == 1)
        validation[category] = {
            "val_positives": int(cat[val_rows].sum()),
            "auc": _auc(cat[val_rows], scores),
            "auc_among_toxic": _auc(cat[val_rows][other], scores[other]),
        }

    counts: dict = {}
    for ex in examples:
        entry = counts.setdefault(ex.source, {"train_pos": 0, "train_neg": 0, "val_pos": 0, "val_neg": 0})
        entry[f"{ex.split}_{'pos' if ex.label else 'neg'}"] += 1
    return TrainingResult(
        heads=heads,
        hold_threshold=threshold["threshold"],
        validation=validation,
        counts=counts,
        seconds=round(time.perf_counter() - started, 1),
    )


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def write_artifact(result: TrainingResult, config: TrainingConfig, data_dir: Path, path: Path) -> int:
    """Write the .npz artifact (deterministic bytes); returns its size in bytes."""
    meta = {
        "format": ARTIFACT_FORMAT,
        "heads": list(HEADS),
        "normalizer_version": NORMALIZER_VERSION,
        "features": config.features.to_dict(),
        "hold_threshold": result.hold_threshold,
        "training": {
            "config": config.to_dict(),
            "data_files": {name: _file_digest(Path(data_dir) / name) for name in TRAINING_FILES},
            "counts": result.counts,
            "validation": result.validation,
            "scikit_learn": sklearn.__version__,
        },
    }
    arrays = {"meta": np.array(json.dumps(meta, sort_keys=True))}
    for name in HEADS:
        head = result.heads[name]
        arrays[f"{name}__columns"] = head.columns.astype(np.uint32)
        arrays[f"{name}__weights"] = head.weights.astype(np.float32)
        arrays[f"{name}__bias"] = np.array([head.bias], dtype=np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())
    tmp.replace(path)
    return path.stat().st_size


def train_and_write(data_dir: Path, out_path: Path, config: TrainingConfig, progress=lambda stage: None):
    progress("loading data")
    examples = load_training_data(Path(data_dir))
    result = train_model(examples, config, progress)
    progress("writing artifact")
    size = write_artifact(result, config, Path(data_dir), Path(out_path))
    return result, size, examples
