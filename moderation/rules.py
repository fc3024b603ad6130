"""Word and phrase rules, link counting and repeated-text fingerprints, on normalised text.

Rules are matched on the output of ``normalize`` (so ``1d10t``, ``ｉｄｉｏｔ`` and ``iiidiot`` all read
``idiot``), on whole words: a rule never fires inside a longer word ("Scunthorpe").
"""

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from agora.snapshots import snapshot
from moderation.models import ModerationRule
from moderation.normalize import normalize

RULES_SNAPSHOT = "moderation-rules"  # agora.snapshots: rebuilt after any rule is saved or deleted

# Links as readers type them: full URLs, www. addresses and markdown links (which contain a URL).
_LINK_RE = re.compile(r"(?:https?://|\bwww\.)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class RuleMatch:
    kind: str
    phrases: tuple[str, ...]


def _phrase_pattern(phrase: str) -> str:
    """The words of the phrase, normalised, with any run of spaces or punctuation between them."""
    wildcard = phrase.endswith("*")
    words = normalize(phrase.rstrip("*")).split()
    return r"[\W_]+".join(re.escape(word) for word in words) + (r"\w*" if wildcard else "")


@lru_cache(maxsize=8)
def _compiled(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation per rule list, cached on the list itself so an admin edit applies at once."""
    patterns = [_phrase_pattern(p) for p in phrases if normalize(p.rstrip("*"))]
    if not patterns:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)")


@lru_cache(maxsize=2048)
def _compiled_one(phrase: str) -> re.Pattern[str] | None:
    return _compiled.__wrapped__((phrase,))


def _active_rules() -> dict[str, tuple[str, ...]]:
    return snapshot(RULES_SNAPSHOT, _load_active_rules)


def _load_active_rules() -> dict[str, tuple[str, ...]]:
    rules: dict[str, list[str]] = {kind: [] for kind in ModerationRule.Kind.values}
    for kind, phrase in ModerationRule.objects.filter(is_active=True).values_list("kind", "phrase"):
        rules[kind].append(phrase)
    return {kind: tuple(sorted(phrases)) for kind, phrases in rules.items()}


def _matching_phrases(phrases: tuple[str, ...], normalised: str) -> tuple[str, ...]:
    pattern = _compiled(phrases)
    if pattern is None or not pattern.search(normalised):
        return ()
    # Which rules matched, for the record (the alternation alone does not say).
    return tuple(p for p in phrases if (single := _compiled_one(p)) and single.search(normalised))


def match_rules(normalised: str) -> list[RuleMatch]:
    """Banned then suspect phrases found in the text (empty list: nothing found)."""
    found = []
    for kind, phrases in _active_rules().items():
        matched = _matching_phrases(phrases, normalised)
        if matched:
            found.append(RuleMatch(kind, matched))
    order: dict[str, int] = {ModerationRule.Kind.BANNED: 0, ModerationRule.Kind.SUSPECT: 1}
    return sorted(found, key=lambda m: order.get(m.kind, 9))


def count_links(text: str) -> int:
    """Links in the raw text (the normaliser drops URLs, so they are counted before it)."""
    return len(_LINK_RE.findall(text))


def text_fingerprint(normalised: str) -> str:
    """A stable hash of the normalised text, ignoring punctuation and spacing, for repeat detection."""
    words = re.sub(r"[\W_]+", " ", normalised).strip()
    return hashlib.sha256(words.encode("utf-8")).hexdigest()
