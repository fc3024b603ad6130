"""Small, rarely edited tables read on almost every post, copied into each process until edited.

A snapshot has a generation in the shared cache (agora.page_cache's counters).  Saving or
deleting a row of its models bumps it at once and again when the transaction commits (a
process that rebuilt in between, from the data before the commit, rebuilds once more), and
every process rebuilds its copy on its next read: a read costs one cache get, not a query.
Changes that bypass model signals (queryset.update, raw SQL) must call `invalidate(scope)`.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

from agora.page_cache import bump_generation, current_generation

T = TypeVar("T")

_copies: dict[str, tuple[int, Any]] = {}


def snapshot(scope: str, build: Callable[[], T]) -> T:
    """This process's copy of the `scope` snapshot, built again by `build()` after any edit."""
    generation = current_generation(scope)
    held = _copies.get(scope)
    if held is not None and held[0] == generation:
        return held[1]
    value = build()
    _copies[scope] = (generation, value)
    return value


def invalidate(scope: str) -> None:
    bump_generation(scope)
    transaction.on_commit(lambda: bump_generation(scope))


def invalidate_on_change(scope: str, *models: type[Model]) -> None:
    """Connect the models' save and delete signals to `invalidate(scope)` (call from AppConfig.ready)."""

    def changed(**kwargs: object) -> None:
        invalidate(scope)

    for model in models:
        uid = f"snapshot:{scope}:{model._meta.label}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":save")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":delete")


def invalidate_on_m2m_change(scope: str, through: type[Model]) -> None:
    """As invalidate_on_change, for the rows of a many-to-many table (added, removed, cleared)."""

    def changed(action: str, **kwargs: object) -> None:
        if action.startswith("post_"):
            invalidate(scope)

    uid = f"snapshot:{scope}:{through._meta.label}:m2m"
    m2m_changed.connect(changed, sender=through, weak=False, dispatch_uid=uid)
