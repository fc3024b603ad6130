"""Training the moderation model and writing its artifact (used by ``train_moderation_model``).

Three layers, each fitted on data the layer below never saw:

1. **Linear components** on the ``train`` rows: L2-regularised logistic regressions over the hashed
   features of ``moderation.features``, scaled by naive-Bayes log-count ratios (NB-SVM; the scaling
   is folded into the stored weights). Each (source, class) group gets the same total weight, so no
   source's size or base rate turns into a signal:

   * ``pooled``: toxicity on every toxicity source (ParaDetox down-weighted);
   * ``participant``: Kaggle's insults aimed at a participant in the discussion;
   * ``identity``: hate against a group, on hate-labelled data only (HatEval, Davidson's hate class
     against its offensive class, Stormfront), offensive-but-not-hateful text as negatives;
   * ``insult``, ``obscene``, ``threat``: Civil Comments' span types (they name why a comment is held).

   Plus ``vocabulary``: alt-profanity-check's own model (trained by its authors on about 200,000
   labelled Wikipedia comments and tweets; MIT licence), its vocabulary and weights read from the
   installed package into the artifact.
2. **A stacker per head**, on the ``val`` rows only: the weights of the head's inputs (e.g. toxicity =
   pooled + w1 participant + w2 vocabulary) that maximise the mean per-source validation AUC.
3. **Calibration** on the same rows: Platt scaling on the source-balanced validation rows, then a
   shift of the intercept to the prevalence a news site sees (``TrainingConfig.prevalence``), so a
   score is the probability that a comment of an ordinary news site is toxic. Thresholds come from
   **tables**: for every share of civil comments held (0.1 % steps), the score that holds that share
   of the validation sets' clean comments (each source counted equally) and the share of their toxic
   ones it would let through; ``moderation.policy`` turns a target into thresholds with them.

liblinear with a fixed seed and data read in file order make the run deterministic; the artifact is
written with fixed zip timestamps, so the same data and code give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import itertools
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

from moderation.classifier import (
    ARTIFACT_FORMAT,
    HEADS,
    TABLE_STEPS,
    VOCABULARY,
    HeadSpec,
    default_thresholds,
    logit,
)
from moderation.features import FeatureConfig, Featurizer, VocabularyScorer
from moderation.normalize import NORMALIZER_VERSION

from .data import TRAINING_FILES, Example, load_training_data

SEED = 20240601
TOXICITY_SOURCES = (
    "civil_comments",
    "agora_civil",
    "wikipedia_talk",
    "jigsaw_sample",
    "davidson",
    "olid",
    "kaggle",
    "paradetox",
)
HATE_SOURCES = ("hateval", "davidson", "stormfront", "civil_comments", "agora_civil")
# Clean validation rows of these sources are the "civil comments" the threshold tables count
# (ParaDetox's are rewrites made for the data set, not comments people posted).
CIVIL_REFERENCE_SOURCES = tuple(s for s in TOXICITY_SOURCES if s != "paradetox")
STACKER_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)


@dataclass(frozen=True)
class Component:
    head: str  # the label it is trained on
    sources: tuple[str, ...]
    source_weights: tuple[tuple[str, float], ...] = ()


COMPONENTS = {
    "pooled": Component("toxicity", TOXICITY_SOURCES, (("paradetox", 0.3),)),
    "participant": Component("toxicity", ("kaggle",)),
    "identity": Component("identity_attack", HATE_SOURCES),
}
CATEGORY_COMPONENTS = ("insult", "obscene", "threat")
# Each head: its first input has weight 1, the stacker weighs the others.
HEAD_INPUTS = {
    "toxicity": ("pooled", "participant", VOCABULARY),
    "identity_attack": ("identity", "pooled", VOCABULARY),
}


@dataclass
class TrainingConfig:
    features: FeatureConfig = field(default_factory=FeatureConfig)
    C: float = 1.0
    category_C: float = 1.0
    nb_alpha: float = 1.0
    columns: int = 120_000  # kept per component (largest weights), to keep the artifact small
    category_columns: int = 30_000
    # Share of comments on an ordinary news site that are toxic / attack a group (calibration).
    prevalence: dict[str, float] = field(default_factory=lambda: {"toxicity": 0.05, "identity_attack": 0.01})
    seed: int = SEED

    def to_dict(self) -> dict:
        data = asdict(self)
        data["features"] = self.features.to_dict()
        return data


@dataclass
class LinearComponent:
    columns: np.ndarray  # uint32, sorted
    weights: np.ndarray  # float32
    bias: float


@dataclass
class Vocabulary:
    tokens: list[str]
    idf: np.ndarray
    weights: np.ndarray
    bias: float
    source: str


@dataclass
class TrainingResult:
    components: dict[str, LinearComponent]
    vocabulary: Vocabulary
    heads: dict[str, HeadSpec]
    tables: dict[str, dict[str, np.ndarray]]
    validation: dict
    counts: dict
    seconds: float


def read_profanity_check() -> Vocabulary:
    """alt-profanity-check's vocabulary, IDF and mean SVM weights (the package must be installed)."""
    try:
        from profanity_check import profanity_check as package
    except ImportError as exc:
        raise RuntimeError(
            "training needs alt-profanity-check (pip install -r requirements-dev.txt): "
            "its vocabulary and weights go into the artifact"
        ) from exc
    vectorizer, calibrated = package.vectorizer, package.model.calibrated_classifiers_
    tokens = [token for token, _ in sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])]
    weights = np.mean([c.estimator.coef_.ravel() for c in calibrated], axis=0)
    bias = float(np.mean([c.estimator.intercept_[0] for c in calibrated]))
    return Vocabulary(tokens, vectorizer.idf_.astype(np.float32), weights.astype(np.float32), bias, "")


def _balanced_weights(groups: np.ndarray, group_weights: dict[str, float]) -> np.ndarray:
    """Each group gets ``group_weights[group]`` in total, shared evenly by its rows; mean weight 1."""
    weights = np.zeros(len(groups), dtype=np.float64)
    for group in np.unique(groups):
        mask = groups == group
        weights[mask] = group_weights.get(str(group), 1.0) / mask.sum()
    return weights * (len(groups) / weights.sum())


def source_balanced(sources: np.ndarray, labels: np.ndarray, source_weights: dict[str, float]) -> np.ndarray:
    """Every (source, class) group gets half its source's weight, whatever its size."""
    groups = np.array([f"{s}:{y}" for s, y in zip(sources, labels, strict=True)])
    return _balanced_weights(
        groups, {str(g): source_weights.get(str(g).split(":")[0], 1.0) / 2 for g in np.unique(groups)}
    )


def nb_ratios(matrix: sp.csr_matrix, labels: np.ndarray, weights: np.ndarray, alpha: float) -> np.ndarray:
    """Naive-Bayes log-count ratios per column from weighted presence counts (NB-SVM, Wang & Manning)."""
    present = matrix.copy()
    present.data[:] = 1.0
    positive = np.asarray(present.T @ (weights * (labels == 1))).ravel() + alpha
    negative = np.asarray(present.T @ (weights * (labels == 0))).ravel() + alpha
    return np.log((positive / positive.sum()) / (negative / negative.sum())).astype(np.float32)


def fit_linear(
    matrix: sp.csr_matrix, labels: np.ndarray, weights: np.ndarray, C: float, nb_alpha: float, keep: int
) -> LinearComponent:
    """NB-scaled logistic regression; the largest ``keep`` weights, unscaled, and the bias."""
    ratios = nb_ratios(matrix, labels, weights, nb_alpha)
    model = LogisticRegression(C=C, solver="liblinear", max_iter=500, random_state=SEED)
    model.fit(matrix @ sp.diags(ratios), labels, sample_weight=weights)
    coef = (model.coef_.ravel() * ratios).astype(np.float32)  # x.(r*w) == (x*r).w
    nonzero = np.flatnonzero(coef)
    if len(nonzero) > keep:
        nonzero = np.sort(nonzero[np.argsort(-np.abs(coef[nonzero]), kind="stable")[:keep]])
    return LinearComponent(nonzero.astype(np.uint32), coef[nonzero], float(model.intercept_[0]))


def linear_scores(matrix: sp.csr_matrix, component: LinearComponent) -> np.ndarray:
    return (
        np.asarray(matrix[:, component.columns.astype(np.int64)] @ component.weights).ravel() + component.bias
    )


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    if len(np.unique(labels)) < 2:
        return None
    return round(float(roc_auc_score(labels, scores)), 4)


class Rows:
    """The examples as arrays: labels per head (-1 unknown), sources, splits."""

    def __init__(self, examples: list[Example]):
        self.sources = np.array([ex.source for ex in examples])
        self.is_val = np.array([ex.split == "val" for ex in examples])
        self.labels = {
            head: np.array([ex.labels.get(head, -1) for ex in examples], dtype=np.int8) for head in HEADS
        }

    def select(self, head: str, sources: tuple[str, ...], val: bool) -> np.ndarray:
        return np.flatnonzero(
            (self.labels[head] >= 0) & np.isin(self.sources, sources) & (self.is_val == val)
        )


def per_source_auc(scores: np.ndarray, labels: np.ndarray, sources: np.ndarray) -> dict[str, float]:
    """AUC per source; a source with one class is scored against the clean hand-written sentences."""
    found = {}
    for source in np.unique(sources):
        mask = sources == source
        if len(np.unique(labels[mask])) < 2:
            if source == "agora_civil":
                continue
            mask |= sources == "agora_civil"
        value = auc(labels[mask], scores[mask])
        if value is not None:
            found[str(source)] = value
    return found


def fit_stacker(inputs: np.ndarray, labels: np.ndarray, sources: np.ndarray) -> tuple[list[float], float]:
    """Weights of inputs 2..n (input 1 weighs 1) maximising the mean per-source AUC; and that mean."""
    best: tuple[float, list[float]] | None = None
    for extra in itertools.product(STACKER_GRID, repeat=inputs.shape[1] - 1):
        weights = [1.0, *extra]
        mean = float(np.mean(list(per_source_auc(inputs @ np.array(weights), labels, sources).values())))
        if best is None or mean > best[0] + 1e-9:
            best = (mean, weights)
    assert best is not None
    return best[1], round(best[0], 4)


def fit_calibration(stacked: np.ndarray, labels: np.ndarray, weights: np.ndarray, prevalence: float):
    """Platt scaling on balanced rows, moved to ``prevalence``: (scale, intercept)."""
    model = LogisticRegression(C=1e4, max_iter=1000).fit(
        stacked.reshape(-1, 1), labels, sample_weight=weights
    )
    prior = float(np.average(labels, weights=weights))
    shift = logit(prevalence) - logit(prior)
    return float(model.coef_[0, 0]), float(model.intercept_[0]) + shift


def _weighted_tail(scores: np.ndarray, weights: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """For each share h, the score t with (weighted) share h of `scores` at or above t."""
    order = np.argsort(-scores, kind="stable")
    ranked, cumulative = scores[order], np.cumsum(weights[order]) / weights.sum()
    positions = np.searchsorted(cumulative, shares, side="right")
    thresholds = np.where(positions < len(ranked), ranked[np.minimum(positions, len(ranked) - 1)], 0.0)
    above = ranked[0] + 1e-6
    return np.where(shares <= 0.0, above, np.maximum(thresholds, 0.0)).astype(np.float64)


def threshold_table(civil: np.ndarray, civil_w: np.ndarray, toxic: np.ndarray, toxic_w: np.ndarray) -> dict:
    """Thresholds that hold k/TABLE_STEPS of the civil scores, k = 0..TABLE_STEPS, and the leak at each.

    The threshold is nudged just above the civil score at the boundary, so holding ``>= threshold``
    holds at most the share asked for.
    """
    shares = np.arange(TABLE_STEPS + 1) / TABLE_STEPS
    thresholds = np.minimum(np.nextafter(_weighted_tail(civil, civil_w, shares), 2.0), 1.0)
    thresholds = np.maximum.accumulate(thresholds[::-1])[::-1]  # never increasing with the share
    toxic_sorted = np.argsort(toxic, kind="stable")
    cumulative = np.concatenate([[0.0], np.cumsum(toxic_w[toxic_sorted])]) / toxic_w.sum()
    leak = cumulative[np.searchsorted(toxic[toxic_sorted], thresholds, side="left")]
    return {"threshold": thresholds.astype(np.float32), "leak": leak.astype(np.float32)}


def _balanced_by_source(sources: np.ndarray) -> np.ndarray:
    weights = np.zeros(len(sources))
    for source in np.unique(sources):
        mask = sources == source
        weights[mask] = 1.0 / mask.sum()
    return weights


def _fit_components(matrix, rows: Rows, config: TrainingConfig, progress) -> dict[str, LinearComponent]:
    components = {}
    for name, spec in COMPONENTS.items():
        progress(f"fitting {name}")
        idx = rows.select(spec.head, spec.sources, val=False)
        labels = rows.labels[spec.head][idx]
        weights = source_balanced(rows.sources[idx], labels, dict(spec.source_weights))
        components[name] = fit_linear(matrix[idx], labels, weights, config.C, config.nb_alpha, config.columns)
    for name in CATEGORY_COMPONENTS:
        progress(f"fitting {name}")
        components[name] = _fit_category(matrix, rows, name, config)
    return components


def _fit_category(matrix, rows: Rows, category: str, config: TrainingConfig) -> LinearComponent:
    """Positives per source; clean negatives; toxic negatives (of other kinds): 1 : 0.5 : 0.5."""
    labels = rows.labels[category]
    idx = np.flatnonzero((labels >= 0) & ~rows.is_val)
    kind = np.where(labels[idx] == 1, "pos", np.where(rows.labels["toxicity"][idx] == 0, "clean", "other"))
    groups = np.array([f"{k}:{s}" for k, s in zip(kind, rows.sources[idx], strict=True)])
    totals = {"pos": 1.0, "clean": 0.5, "other": 0.5}
    kinds = _groups_per_kind(groups)
    weights = _balanced_weights(
        groups,
        {str(g): totals[str(g).split(":")[0]] / kinds[str(g).split(":")[0]] for g in np.unique(groups)},
    )
    return fit_linear(
        matrix[idx], labels[idx], weights, config.category_C, config.nb_alpha, config.category_columns
    )


def _groups_per_kind(groups: np.ndarray) -> dict[str, int]:
    """How many distinct groups share each ``kind:`` prefix."""
    counts: dict[str, int] = {}
    for group in np.unique(groups):
        kind = str(group).split(":")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _head_sources(head: str) -> tuple[str, ...]:
    return TOXICITY_SOURCES if head == "toxicity" else HATE_SOURCES


def _calibrated_head(head: str, inputs: dict[str, np.ndarray], rows: Rows, config: TrainingConfig):
    """The head's stacker and calibration, fitted on the validation rows that label its meaning."""
    val_sources, val_labels = rows.sources[rows.is_val], rows.labels[head][rows.is_val]
    mask = (val_labels >= 0) & np.isin(val_sources, _head_sources(head))
    stacked_inputs = np.column_stack([inputs[name] for name in HEAD_INPUTS[head]])
    weights, mean_auc = fit_stacker(stacked_inputs[mask], val_labels[mask], val_sources[mask])
    stacked = stacked_inputs @ np.array(weights)
    balance = source_balanced(val_sources[mask], val_labels[mask], {})
    scale, intercept = fit_calibration(stacked[mask], val_labels[mask], balance, config.prevalence[head])
    spec = HeadSpec(HEAD_INPUTS[head], tuple(weights), scale, intercept)
    return spec, spec.calibrate(stacked), mean_auc


def _reference(rows: Rows, head: str, probabilities: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The threshold table of a head, from the clean and the toxic validation rows."""
    val_sources = rows.sources[rows.is_val]
    civil = (rows.labels["toxicity"][rows.is_val] == 0) & np.isin(val_sources, CIVIL_REFERENCE_SOURCES)
    toxic_sources = CIVIL_REFERENCE_SOURCES if head == "toxicity" else HATE_SOURCES
    toxic = (rows.labels[head][rows.is_val] == 1) & np.isin(val_sources, toxic_sources)
    scores = probabilities[head]
    return threshold_table(
        scores[civil],
        _balanced_by_source(val_sources[civil]),
        scores[toxic],
        _balanced_by_source(val_sources[toxic]),
    )


def _validation_figures(rows: Rows, probabilities: dict[str, np.ndarray], thresholds: dict[str, float]):
    """Per head and source: AUC, leak and false holds at the default target's thresholds."""
    val_sources = rows.sources[rows.is_val]
    figures: dict = {}
    for head, scores in probabilities.items():
        labels = rows.labels[head][rows.is_val]
        known = labels >= 0
        per_source = {}
        aucs = per_source_auc(scores[known], labels[known], val_sources[known])
        for source in sorted(np.unique(val_sources[known])):
            mask = known & (val_sources == source)
            held = scores[mask] >= thresholds[head]
            row: dict = {"rows": int(mask.sum()), "positives": int((labels[mask] == 1).sum())}
            row["auc"] = aucs.get(str(source))
            if (labels[mask] == 1).any():
                row["leak"] = round(float(np.mean(~held[labels[mask] == 1])), 4)
            if (labels[mask] == 0).any():
                row["false_holds"] = round(float(np.mean(held[labels[mask] == 0])), 4)
            per_source[str(source)] = row
        figures[head] = {"threshold": round(thresholds[head], 4), "per_source": per_source}
    return figures


def train_model(
    examples: list[Example],
    config: TrainingConfig,
    progress: Callable[[str], None] = lambda stage: None,
) -> TrainingResult:
    started = time.perf_counter()
    rows = Rows(examples)
    progress("featurising")
    texts = [ex.text for ex in examples]
    matrix = Featurizer(config.features).transform(texts)
    components = _fit_components(matrix, rows, config, progress)
    progress("stacking and calibrating")
    vocabulary = read_profanity_check()
    val_matrix = matrix[rows.is_val]
    inputs = {name: linear_scores(val_matrix, component) for name, component in components.items()}
    val_texts = [ex.raw for ex, val in zip(examples, rows.is_val, strict=True) if val]
    inputs[VOCABULARY] = VocabularyScorer(
        vocabulary.tokens, vocabulary.idf, vocabulary.weights, vocabulary.bias
    ).decision_function(val_texts)
    heads, probabilities, tables, stacker_auc = {}, {}, {}, {}
    for head in HEAD_INPUTS:
        heads[head], probabilities[head], stacker_auc[head] = _calibrated_head(head, inputs, rows, config)
        tables[head] = _reference(rows, head, probabilities)
    defaults = default_thresholds(tables)
    validation = _validation_figures(rows, probabilities, defaults)
    for head in HEAD_INPUTS:
        validation[head]["stacker"] = {
            "weights": dict(zip(heads[head].inputs, heads[head].weights, strict=True))
        }
        validation[head]["stacker"]["mean_source_auc"] = stacker_auc[head]
    counts: dict = {}
    for ex in examples:
        entry = counts.setdefault(ex.source, {"train_pos": 0, "train_neg": 0, "val_pos": 0, "val_neg": 0})
        label = ex.labels.get("toxicity", ex.labels.get("identity_attack"))
        entry[f"{ex.split}_{'pos' if label else 'neg'}"] += 1
    return TrainingResult(
        components=components,
        vocabulary=vocabulary,
        heads=heads,
        tables=tables,
        validation=validation,
        counts=counts,
        seconds=round(time.perf_counter() - started, 1),
    )


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def artifact_arrays(result: TrainingResult) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name, component in result.components.items():
        arrays[f"{name}__columns"] = component.columns.astype(np.uint32)
        arrays[f"{name}__weights"] = component.weights.astype(np.float32)
        arrays[f"{name}__bias"] = np.array([component.bias], dtype=np.float32)
    vocabulary = result.vocabulary
    arrays[f"{VOCABULARY}__tokens"] = np.array("\n".join(vocabulary.tokens))
    arrays[f"{VOCABULARY}__idf"] = vocabulary.idf.astype(np.float32)
    arrays[f"{VOCABULARY}__weights"] = vocabulary.weights.astype(np.float32)
    arrays[f"{VOCABULARY}__bias"] = np.array([vocabulary.bias], dtype=np.float32)
    for head, table in result.tables.items():
        for key, values in table.items():
            arrays[f"table__{head}__{key}"] = values.astype(np.float32)
    return arrays


def write_artifact(result: TrainingResult, config: TrainingConfig, data_dir: Path, path: Path) -> int:
    """Write the .npz artifact (deterministic bytes); returns its size in bytes."""
    meta = {
        "format": ARTIFACT_FORMAT,
        "heads": list(HEADS),
        "components": sorted(result.components),
        "stacked_heads": {head: spec.to_dict() for head, spec in result.heads.items()},
        "normalizer_version": NORMALIZER_VERSION,
        "features": config.features.to_dict(),
        "training": {
            "config": config.to_dict(),
            "data_files": {name: _file_digest(Path(data_dir) / name) for name in TRAINING_FILES},
            "counts": result.counts,
            "validation": result.validation,
            "scikit_learn": sklearn.__version__,
            "vocabulary": "alt-profanity-check 1.9.1 (MIT licence): vocabulary, IDF, mean of its 5 SVMs",
        },
    }
    arrays = {"meta": np.array(json.dumps(meta, sort_keys=True)), **artifact_arrays(result)}
    return write_npz(arrays, Path(path))


def write_npz(arrays: dict[str, np.ndarray], path: Path) -> int:
    """An .npz with fixed zip timestamps and sorted members (same arrays, same bytes); its size."""
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
