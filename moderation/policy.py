"""Which model thresholds apply to a thread: a target per site, section and article, turned into thresholds.

Editors set the policy as a target, "hold at most N % of civil comments" (site: ``MODERATION_HOLD_TARGET``,
default 5 %; section and article: ``ModerationPolicy.hold_target``). The thresholds follow from the
threshold tables of the model the site runs (``moderation.versions.current``): the site's own recent
decisions once an adaptation found enough of them, else the validation data of the shipped model.
A target's share is split between the two deciding heads (``classifier.split_target``: 80 % to
``toxicity``, 20 % to ``identity_attack``), so holding on either stays within it.

=============  ==================================================  ===========================================
level          hold                                                reject threshold
=============  ==================================================  ===========================================
site           MODERATION_HOLD_TARGET (0.05), or a fixed           MODERATION_REJECT_THRESHOLD (default None:
               MODERATION_HOLD_THRESHOLD                           the model alone never rejects)
section        ModerationPolicy(section=…).hold_target (percent),  ….reject_threshold
               or its fixed hold_threshold
article        ModerationPolicy(article=…), the same               ….reject_threshold
=============  ==================================================  ===========================================

A blank value inherits; a fixed threshold at a level overrides that level's target. Normally the most
specific level set wins (an article can be looser than its section: a light story in a strict
section). When the section or the article is marked ``sensitive``, the strictest (lowest toxicity
threshold) of all levels wins instead, so nothing can loosen a sensitive story. Embedded threads (no
article) use the site values. ``Thresholds.expected`` gives the false-hold and leak rates the tables
predict at the chosen thresholds (shown on the dashboard).
"""

from dataclasses import dataclass, field
from typing import Any

from agora.snapshots import snapshot
from discussions.models import Thread
from moderation import conf, versions
from moderation.classifier import ModelUnavailable, ThresholdTables
from moderation.models import ModerationPolicy

POLICIES_SNAPSHOT = "moderation-policies"  # agora.snapshots: rebuilt after any policy is saved or deleted
NEVER = 1.01  # a threshold no score reaches


@dataclass(frozen=True)
class Thresholds:
    hold: float  # toxicity
    reject: float | None
    sensitive: bool
    sources: dict[str, str]  # which level each threshold came from, for the decision record
    identity_hold: float = 1.01
    target: float | None = None  # share of civil comments held, when the hold comes from a target
    expected: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hold": self.hold,
            "identity_hold": self.identity_hold,
            "reject": self.reject,
            "sensitive": self.sensitive,
            "target": self.target,
            "from": self.sources,
        }


@dataclass(frozen=True)
class _Hold:
    level: str
    toxicity: float
    identity: float
    target: float | None


def site_target() -> float:
    return float(conf.get("MODERATION_HOLD_TARGET"))


def _hold_for(level: str, tables: ThresholdTables | None, target: float | None, fixed: float | None) -> _Hold:
    """A level's thresholds: a fixed toxicity threshold, else its target's (identity always from a target).
    Without tables (the model is missing: the pipeline holds everything) only fixed thresholds count."""
    target = target if target is not None else site_target()
    from_target = (
        tables.for_target(target) if tables is not None else {"toxicity": NEVER, "identity_attack": NEVER}
    )
    if fixed is not None:
        return _Hold(level, float(fixed), from_target["identity_attack"], None)
    return _Hold(level, from_target["toxicity"], from_target["identity_attack"], target)


def expected_rates(tables: ThresholdTables | None, toxicity: float, identity: float) -> dict[str, float]:
    """What the tables predict at these thresholds: civil comments held (at most the sum of the heads'
    shares) and toxic comments the toxicity head lets through."""
    if tables is None:
        return {}
    false_holds = tables.false_holds("toxicity", toxicity) + tables.false_holds("identity_attack", identity)
    return {
        "false_holds": round(min(false_holds, 1.0), 4),
        "leak": round(tables.leak("toxicity", toxicity), 4),
        "identity_leak": round(tables.leak("identity_attack", identity), 4),
    }


def _running_tables() -> ThresholdTables | None:
    try:
        return versions.current().tables
    except ModelUnavailable:
        return None


def site_thresholds() -> Thresholds:
    """The site-wide thresholds (embedded threads, the dashboard)."""
    return _decide([], _running_tables())


def _all_policies() -> dict[tuple[str, int | None], ModerationPolicy]:
    """Every section and article policy by (level, id): a few rows, copied into each process."""
    return {
        ("article", p.article_id) if p.article_id else ("section", p.section_id): p
        for p in ModerationPolicy.objects.all()
    }


def _policies(thread: Thread) -> list[tuple[str, ModerationPolicy]]:
    """The section's then the article's policy, those that exist."""
    article = thread.article
    if article is None:
        return []
    every = snapshot(POLICIES_SNAPSHOT, _all_policies)
    found = [
        (level, every.get((level, pk)))
        for level, pk in (("section", article.section_id), ("article", article.pk))
    ]
    return [(level, policy) for level, policy in found if policy is not None]


def _pick(values: list, strictest: bool, key):  # type: ignore[no-untyped-def]
    if not values:
        return None
    return min(values, key=key) if strictest else values[-1]


def _decide(policies: list[tuple[str, ModerationPolicy]], tables: ThresholdTables | None) -> Thresholds:
    sensitive = any(p.sensitive for _, p in policies)
    fixed = conf.get("MODERATION_HOLD_THRESHOLD")
    holds = [_hold_for("site", tables, None, fixed)]
    rejects: list[tuple[str, float]] = []
    site_reject = conf.get("MODERATION_REJECT_THRESHOLD")
    if site_reject is not None:
        rejects.append(("site", float(site_reject)))
    for level, policy in policies:
        if policy.hold_threshold is not None or policy.hold_target is not None:
            target = policy.hold_target / 100 if policy.hold_target is not None else None
            holds.append(_hold_for(level, tables, target, policy.hold_threshold))
        if policy.reject_threshold is not None:
            rejects.append((level, policy.reject_threshold))
    hold = _pick(holds, sensitive, key=lambda h: h.toxicity)
    reject = _pick(rejects, sensitive, key=lambda item: item[1])
    return Thresholds(
        hold=hold.toxicity,
        reject=reject[1] if reject else None,
        sensitive=sensitive,
        sources={"hold": hold.level, "reject": reject[0] if reject else "site"},
        identity_hold=hold.identity,
        target=hold.target,
        expected=expected_rates(tables, hold.toxicity, hold.identity),
    )


def thresholds_for(thread: Thread) -> Thresholds:
    return _decide(_policies(thread), _running_tables())
