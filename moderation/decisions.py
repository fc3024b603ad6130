"""Writing decisions.  Call inside the transaction that changes the comment's status."""

from moderation.models import ModerationDecision
from moderation.queues import announce_change

Action = ModerationDecision.Action
Source = ModerationDecision.Source
Trigger = ModerationDecision.Trigger


def add_decision(
    comment,
    action: str,
    reason: str,
    *,
    source: str,
    trigger: str,
    steps: list[dict] | None = None,
    scores: dict | None = None,
    text_hash: str = "",
    moderator=None,
    first: bool = False,
) -> ModerationDecision:
    """Append a decision and make it the comment's current one (the queues read only current ones).

    `first`: the comment was created in this transaction, so it has no earlier decision to retire.
    """
    if not first:
        ModerationDecision.objects.filter(comment=comment, is_current=True).update(is_current=False)
    announce_change()
    return ModerationDecision.objects.create(
        comment=comment,
        author_id=comment.author_id,
        action=action,
        reason=reason[:300],
        source=source,
        trigger=trigger,
        steps=steps or [],
        scores=scores or {},
        text_hash=text_hash,
        moderator=moderator,
        is_current=True,
    )


def step(name: str, outcome: str, reason: str = "", **details: object) -> dict:
    """One entry of a decision's ``steps``: ``outcome`` is pass, hold, reject or skipped."""
    return {"step": name, "outcome": outcome, "reason": reason, "details": details}
