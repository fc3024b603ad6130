"""Which moderation model the site runs: the shipped artifact, or an adopted site version of it.

``current()`` is read on every post (one cache get: a snapshot rebuilt after any version changes):
the active version's site layer, if any, and the threshold tables the policy derives thresholds
from (the site's own when it has enough decisions, else the artifact's validation tables).
``score`` / ``score_batch`` are the scores the pipeline and the nudge use: the base model with the
active layer on top. A layer fitted on another artifact than the one installed is ignored (the base
model was retrained or upgraded: adapt again).

Versions are written by ``moderation.adaptation``; ``rollback`` makes an earlier adopted version (or
the shipped model) active again.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from agora.snapshots import snapshot
from moderation import audit, classifier
from moderation.classifier import ModerationScores, SiteLayer, ThresholdTables
from moderation.models import ModelVersion

VERSIONS_SNAPSHOT = "moderation-model-version"  # agora.snapshots: rebuilt after any version is saved


class VersionError(ValueError):
    """A version change that is not allowed; the message says why."""


@dataclass(frozen=True)
class Current:
    version_id: int | None
    layer: SiteLayer | None
    tables: ThresholdTables
    tables_from: str  # "validation data" or "site decisions"


@dataclass(frozen=True)
class _Active:
    version_id: int
    artifact: str
    layer: SiteLayer | None
    tables: ThresholdTables | None


def _build() -> _Active | None:
    version = ModelVersion.objects.filter(is_active=True).first()
    if version is None:
        return None
    layer = SiteLayer.from_bytes(bytes(version.layer)) if version.layer else None
    tables = ThresholdTables.from_json(version.tables) if version.tables else None
    return _Active(version.pk, version.artifact, layer, tables)


def current() -> Current:
    """The model the site runs; ModelUnavailable when the artifact is missing."""
    model = classifier.get_model()
    active = snapshot(VERSIONS_SNAPSHOT, _build)
    if active is None or active.artifact != model.digest:
        return Current(None, None, model.tables, "validation data")
    if active.tables is None:
        return Current(active.version_id, active.layer, model.tables, "validation data")
    return Current(active.version_id, active.layer, active.tables, "site decisions")


def score_batch(texts: Iterable[str]) -> list[ModerationScores]:
    """Scores from the model the site runs (base model and active site layer)."""
    return classifier.get_model().score_batch(texts, current().layer)


def score(text: str) -> ModerationScores:
    return score_batch([text])[0]


def base_version() -> ModelVersion:
    """The record of the shipped model (created the first time a site adapts or looks)."""
    digest = classifier.get_model().digest
    version = ModelVersion.objects.filter(trigger=ModelVersion.Trigger.BASE, artifact=digest).first()
    if version is not None:
        return version
    with transaction.atomic():
        active = ModelVersion.objects.select_for_update().filter(is_active=True).exists()
        return ModelVersion.objects.create(
            trigger=ModelVersion.Trigger.BASE,
            artifact=digest,
            adopted=True,
            is_active=not active,
            activated_at=None if active else timezone.now(),
            counts=classifier.get_model().meta["training"]["counts"],
            note="the shipped model, trained on the public data sets (model card: moderation/MODEL_CARD.md)",
        )


def activate(version: ModelVersion) -> None:
    """Make `version` the one the site runs (inside a transaction)."""
    ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    version.is_active, version.activated_at = True, timezone.now()
    version.save(update_fields=["is_active", "activated_at"])


def rollback(moderator, version: ModelVersion, reason: str = "") -> ModelVersion:
    """Run an earlier adopted version (or the shipped model) again; audited."""
    if not (moderator.is_authenticated and moderator.has_perm("moderation.moderate_comments")):
        raise VersionError("Only moderators can change the moderation model.")
    if not version.adopted:
        raise VersionError("Only a version that was adopted can run again.")
    if version.artifact != classifier.get_model().digest:
        raise VersionError("This version was built on another base model than the one installed.")
    with transaction.atomic():
        previous = ModelVersion.objects.filter(is_active=True).first()
        activate(version)
        audit.record(
            moderator,
            "rollback_model",
            version,
            reason or "rolled back by a moderator",
            previous=previous.pk if previous else None,
        )
    return version
