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

from .classifier import HEADS, SiteLayer, get_model

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


# Words in the name of a 0/1 column that labels a harm: averaged in ``mean_auc``.
HARM_WORDS = (
    "toxic",
    "insult",
    "threat",
    "obscene",
    "profan",
    "hate",
    "hostil",
    "antagon",
    "condescend",
    "dismissive",
    "sarcas",
    "generalisation",
    "abusive",
    "provocative",
    "racist",
    "sexist",
    "homophob",
    "radical",
    "nationalist",
    "violence",
    "offens",
    "identity",
    "attack",
    "label_",
)
# Files whose ``label`` means hate against a group (the identity_attack head's meaning).
HATE_FILES = ("hateval", "ethos", "hatecheck", "stormfront")


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
    sources: list[str] = field(default_factory=list)
    label_head: str = "toxicity"


def read_csv_text(path: Path) -> str:
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


def load_eval_data(
    path: Path, label_columns: Sequence[str] | None = None, label_head: str | None = None
) -> EvalData:
    path = Path(path)
    if not path.is_file():
        raise EvaluationError(f"data file not found: {path}")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(io.StringIO(read_csv_text(path), newline=""))
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
        sources=[(row.get("source") or "").strip() or path.name for row in rows],
        label_head=label_head or label_head_for(path),
    )


def head_for_column(column: str) -> str:
    lowered = column.lower()
    for word, head in _HEAD_FOR_COLUMN:
        if word in lowered:
            return head
    return "toxicity"


def is_harm_column(column: str) -> bool:
    """Whether a 0/1 column labels a harm (averaged in ``mean_auc``); ``healthy``, target groups and
    the like are reported but not averaged."""
    lowered = column.lower()
    return any(word in lowered for word in HARM_WORDS)


def label_head_for(path: Path) -> str:
    """The deciding head whose meaning a file's ``label`` has (hate data sets: identity_attack)."""
    name = Path(path).name.lower()
    return "identity_attack" if any(word in name for word in HATE_FILES) else "toxicity"


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    mask = ~np.isnan(labels.astype(np.float64))
    labels, scores = labels[mask], scores[mask]
    if len(np.unique(labels)) < 2:
        return None
    return round(float(roc_auc_score(labels, scores)), 4)


def _rate(values: np.ndarray) -> float | None:
    return round(float(np.mean(values)), 4) if len(values) else None


def measure_speed(
    single: Callable[[str], object], batch: Callable[[list[str]], object], texts: list[str], samples: int
) -> dict:
    """Single-comment latency percentiles and batch throughput, on one thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        chosen = latency_sample(texts, samples)
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
    return {
        **latency_percentiles(latencies),
        "per_second": round(len(texts) / elapsed, 1) if elapsed > 0 else None,
    }


def latency_sample(texts: list[str], samples: int) -> list[str]:
    """The texts timed one by one: ``samples`` of them, spread over the list."""
    return texts[:: max(1, len(texts) // max(1, samples))][:samples]


def latency_percentiles(latencies: list[float]) -> dict:
    """p50 and p99 of latencies in milliseconds."""
    latencies = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 3),
    }


@dataclass(frozen=True)
class OperatingPoint:
    """The thresholds a run holds at: a comment is held when any deciding head reaches its own."""

    thresholds: dict[str, float]
    source: str  # where they came from: "target", "site decisions", "--hold-threshold"
    target: float | None = None
    expected: dict = field(default_factory=dict)  # expected false holds and leak, per head

    def held(self, probabilities: dict[str, np.ndarray]) -> np.ndarray:
        held = np.zeros(len(probabilities["toxicity"]), dtype=bool)
        for head, threshold in self.thresholds.items():
            if head in probabilities:
                held |= probabilities[head] >= threshold
        return held

    def as_dict(self) -> dict:
        return {"thresholds": self.thresholds, "from": self.source, "target": self.target, **self.expected}


def _leak_and_holds(held: np.ndarray, labels: np.ndarray) -> dict:
    return {"leak": _rate(~held[labels == 1]), "false_holds": _rate(held[labels == 0])}


def _head_figures(data: EvalData, probabilities: dict[str, np.ndarray], point: OperatingPoint) -> dict:
    """AUC of each deciding head on the labels that fit its meaning, and its leak/false holds alone."""
    heads: dict = {}
    for head in point.thresholds:
        if head not in probabilities:
            continue
        columns = [c for c in data.label_columns if head_for_column(c) == head and is_harm_column(c)]
        entry: dict = {"labels": (["label"] if data.label_head == head else []) + columns}
        if data.label_head == head:
            entry["auc"] = _auc(data.labels, probabilities[head])
            held = probabilities[head] >= point.thresholds[head]
            entry.update(_leak_and_holds(held, data.labels))
        entry["column_auc"] = {c: _auc(data.label_columns[c], probabilities[head]) for c in columns}
        if entry["labels"]:
            heads[head] = entry
    return heads


def _per_source(data: EvalData, probabilities: dict[str, np.ndarray], held: np.ndarray) -> dict:
    found = {}
    for source in sorted(set(data.sources)):
        mask = np.array([s == source for s in data.sources])
        labels = data.labels[mask]
        found[source] = {
            "rows": int(mask.sum()),
            "positives": int(labels.sum()),
            "auc": _auc(labels, probabilities[data.label_head][mask]),
            **_leak_and_holds(held[mask], labels),
        }
    return found


def _functionalities(data: EvalData, held: np.ndarray, head_held: np.ndarray) -> tuple[dict, dict]:
    """Accuracy per functionality (held == hateful), and the caught / held shares of HateCheck-like suites."""
    assert data.functionality is not None
    per_function = {}
    names = np.array(data.functionality)
    for name in sorted(set(data.functionality)):
        mask = names == name
        correct = held[mask] == (data.labels[mask] == 1)
        per_function[name] = {"n": int(mask.sum()), "accuracy": round(float(np.mean(correct)), 4)}
    hateful, other = data.labels == 1, data.labels == 0
    summary = {
        "policy": {"hateful_caught": _rate(held[hateful]), "non_hateful_held": _rate(held[other])},
        data.label_head: {
            "hateful_caught": _rate(head_held[hateful]),
            "non_hateful_held": _rate(head_held[other]),
        },
    }
    return per_function, summary


def figures(data: EvalData, probabilities: dict[str, np.ndarray], point: OperatingPoint) -> dict:
    """AUCs, leak and false holds for one scorer; ``probabilities`` maps head name to scores."""
    toxicity = probabilities["toxicity"]
    result: dict = {"auc": _auc(data.labels, toxicity)}
    column_aucs = {
        column: _auc(values, probabilities.get(head_for_column(column), toxicity))
        for column, values in data.label_columns.items()
    }
    result["label_columns"] = column_aucs
    harm = {c: v for c, v in column_aucs.items() if v is not None and is_harm_column(c)}
    result["mean_auc_columns"] = sorted(harm)
    result["mean_auc"] = round(float(np.mean(list(harm.values()))), 4) if harm else result["auc"]
    held = point.held(probabilities)
    result["hold_threshold"] = point.thresholds["toxicity"]
    result["operating_point"] = point.as_dict()
    result.update(_leak_and_holds(held, data.labels))
    result["heads"] = _head_figures(data, probabilities, point)
    result["per_source"] = _per_source(data, probabilities, held)
    if data.functionality is not None:
        head = data.label_head
        head_held = probabilities[head] >= point.thresholds.get(head, 1.1)
        result["functionality_accuracy"], result["functionality_summary"] = _functionalities(
            data, held, head_held
        )
    return result


def scorer(layer: SiteLayer | None = None) -> Callable[[list[str]], dict[str, np.ndarray]]:
    """Probabilities per head for a batch of texts, from the base model (and a site layer)."""
    model = get_model()

    def probabilities(texts: list[str]) -> dict[str, np.ndarray]:
        parts = [model.predict_proba(texts[i : i + 1000], layer) for i in range(0, len(texts), 1000)]
        matrix = np.vstack(parts) if parts else np.zeros((0, len(HEADS)))
        return {head: matrix[:, j] for j, head in enumerate(HEADS)}

    return probabilities


def evaluate_ours(
    data: EvalData, point: OperatingPoint, latency_samples: int, layer: SiteLayer | None = None
) -> dict:
    model = get_model()  # load outside the timings
    result = figures(data, scorer(layer)(data.texts), point)

    def single(text: str) -> object:
        return model.score_batch([text], layer)

    result.update(
        measure_speed(single, lambda texts: model.score_batch(texts, layer), data.texts, latency_samples)
    )
    return result


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
    point = OperatingPoint({"toxicity": BASELINE_THRESHOLD}, "its predict()")
    result = figures(data, {"toxicity": probabilities, data.label_head: probabilities}, point)
    result.update(measure_speed(lambda text: predict_prob([text]), predict_prob, data.texts, latency_samples))
    return result
