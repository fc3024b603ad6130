"""Nudge before posting: a draft that looks like it may break the community guidelines is shown back
to its author, with the kind of problem named, before anything is published.

The author may edit the draft and post again (outcome ``edited`` once a draft passes), or post it
anyway: then the comment is held for a moderator whatever the other checks say (the pipeline's
``nudge`` step), unless they reject it.  One `discussions.models.Nudge` row per warned draft keeps
the scores and the kinds named, never the text; `nudge_stats` counts how often a warning leads
to an edit.

A draft is nudged when the model's toxicity reaches the nudge threshold, the one that would nudge
``MODERATION_NUDGE_TARGET`` (default 5 %) of civil drafts (moderation.policy's tables;
``MODERATION_NUDGE_THRESHOLD`` may fix it instead), or the thread's hold threshold when that is
lower (sensitive stories), and no banned phrase already makes the pipeline reject it.  The site's
forms, the embed and API clients that check first (``POST …/comments/check``) pass a `Draft` to
`posting.actions.post_comment`, which hands it to the pipeline; clients that do not check post
exactly as before.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from discussions.errors import CommentError
from discussions.models import Nudge, Thread
from moderation import classifier, conf, rules, versions
from moderation.models import ModerationRule
from moderation.normalize import normalize
from moderation.policy import thresholds_for

# A category head is named only from this score up; below it the message stays general.
CATEGORY_FLOOR = 0.5
# A warning nobody answered for this long counts as abandoned (the author left the draft).
ABANDONED_AFTER = timedelta(hours=1)
KINDS = {
    "insult": "an insult",
    "identity_attack": "an attack on a group of people",
    "obscene": "obscene language",
    "threat": "a threat",
}
GENERAL = "Your comment contains language that may break our community guidelines."


@dataclass(frozen=True)
class DraftWarning:
    """Why a draft is nudged: its scores and the kinds to name, strongest first."""

    scores: dict
    categories: list[str]

    @property
    def message(self) -> str:
        return message_for(self.categories)


def message_for(categories: list[str]) -> str:
    """What the author is told, e.g. "… may break our community guidelines: it looks like an insult."."""
    kinds = [KINDS[c] for c in categories if c in KINDS]
    if not kinds:
        return GENERAL
    named = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    return f"Your comment may break our community guidelines: it looks like {named}."


def nudge_threshold(hold_threshold: float) -> float | None:
    """The score from which drafts are nudged, given the thread's hold threshold; None: nudging is off."""
    configured = conf.get("MODERATION_NUDGE_THRESHOLD")
    if configured is None:
        return None
    if configured == "target":
        target = conf.get("MODERATION_NUDGE_TARGET")
        if target is None:
            return None
        try:
            configured = versions.current().tables.for_target(float(target))["toxicity"]
        except classifier.ModelUnavailable:
            return None  # the pipeline holds everything while the model is missing
    return min(float(configured), hold_threshold)


def warning_for(scores: dict, threshold: float | None) -> DraftWarning | None:
    """The warning for a draft the classifier scored so (no scores: the model is missing, no warning)."""
    if threshold is None or not scores or scores["toxicity"] < threshold:
        return None
    heads = {name: value for name, value in scores.items() if name in KINDS}
    named = sorted((n for n, v in heads.items() if v >= CATEGORY_FLOOR), key=heads.__getitem__, reverse=True)
    return DraftWarning(scores=dict(scores), categories=named)


def decide_nudge(thread: Thread, text: str) -> DraftWarning | None:
    """The warning for a draft checked on its own (the API's check endpoint), or None.  Writes nothing.

    Posting does not call this: moderation.pipeline.screen derives the warning from its own checks.
    """
    threshold = nudge_threshold(thresholds_for(thread).hold)
    if threshold is None or not text.strip():
        return None
    banned = ModerationRule.Kind.BANNED
    if any(match.kind == banned for match in rules.match_rules(normalize(text))):
        return None  # the pipeline refuses it outright, with the words it found: no point warning
    try:
        scores = versions.score(text).as_dict()
    except classifier.ModelUnavailable:
        return None  # the pipeline holds everything while the model is missing
    return warning_for(scores, threshold)


class NudgeRequired(Exception):
    """The draft was not posted: show `message` and let the author edit it or post it anyway (`nudge`)."""

    def __init__(self, nudge: Nudge) -> None:
        self.nudge = nudge
        self.message = message_for(nudge.categories)
        super().__init__(self.message)


def pending_nudge(author, thread: Thread, nudge_id: int | None) -> Nudge | None:
    """The author's unanswered warning on this thread with this id, if there is one."""
    if not nudge_id:
        return None
    return Nudge.objects.filter(
        pk=nudge_id, author=author, thread=thread, outcome=Nudge.Outcome.PENDING
    ).first()


def warn(author, thread: Thread, warning: DraftWarning, previous: Nudge | None = None) -> Nudge:
    """Record a warning; a draft warned again after an edit keeps its first row (one per draft)."""
    if previous is None:
        return Nudge.objects.create(
            author=author, thread=thread, scores=warning.scores, categories=warning.categories
        )
    previous.scores, previous.categories = warning.scores, warning.categories
    previous.save(update_fields=["scores", "categories"])
    return previous


def as_dict(nudge: Nudge) -> dict:
    """A warning as API clients get it."""
    return {"id": nudge.pk, "message": message_for(nudge.categories), "categories": nudge.categories}


class Draft:
    """A post from a client that takes nudges: the warning it answers (if any), and "post anyway".

    `check` runs inside moderation.pipeline.screen, with the warning its checks call for, once every
    refusal has passed; `settle` records the outcome inside the transaction that stores the comment,
    so a refused post leaves the warning pending.
    """

    def __init__(self, nudge_id: int | None = None, post_anyway: bool = False) -> None:
        self.nudge_id = nudge_id
        self.post_anyway = post_anyway
        self.answered: Nudge | None = None

    def check(self, author, thread: Thread, warning: DraftWarning | None) -> bool:
        """Raise NudgeRequired for a draft to warn about; True when it is posted after a warning."""
        previous = pending_nudge(author, thread, self.nudge_id)
        if warning is None:
            self.answered = previous
            if previous is not None:
                previous.outcome = Nudge.Outcome.EDITED
            return False
        if self.post_anyway:
            if previous is None:
                raise CommentError(
                    "nudge_not_found",
                    "The warning you are answering was already answered or is not yours: "
                    "check your comment again before posting it.",
                    409,
                )
            previous.outcome = Nudge.Outcome.POSTED_ANYWAY
            previous.scores, previous.categories = warning.scores, warning.categories
            self.answered = previous
            return True
        raise NudgeRequired(warn(author, thread, warning, previous))

    def settle(self, comment) -> None:  # type: ignore[no-untyped-def]
        """Record how the warning was answered, with the comment it led to."""
        answered = self.answered
        if answered is None:
            return
        answered.comment, answered.decided_at = comment, timezone.now()
        answered.save(update_fields=["outcome", "comment", "decided_at", "scores", "categories"])


def nudge_stats(since: datetime | None = None) -> dict:
    """How warnings were answered (for the moderators' dashboard), over warnings shown since `since`.

    ``edit_rate`` is edited / answered, where answered = edited + posted anyway + abandoned (a
    warning pending for over an hour); warnings still pending are left out of it.  None: no data.
    """
    rows = Nudge.objects.all() if since is None else Nudge.objects.filter(created_at__gte=since)
    stale = timezone.now() - ABANDONED_AFTER
    pending = Q(outcome=Nudge.Outcome.PENDING)
    counts = rows.aggregate(
        nudged=Count("id"),
        edited=Count("id", filter=Q(outcome=Nudge.Outcome.EDITED)),
        posted_anyway=Count("id", filter=Q(outcome=Nudge.Outcome.POSTED_ANYWAY)),
        abandoned=Count("id", filter=pending & Q(created_at__lt=stale)),
        pending=Count("id", filter=pending & Q(created_at__gte=stale)),
    )
    answered = counts["edited"] + counts["posted_anyway"] + counts["abandoned"]
    counts["edit_rate"] = round(counts["edited"] / answered, 4) if answered else None
    return counts
