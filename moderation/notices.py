"""What readers are told when a comment of theirs is taken down or their account is suspended.

Every such notice carries a statement of reasons: which check held or rejected the comment (the
rule it matched, the model head and its score, the links or repeats check…) and the moderator's
reason, plus links to the community guidelines and to appeal the decision once
(moderation.appeals).  Notices go out through the notifications app (page, bell, email).
"""

import uuid

from django.urls import reverse

from discussions.models import Comment
from moderation.models import Ban, ModerationDecision
from notifications import services as notifications
from notifications.models import Kind as NotificationKind

Action = ModerationDecision.Action
Source = ModerationDecision.Source

HEADS = {"toxicity": "the toxicity check", "identity_attack": "the attack-on-a-group check"}
CHECKS = {
    "links": "the links check",
    "repeats": "the repeated-text check",
    "trust": "new-account pre-moderation",
    "commenting": "the discussion's pre-moderation",
    "nudge": "the warning before posting",
    "provider": "the external check",
}
EXCERPT = 200


def tell(user, what: str, message: str, comment: Comment | None = None, links: list | None = None) -> None:
    """Tell a reader what the moderators (or the checks) decided, once the decision commits.
    `what`: approved, rejected, removed, warning, ban, lifted or appeal; `links`: [{label, url}]."""
    notifications.notify(
        NotificationKind.MODERATION,
        [user],
        key=f"moderation:{what}:{uuid.uuid4().hex}",
        comment=comment,
        text=message,
        url=comment.thread.get_absolute_url() if comment is not None else "",
        links=links,
    )


# --- the statement of reasons --------------------------------------------------------------------------


def model_head(details: dict) -> str:
    """The head that held (or rejected): toxicity when it reached its threshold, else identity attack."""
    toxicity, hold = details.get("toxicity"), details.get("hold_at")
    if toxicity is not None and hold is not None and toxicity >= hold:
        return "toxicity"
    identity, identity_hold = details.get("identity_attack"), details.get("identity_hold_at")
    if identity is not None and identity_hold is not None and identity >= identity_hold:
        return "identity_attack"
    return "toxicity"


def describe_step(found: dict) -> str:
    """One deciding step in words: "rule: …", "the toxicity check (score 0.91; it holds from 0.23)"."""
    name, reason, details = found["step"], found.get("reason", ""), found.get("details", {})
    if name == "rules":
        return f"rule: {reason}"
    if name == "model":
        if "error" in details:
            return "the automatic check, which was unavailable"
        head = model_head(details)
        score = details.get(head)
        limit = details.get("hold_at" if head == "toxicity" else "identity_hold_at")
        if found["outcome"] == Action.REJECT and details.get("reject_at") is not None:
            limit, verb = details["reject_at"], "rejects"
        else:
            verb = "holds"
        figures = f" (score {score:.2f}; it {verb} from {limit:.2f})" if score is not None and limit else ""
        return f"{HEADS[head]}{figures}: {reason}"
    return f"{CHECKS.get(name, name)}: {reason}" if reason else CHECKS.get(name, name)


def checks_statement(checks: ModerationDecision) -> str:
    """Which of the automatic checks decided: the steps whose outcome was the decision's action."""
    deciding = [s for s in checks.steps if s.get("outcome") == checks.action]
    return "; ".join(describe_step(s) for s in deciding) or checks.reason


def _earlier(decision: ModerationDecision) -> ModerationDecision | None:
    """The decision before `decision` that was not a moderator's: what brought the comment to them."""
    return (
        ModerationDecision.objects.filter(comment_id=decision.comment_id, id__lt=decision.pk)
        .exclude(source=Source.MODERATOR)
        .order_by("-id")
        .first()
    )


def statement_of_reasons(decision: ModerationDecision) -> str:
    """Why a comment was taken down, for the reader: the checks or reports, then the moderator
    (no full stop at the end: callers end the sentence)."""
    if decision.source == Source.PIPELINE:
        return f"rejected by {checks_statement(decision)}".rstrip(".")
    parts = []
    before = _earlier(decision)
    if before is not None and before.source == Source.PIPELINE and before.action == Action.HOLD:
        parts.append(f"held by {checks_statement(before)}")
    elif before is not None and before.source == Source.REPORTS:
        parts.append("held after readers reported it")
    parts.append(f"a moderator's reason: {decision.reason}")
    return "; ".join(parts).rstrip(".")


# --- links -------------------------------------------------------------------------------------------


def guidelines_link() -> dict[str, str]:
    return {"label": "Community guidelines", "url": reverse("guidelines")}


def decision_links(decision: ModerationDecision) -> list[dict[str, str]]:
    appeal = reverse("moderation:appeal-decision", args=[decision.pk])
    return [{"label": "Appeal this decision", "url": appeal}, guidelines_link()]


def ban_links(ban: Ban) -> list[dict[str, str]]:
    return [
        {"label": "Appeal this decision", "url": reverse("moderation:appeal-ban", args=[ban.pk])},
        guidelines_link(),
    ]


# --- the notices -------------------------------------------------------------------------------------


def _excerpt(comment: Comment) -> str:
    return comment.body[:EXCERPT] + ("…" if len(comment.body) > EXCERPT else "")


def take_down(comment: Comment, decision: ModerationDecision, what: str) -> None:
    """Tell the author why their comment was rejected or removed (`what`), with the appeal link."""
    verb = "was removed by a moderator" if what == "removed" else "was not published"
    message = (
        f"Your comment {verb}: {decision.reason}\n\n"
        f"Why: {statement_of_reasons(decision)}.\n"
        "If you think this was a mistake, you can appeal once.\n\n"
        f"You wrote:\n{_excerpt(comment)}"
    )
    tell(comment.author, what, message, comment, decision_links(decision))


def automatic_rejection(decision: ModerationDecision) -> None:
    """The checks rejected a comment as it was posted or edited: the author gets the notice too."""
    comment = decision.comment
    if comment.author_id is not None:
        take_down(comment, decision, "rejected")
