"""Which model thresholds apply to a thread: site settings, then its section's and article's policy.

=============  ==========================================  ===========================================
level          hold threshold                              reject threshold
=============  ==========================================  ===========================================
site           MODERATION_HOLD_THRESHOLD (else the         MODERATION_REJECT_THRESHOLD (default None:
               model artifact's, 0.4)                      the model alone never rejects)
section        ModerationPolicy(section=…).hold_threshold  ….reject_threshold
article        ModerationPolicy(article=…).hold_threshold  ….reject_threshold
=============  ==========================================  ===========================================

A blank value inherits.  Normally the most specific value set wins (an article can be looser than
its section: a light story in a strict section).  When the section or the article is marked
``sensitive``, the strictest (lowest) value set at any level wins instead, so nothing can loosen
the thresholds of a sensitive story.  Embedded threads (no article) use the site values.
"""

from dataclasses import dataclass
from typing import Any

from agora.snapshots import snapshot
from discussions.models import Thread
from moderation import classifier, conf
from moderation.models import ModerationPolicy

POLICIES_SNAPSHOT = "moderation-policies"  # agora.snapshots: rebuilt after any policy is saved or deleted


@dataclass(frozen=True)
class Thresholds:
    hold: float
    reject: float | None
    sensitive: bool
    sources: dict[str, str]  # which level each threshold came from, for the decision record

    def as_dict(self) -> dict[str, Any]:
        return {"hold": self.hold, "reject": self.reject, "sensitive": self.sensitive, "from": self.sources}


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


def _pick(values: list[tuple[str, float]], strictest: bool) -> tuple[str, float | None]:
    if not values:
        return "site", None
    if strictest:
        return min(values, key=lambda item: item[1])
    return values[-1]


def thresholds_for(thread: Thread) -> Thresholds:
    policies = _policies(thread)
    sensitive = any(p.sensitive for _, p in policies)
    holds = [("site", classifier.hold_threshold())]
    rejects: list[tuple[str, float]] = []
    site_reject = conf.get("MODERATION_REJECT_THRESHOLD")
    if site_reject is not None:
        rejects.append(("site", float(site_reject)))
    for level, policy in policies:
        if policy.hold_threshold is not None:
            holds.append((level, policy.hold_threshold))
        if policy.reject_threshold is not None:
            rejects.append((level, policy.reject_threshold))
    hold_from, hold = _pick(holds, sensitive)
    reject_from, reject = _pick(rejects, sensitive)
    return Thresholds(
        hold=float(hold if hold is not None else classifier.hold_threshold()),
        reject=reject,
        sensitive=sensitive,
        sources={"hold": hold_from, "reject": reject_from},
    )
