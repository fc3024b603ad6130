"""Evaluating the toxicity model (and the alt-profanity-check baseline) on a labelled CSV file.

Used by ``python manage.py evaluate_moderation``; see that command for the figures it reports.
"""

from __future__ import annotations

import csv
import gzip
import io
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

BASELINE_NAME = "alt-profanity-check"
BASELINE_THRESHOLD = 0.5  # what its predict() uses
# Columns that hold 0/1 values but are not labels of the text.
NOT_LABEL_COLUMNS = {
    "text",
    "label",
    "split",
    "id",
    "source",
    "domain",
    "annotators_saw_parent",
    "civil_comments_toxicity_ge_0_5",
}
# Which of our heads answers a label column, by a word in the column's name.
_HEAD_FOR_COLUMN = (
    ("insult", "insult"),
    ("identity", "identity_attack"),
    ("hate", "identity_attack"),
    ("obscene", "obscene"),
    ("profan", "obscene"),
    ("threat", "threat"),
)


class EvaluationError(ValueError):
    """Bad input: missing file, missing columns, no rows."""


@dataclass
class EvalData:
    texts: list[str]
    labels: np.ndarray
    label_columns: dict[str, np.ndarray] = field(default_factory=dict)  # NaN where blank
    functionality: list[str] | None = None
    split_filtered: bool = False
    rows_read: int = 0


def _read_csv_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise EvaluationError(f"{path}: not a readable gzip file ({exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvaluationError(f"{path}: not UTF-8 text ({exc})") from exc


def _as_binary(value: str) -> float | None:
    """1.0 / 0.0 for "1", "0", "1.0", "0.0", "True", "False"; NaN for blank; None for anything else."""
    value = value.strip()
    if value in ("", "nan", "NaN", "NA"):
        return float("nan")
    if value in ("1", "1.0", "True", "true"):
        return 1.0
    if value in ("0", "0.0", "False", "false"):
        return 0.0
    return None


def load_eval_data(path: Path, label_columns: Sequence[str] | None = None) -> EvalData:
    path = Path(path)
    if not path.is_file():
        raise EvaluationError(f"data file not found: {path}")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(io.StringIO(_read_csv_text(path), newline=""))
    columns = reader.fieldnames or []
    for required in ("text", "label"):
        if required not in columns:
            raise EvaluationError(f"{path}: no {required!r} column (columns: {', '.join(columns) or 'none'})")
    rows = list(reader)
    rows_read = len(rows)
    split_filtered = "split" in columns
    if split_filtered:
        rows = [row for row in rows if (row.get("split") or "").strip() == "test"]
    if not rows:
        detail = " with split == 'test'" if split_filtered and rows_read else ""
        raise EvaluationError(f"{path}: no rows{detail} to evaluate")
    labels = []
    for number, row in enumerate(rows, start=1):
        value = _as_binary(row.get("label") or "")
        if value is None or np.isnan(value):
            raise EvaluationError(f"{path}: row {number}: label must be 0 or 1, got {row.get('label')!r}")
        labels.append(int(value))
    extra: dict[str, np.ndarray] = {}
    candidates = (
        label_columns if label_columns is not None else [c for c in columns if c not in NOT_LABEL_COLUMNS]
    )
    for column in candidates:
        if column not in columns:
            raise EvaluationError(f"{path}: no {column!r} column")
        values = [_as_binary(row.get(column) or "") for row in rows]
        if any(v is None for v in values):
            if label_columns is not None:
                raise EvaluationError(f"{path}: column {column!r} is not a 0/1 label column")
            continue
        array = np.array(values, dtype=np.float64)
        known = array[~np.isnan(array)]
        if label_columns is not None or (len(np.unique(known)) == 2):
            extra[column] = array
    return EvalData(
        texts=[row.get("text") or "" for row in rows],
        labels=np.array(labels, dtype=np.int8),
        label_columns=extra,
        functionality=[row.get("functionality") or "" for row in rows]
        if "functionality" in columns
        else None,
        split_filtered=split_filtered,
        rows_read=rows_read,
    )


def head_for_column(column: str) -> str:
    lowered = column.lower()
    for word, head in _HEAD_FOR_COLUMN:
        if word in lowered:
            return head
    return "toxicity"


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    mask = ~np.isnan(labels.astype(np.float64))
    labels, scores = labels[mask], scores[mask]
    if len(np.unique(labels)) < 2:
        return None
    return round(float(roc_auc_score(labels, scores)), 4)


def _timings(
    single: Callable[[str], object], batch: Callable[[list[str]], object], texts: list[str], samples: int
) -> dict:
    """Single-comment latency percentiles and batch throughput, on one thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        step = max(1, len(texts) // max(1, samples))
        chosen = texts[::step][:samples]
        for text in chosen[:20]:
            single(text)  # warm-up
        latencies = []
        for text in chosen:
            started = time.perf_counter()
            single(text)
            latencies.append((time.perf_counter() - started) * 1000.0)
        started = time.perf_counter()
        for start in range(0, len(texts), 1000):
            batch(texts[start : start + 1000])
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 3),
        "per_second": round(len(texts) / elapsed, 1) if elapsed > 0 else None,
    }


def _figures(data: EvalData, probabilities: dict[str, np.ndarray], threshold: float) -> dict:
    """AUCs, leak and false holds for one scorer; ``probabilities`` maps head name to scores."""
    toxicity = probabilities["toxicity"]
    figures: dict = {"auc": _auc(data.labels, toxicity)}
    column_aucs = {
        column: _auc(values, probabilities.get(head_for_column(column), toxicity))
        for column, values in data.label_columns.items()
    }
    figures["label_columns"] = column_aucs
    usable = [value for value in column_aucs.values() if value is not None]
    figures["mean_auc"] = round(float(np.mean(usable)), 4) if usable else figures["auc"]
    held = toxicity >= threshold
    positives, negatives = data.labels == 1, data.labels == 0
    figures["hold_threshold"] = threshold
    figures["leak"] = round(float(np.mean(~held[positives])), 4) if positives.any() else None
    figures["false_holds"] = round(float(np.mean(held[negatives])), 4) if negatives.any() else None
    if data.functionality is not None:
        per_function = {}
        for name in sorted(set(data.functionality)):
            mask = np.array([f == name for f in data.functionality])
            correct = held[mask] == (data.labels[mask] == 1)
            per_function[name] = {"n": int(mask.sum()), "accuracy": round(float(np.mean(correct)), 4)}
        figures["functionality_accuracy"] = per_function
    return figures


def _score_ours(texts: list[str]) -> dict[str, np.ndarray]:
    from .classifier import HEADS, get_model

    model = get_model()
    parts = [model.predict_proba(texts[start : start + 1000]) for start in range(0, len(texts), 1000)]
    matrix = np.vstack(parts) if parts else np.zeros((0, len(HEADS)))
    return {head: matrix[:, j] for j, head in enumerate(HEADS)}


def evaluate_ours(data: EvalData, threshold: float, latency_samples: int) -> dict:
    from .classifier import get_model, score, score_batch

    get_model()  # load outside the timings
    figures = _figures(data, _score_ours(data.texts), threshold)
    figures.update(_timings(score, score_batch, data.texts, latency_samples))
    return figures


def load_baseline():
    """alt-profanity-check's ``predict_prob``, or None where the package is not installed."""
    try:
        from profanity_check import predict_prob
    except ImportError:
        return None
    return predict_prob


def evaluate_baseline(data: EvalData, latency_samples: int, predict_prob=None) -> dict | None:
    predict_prob = predict_prob or load_baseline()
    if predict_prob is None:
        return None
    probabilities = np.asarray(predict_prob(data.texts), dtype=np.float64)
    figures = _figures(data, {"toxicity": probabilities}, BASELINE_THRESHOLD)
    figures.update(_timings(lambda text: predict_prob([text]), predict_prob, data.texts, latency_samples))
    return figures
