"""Site adaptation: learning from the site's own moderators (``manage.py adapt_moderation_model``).

The labelled examples are the site's decisions: every comment a moderator decided last (approved or
kept: 0; rejected or removed: 1; report upheld or dismissed goes with those actions), read from
``ModerationDecision`` with the comment's current text (an erased comment's words go with it), plus
the history a publisher imported (``HistoryExample``, ``import_moderation_history``).

``adapt`` fits a *site layer* on the toxicity head, ``scale * base_logit + residual + bias``, where
the residual is an NB-scaled logistic regression over the same hashed n-grams as the base model (the
base logit enters as one barely penalised column, so the layer starts from the base model and learns
what this site's moderators do differently). A fixed fifth of the examples (by a hash of the text) is
held out. The layer is moved only part of the way from the base model when needed: the boldest of
``SHARES`` that loses at most ``MAX_BASE_LOSS`` AUC on each source of the base model's validation
sets (the public data sets, read from ``MODERATION_BASE_DATA_DIR``); it is **adopted** only when its
AUC on the held-out decisions then beats the running model's. Adopted or not, the fitting is recorded
as a ``ModelVersion``
with its counts and figures. The threshold tables of an adopted version come from the site's own
examples and recently published comments once there are enough of them
(``MODERATION_SITE_MIN_CIVIL`` civil and ``MODERATION_SITE_MIN_TOXIC`` toxic), else from the base
validation rows scored by the new layer.

``scheduled_adaptation`` is what a weekly background task calls.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from sklearn.linear_model import LogisticRegression

from discussions.models import Comment
from moderation import audit, classifier, conf, versions
from moderation.classifier import LinearPart, SiteLayer, ThresholdTables, apply_layer
from moderation.models import HistoryExample, ModelVersion, ModerationDecision
from moderation.normalize import normalize
from moderation.training.data import load_training_data
from moderation.training.train import CIVIL_REFERENCE_SOURCES, nb_ratios, per_source_auc, threshold_table

logger = logging.getLogger(__name__)

HOLDOUT_PERCENT = 20
MAX_BASE_LOSS = 0.01  # AUC an adopted layer may lose on any base validation source
BASE_COLUMN_SCALE = 10.0  # the base logit's column is multiplied by this, so its weight is barely penalised
LAYER_C = 0.1
# How far the layer may move from the base model: the boldest share that keeps the base validation sets
# within MAX_BASE_LOSS is judged on the site's held-out decisions.
SHARES = (1.0, 0.5, 0.25, 0.125)
RESIDUAL_COLUMNS = 20_000
RECENT_DAYS = 90
RECENT_COMMENTS = 20_000


class AdaptationError(Exception):
    """Adaptation cannot run; the message says why and what to do."""


@dataclass
class Examples:
    texts: list[str]  # as written
    labels: np.ndarray
    origins: dict[str, int]  # how many came from each place

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class BaseValidation:
    texts: list[str]  # as written
    labels: np.ndarray
    sources: np.ndarray


def site_examples() -> Examples:
    """Moderators' last decisions on comments, and imported history."""
    decided = (
        ModerationDecision.objects.filter(is_current=True, source=ModerationDecision.Source.MODERATOR)
        .exclude(comment__status=Comment.Status.DELETED)
        .values_list("comment__body", "action")
    )
    rows = [
        (body, int(action == ModerationDecision.Action.REJECT)) for body, action in decided if body.strip()
    ]
    imported = list(HistoryExample.objects.values_list("text", "label"))
    texts = [text for text, _ in rows + imported]
    labels = np.array([label for _, label in rows + imported], dtype=np.int8)
    return Examples(texts, labels, {"moderator_decisions": len(rows), "imported_history": len(imported)})


def base_data_dir() -> Path:
    configured = conf.get("MODERATION_BASE_DATA_DIR")
    return (
        Path(configured) if configured else Path(settings.BASE_DIR).parent / "shared" / "data" / "moderation"
    )


def load_base_validation(data_dir: Path | None = None) -> BaseValidation:
    """The toxicity-labelled validation rows of the public data sets the base model was checked on."""
    data_dir = data_dir or base_data_dir()
    try:
        examples = load_training_data(data_dir)
    except FileNotFoundError as exc:
        raise AdaptationError(
            f"the base model's validation sets are needed to check an adapted model, and they are not "
            f"readable ({exc}); set MODERATION_BASE_DATA_DIR to the folder of the moderation data sets"
        ) from exc
    rows = [ex for ex in examples if ex.split == "val" and ex.label is not None]
    return BaseValidation(
        [ex.text for ex in rows],
        np.array([ex.label for ex in rows], dtype=np.int8),
        np.array([ex.source for ex in rows]),
    )


def _inputs(texts: list[str]) -> tuple[np.ndarray, sp.csr_matrix]:
    """The base toxicity logit (both stages) and the hashed features of the normalised texts."""
    model = classifier.get_model()
    matrix = model.features([normalize(text) for text in texts])
    return model.deciding_logits(texts, matrix)["toxicity"], matrix


def fit_layer(base_logit: np.ndarray, matrix: sp.csr_matrix, labels: np.ndarray) -> SiteLayer:
    """The base logit (one barely penalised column) plus an NB-scaled residual over the n-grams, on
    class-balanced examples; the bias is moved back to the site's own share of taken-down comments."""
    positives = float(labels.sum())
    weights = np.where(labels == 1, (len(labels) - positives) / positives, 1.0)
    ratios = nb_ratios(matrix, labels, weights, 1.0)
    design = sp.hstack(
        [sp.csr_matrix(base_logit.reshape(-1, 1) * BASE_COLUMN_SCALE), matrix @ sp.diags(ratios)]
    )
    model = LogisticRegression(C=LAYER_C, solver="liblinear", max_iter=500, random_state=0)
    model.fit(design.tocsr(), labels, sample_weight=weights)
    coef = model.coef_.ravel()
    residual = coef[1:] * ratios
    nonzero = np.flatnonzero(residual)
    if len(nonzero) > RESIDUAL_COLUMNS:
        nonzero = np.sort(nonzero[np.argsort(-np.abs(residual[nonzero]), kind="stable")[:RESIDUAL_COLUMNS]])
    part = LinearPart(nonzero.astype(np.int64), residual[nonzero].astype(np.float32), 0.0)
    prior = float(np.log(positives / (len(labels) - positives)))
    return SiteLayer(float(coef[0] * BASE_COLUMN_SCALE), float(model.intercept_[0]) + prior, part)


def shrink(layer: SiteLayer, share: float) -> SiteLayer:
    """``(1 - share) * base + share * layer``: the layer moved part of the way from the base model."""
    residual = LinearPart(layer.residual.columns, (layer.residual.weights * share).astype(np.float32), 0.0)
    return SiteLayer(1.0 - share + share * layer.scale, share * layer.bias, residual)


def _scores(layer: SiteLayer | None, base_logit: np.ndarray, matrix: sp.csr_matrix) -> np.ndarray:
    return base_logit if layer is None else apply_layer(layer, base_logit, matrix)


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    values = per_source_auc(scores, labels, np.array(["site"] * len(labels)))
    return values.get("site")


def _base_check(
    candidates: list[SiteLayer], running: SiteLayer | None, base: BaseValidation
) -> tuple[int, dict]:
    """The first candidate (boldest first) that loses at most MAX_BASE_LOSS AUC on every base validation
    source against the running model (-1: none), and the figures of the one judged."""
    logit, matrix = _inputs(base.texts)
    before = per_source_auc(_scores(running, logit, matrix), base.labels, base.sources)
    figures: dict = {}
    for index, layer in enumerate(candidates):
        after = per_source_auc(_scores(layer, logit, matrix), base.labels, base.sources)
        losses = {source: round(before[source] - after.get(source, 0.0), 4) for source in before}
        figures = {"before": before, "after": after, "worst_loss": max(losses.values(), default=0.0)}
        if figures["worst_loss"] <= MAX_BASE_LOSS:
            return index, figures
    return -1, figures


def _recent_published() -> list[str]:
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    bodies = (
        Comment.objects.filter(status=Comment.Status.PUBLISHED, created_at__gte=since)
        .order_by("-created_at")
        .values_list("body", flat=True)[:RECENT_COMMENTS]
    )
    return [body for body in bodies if body.strip()]


def _tables(layer: SiteLayer, examples: Examples, base: BaseValidation) -> tuple[dict, str]:
    """Threshold tables for the new layer: from the site when it has enough examples, else validation."""
    artifact = classifier.get_model().tables
    civil_texts = [
        t for t, y in zip(examples.texts, examples.labels, strict=True) if y == 0
    ] + _recent_published()
    toxic_texts = [t for t, y in zip(examples.texts, examples.labels, strict=True) if y == 1]
    enough = len(civil_texts) >= int(conf.get("MODERATION_SITE_MIN_CIVIL")) and len(toxic_texts) >= int(
        conf.get("MODERATION_SITE_MIN_TOXIC")
    )
    if enough:
        civil, toxic, source = civil_texts, toxic_texts, "site decisions"
        civil_w, toxic_w = np.ones(len(civil)), np.ones(len(toxic))
    else:
        reference = np.isin(base.sources, CIVIL_REFERENCE_SOURCES)
        if not reference.any():  # a base validation set of other sources: all of it
            reference = np.ones(len(base.sources), dtype=bool)
        civil = [t for t, y, r in zip(base.texts, base.labels, reference, strict=True) if r and y == 0]
        toxic = [t for t, y, r in zip(base.texts, base.labels, reference, strict=True) if r and y == 1]
        civil_w = _per_source_weights(base.sources[reference & (base.labels == 0)])
        toxic_w = _per_source_weights(base.sources[reference & (base.labels == 1)])
        source = "validation data"
    civil_scores = classifier.sigmoid(_scores(layer, *_inputs(civil)))
    toxic_scores = classifier.sigmoid(_scores(layer, *_inputs(toxic)))
    toxicity = threshold_table(civil_scores, civil_w, toxic_scores, toxic_w)
    tables = ThresholdTables({"toxicity": toxicity, "identity_attack": artifact.tables["identity_attack"]})
    return tables.to_json(), source


def _per_source_weights(sources: np.ndarray) -> np.ndarray:
    weights = np.zeros(len(sources))
    for source in np.unique(sources):
        weights[sources == source] = 1.0 / (sources == source).sum()
    return weights


def _check_counts(examples: Examples) -> None:
    needed, per_class = (
        int(conf.get("MODERATION_ADAPT_MIN_EXAMPLES")),
        int(conf.get("MODERATION_ADAPT_MIN_PER_CLASS")),
    )
    toxic = int(examples.labels.sum())
    if len(examples) < needed or toxic < per_class or len(examples) - toxic < per_class:
        raise AdaptationError(
            f"not enough of the site's own decisions yet: {len(examples)} examples, {toxic} taken down "
            f"(needs {needed}, and {per_class} of each kind); import past decisions with "
            "`manage.py import_moderation_history FILE.csv`"
        )


def adapt(
    trigger: str = ModelVersion.Trigger.MANUAL,
    user=None,  # type: ignore[no-untyped-def]
    examples: Examples | None = None,
    base: BaseValidation | None = None,
) -> ModelVersion:
    """Fit, check and record a site version; it becomes active only if it is adopted."""
    examples = examples if examples is not None else site_examples()
    _check_counts(examples)
    base = base if base is not None else load_base_validation()
    running = versions.current().layer
    logit, matrix = _inputs(examples.texts)
    holdout = np.array([zlib.crc32(t.encode("utf-8")) % 100 < HOLDOUT_PERCENT for t in examples.texts])
    train, held = ~holdout, holdout
    if len(np.unique(examples.labels[held])) < 2 or len(np.unique(examples.labels[train])) < 2:
        raise AdaptationError("the held-out slice of the site's decisions needs both kinds of decision")
    fitted = fit_layer(logit[train], matrix[train], examples.labels[train])
    chosen, check = _base_check([shrink(fitted, share) for share in SHARES], running, base)
    layer = shrink(fitted, SHARES[chosen] if chosen >= 0 else SHARES[0])
    check["layer_share"] = SHARES[chosen] if chosen >= 0 else None
    site = {
        "before": _auc(examples.labels[held], _scores(running, logit[held], matrix[held])),
        "after": _auc(examples.labels[held], _scores(layer, logit[held], matrix[held])),
    }
    adopted = (site["after"] or 0.0) > (site["before"] or 0.0) and chosen >= 0
    if adopted:
        note = (
            f"adopted: held-out AUC {site['before']} → {site['after']}, "
            f"base loss at most {check['worst_loss']} (layer share {check['layer_share']})"
        )
    elif check["worst_loss"] > MAX_BASE_LOSS:
        note = (
            f"refused: it loses {check['worst_loss']} AUC on a base validation set (at most {MAX_BASE_LOSS})"
        )
    else:
        note = f"refused: held-out AUC {site['after']} does not beat the running model's {site['before']}"
    tables, tables_from = _tables(layer, examples, base) if adopted else ({}, "")
    counts = {
        **examples.origins,
        "fitted_on": int(train.sum()),
        "held_out": int(held.sum()),
        "taken_down": int(examples.labels.sum()),
        "base_validation": len(base.texts),
        "thresholds_from": tables_from,
    }
    with transaction.atomic():
        versions.base_version()
        version = ModelVersion.objects.create(
            created_by=user if user is not None and user.is_authenticated else None,
            trigger=trigger,
            artifact=classifier.get_model().digest,
            layer=layer.to_bytes(),
            tables=tables,
            counts=counts,
            figures={"site_holdout_auc": site, "base_validation_auc": check},
            adopted=adopted,
            note=note[:300],
        )
        if adopted:
            versions.activate(version)
        audit.record(user, "adopt_model" if adopted else "refuse_model", version, note, counts=counts)
    return version


def scheduled_adaptation() -> str:
    """For the weekly background task: adapt, and say what happened (never raises for too little data)."""
    try:
        version = adapt(trigger=ModelVersion.Trigger.SCHEDULE)
    except AdaptationError as exc:
        logger.info("moderation model not adapted: %s", exc)
        return f"not adapted: {exc}"
    return version.note
