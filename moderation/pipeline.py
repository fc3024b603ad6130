"""The checks every new or edited comment goes through, called by discussions.services.

Every check is a plain function of a `moderation.context.PostContext` (loaded once by
posting.actions, which sequences a post) and the text; none reads the author or the thread again.
``admit`` runs first and refuses (CommentError, nothing written): banned or suspended accounts
(403) and readers or addresses posting too fast (429).  ``screen`` then runs the steps below in
order, each recorded with its outcome and reason, and the strictest outcome decides:

==============  ===============================================  ==================================
step            looks at                                         outcome
==============  ===============================================  ==================================
normalise       NFKC, look-alikes, leetspeak, spacing, repeats   (records only)
rules           banned / suspect phrases (admin-editable list)   banned: reject; suspect: hold
links           links in the raw text                            new account: hold; > N: hold
repeats         same normalised text in the window               2nd copy by the author: hold;
                                                                 3rd+: reject; N other authors: hold
trust           the author's trust level                         new account (pre-moderated): hold
commenting      the thread's commenting state                    pre-moderated discussion: hold
nudge           posted after a nudge (moderation.nudge)          hold (recorded only when so)
policy          site / section / article thresholds (policy.py)  (records the thresholds used)
model           moderation.classifier scores                     >= reject: reject; >= hold: hold
provider        a webhook or Perspective, if set (provider.py)   its answer; failure or slow: hold
==============  ===============================================  ==================================

``record`` stores the verdict, once, inside the transaction that stores the comment.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import formats, timezone

from agora import ratelimit
from agora.prepared import Prepared
from discussions.errors import CommentError
from discussions.lifecycle import set_status
from discussions.models import Comment
from moderation import classifier, conf, nudge, provider, rules, selectors, spot_checks, trust, versions
from moderation.context import NEW, PostContext
from moderation.decisions import Action, Source, Trigger, add_decision, step
from moderation.models import Ban, ModerationDecision, ModerationRule
from moderation.normalize import NORMALIZER_VERSION, normalize

SEVERITY = {"pass": 0, "skipped": 0, Action.PUBLISH: 0, Action.HOLD: 1, Action.REJECT: 2}
STATUS_FOR: dict[str, str] = {
    Action.PUBLISH: Comment.Status.PUBLISHED,
    Action.HOLD: Comment.Status.HELD,
    Action.REJECT: Comment.Status.REJECTED,
}
ACTION_FOR = {status: action for action, status in STATUS_FOR.items()}
NUDGED_REASON = "you posted it after our warning that it may break the community guidelines"
CATEGORY_REASONS = {
    "insult": "it reads as an insult",
    "threat": "it reads as a threat",
    "obscene": "it contains obscene language",
    "identity_attack": "it reads as an attack on a group of people",
}


@dataclass
class Verdict:
    """The outcome of `screen`: what to do with the comment, and the record of why."""

    kind: str  # Trigger.POST or Trigger.EDIT
    steps: list[dict] = field(default_factory=list)
    scores: dict = field(default_factory=dict)
    text_hash: str = ""

    @property
    def action(self) -> str:
        worst = max((s["outcome"] for s in self.steps), key=SEVERITY.__getitem__, default="pass")
        return worst if worst in (Action.HOLD, Action.REJECT) else Action.PUBLISH

    @property
    def reason(self) -> str:
        action = self.action
        return next((s["reason"] for s in self.steps if s["outcome"] == action), "it passed our checks")

    @property
    def status(self) -> str:
        return STATUS_FOR[self.action]


def _refuse(code: str, message: str, status: int):  # type: ignore[no-untyped-def]
    raise CommentError(code, message, status)


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return formats.date_format(timezone.localtime(moment), "j F Y, H:i T")


def ban_refusal(user) -> tuple[str, str] | None:
    """(code, message) when the reader is banned or suspended from commenting; None when they are not."""
    return refusal_for_ban(selectors.active_ban(user))


def refusal_for_ban(ban: Ban | None) -> tuple[str, str] | None:
    """(code, message) for a ban or suspension in force (None: none)."""
    if ban is None:
        return None
    reason = ban.reason.strip().rstrip(".") + "."
    if ban.is_permanent:
        return "banned", f"Your account is banned from commenting: {reason} You can still read."
    return (
        "suspended",
        f"Your account is suspended from commenting until {_when(ban.until)}: {reason} You can still read.",
    )


def _posting_limits(ctx: PostContext) -> list[tuple[str, str, int]]:
    limits, kind = conf.get("MODERATION_RATE_LIMITS"), ctx.kind
    checks = [(f"moderation-{kind}-user", str(ctx.user.pk), int(limits[ctx.author.level]))]
    if ctx.ip:
        checks.append((f"moderation-{kind}-ip", ctx.ip, int(conf.get("MODERATION_IP_RATE_LIMIT"))))
    return checks


def _refuse_too_fast(verdict: ratelimit.Verdict, what: str = "posting") -> None:
    wait = max(1, verdict.retry_after)
    _refuse("rate_limited", f"You are {what} too fast — slow down and try again in {wait} seconds.", 429)


def count_check(user) -> None:
    """Count one check of a draft (a post or edit screened, or the API's check): a generous cap of its
    own, so a reader nudged or refused a few times is never told they post too fast."""
    verdict = ratelimit.hit(
        "moderation-check-user",
        str(user.pk),
        int(conf.get("MODERATION_CHECK_RATE_LIMIT")),
        int(conf.get("MODERATION_RATE_PERIOD")),
    )
    if not verdict.allowed:
        _refuse_too_fast(verdict, "checking drafts")


def admit(ctx: PostContext) -> None:
    """Refuse banned or suspended readers, and anyone already at their posting limit, before anything
    is written.  Only stored comments count against the limit (`count_stored`, once every check has
    passed): a draft nudged or refused costs a check (`count_check`), not a post."""
    if refusal := refusal_for_ban(ctx.author.ban):
        _refuse(*refusal, 403)
    count_check(ctx.user)
    period = int(conf.get("MODERATION_RATE_PERIOD"))
    for scope, key, limit in _posting_limits(ctx):
        if not (verdict := ratelimit.peek(scope, key, limit, period)).allowed:
            _refuse_too_fast(verdict)


def count_stored(ctx: PostContext) -> None:
    """Count a comment (or edit) about to be stored against the posting limits; refuse it if a
    concurrent one took the last place since `admit` looked."""
    period = int(conf.get("MODERATION_RATE_PERIOD"))
    for scope, key, limit in _posting_limits(ctx):
        if not (verdict := ratelimit.hit(scope, key, limit, period)).allowed:
            _refuse_too_fast(verdict)


# --- the steps ---------------------------------------------------------------------------------------


def _rules_step(normalised: str) -> dict:
    found = {m.kind: list(m.phrases) for m in rules.match_rules(normalised)}
    banned, suspect = found.get(ModerationRule.Kind.BANNED), found.get(ModerationRule.Kind.SUSPECT)
    if banned:
        quoted = ", ".join(f"“{p.rstrip('*')}”" for p in banned)
        return step("rules", Action.REJECT, f"it contains language we do not allow ({quoted})", **found)
    if suspect:
        quoted = ", ".join(f"“{p.rstrip('*')}”" for p in suspect)
        return step("rules", Action.HOLD, f"it contains words a moderator checks first ({quoted})", **found)
    return step("rules", "pass")


def _links_step(text: str, level: str) -> dict:
    links, most = rules.count_links(text), int(conf.get("MODERATION_MAX_LINKS"))
    if links and level == NEW:
        return step("links", Action.HOLD, "links from new accounts are checked first", links=links)
    if links > most:
        return step("links", Action.HOLD, f"it contains more than {most} links", links=links, limit=most)
    return step("links", "pass", links=links)


# The same text posted recently (by anyone), apart from the comment being edited; run on every post,
# so compiled once (agora.prepared).
_earlier_posts = Prepared(
    lambda text_hash, since, edited_id: (
        ModerationDecision.objects.filter(
            text_hash=text_hash, created_at__gte=since, trigger__in=[Trigger.POST, Trigger.EDIT]
        )
        .exclude(comment_id=edited_id)
        .values_list("author_id", "comment_id")[:500]
    ),
    str,
    datetime,
    int,
)


def _repeats_step(author, normalised: str, text_hash: str, comment: Comment | None) -> dict:
    if len(normalised) < int(conf.get("MODERATION_SPAM_MIN_CHARS")):
        return step("repeats", "skipped", "too short to compare")
    since = timezone.now() - timedelta(seconds=int(conf.get("MODERATION_SPAM_WINDOW_SECONDS")))
    rows = set(_earlier_posts.all(text_hash, since, comment.pk if comment is not None else 0))
    own = len({c for a, c in rows if a == author.pk})
    others = len({a for a, _ in rows if a is not None and a != author.pk})
    if own >= 2:
        return step("repeats", Action.REJECT, "you have already posted this same text several times", own=own)
    if own == 1:
        return step("repeats", Action.HOLD, "you have already posted this same text", own=own)
    if others >= int(conf.get("MODERATION_SPAM_OTHER_AUTHORS")):
        return step("repeats", Action.HOLD, "the same text was posted by other accounts", others=others)
    return step("repeats", "pass", own=own, others=others)


def _trust_step(level: str, record) -> dict:  # type: ignore[no-untyped-def]
    needed = int(conf.get("MODERATION_PREMODERATE_FIRST"))
    details = {"level": level, "score": record.score, "approved": record.approved_count, "needed": needed}
    if level == NEW:
        return step(
            "trust", Action.HOLD, "comments from new accounts are checked before they appear", **details
        )
    return step("trust", "pass", **details)


def _model_step(text: str, thresholds) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """Hold on either deciding head (toxicity, identity_attack); only toxicity can reject."""
    try:
        scores = versions.score(text).as_dict()
    except classifier.ModelUnavailable as error:
        return step("model", Action.HOLD, "our automatic check is unavailable", error=str(error)), {}
    toxicity, identity = scores["toxicity"], scores["identity_attack"]
    details = {
        "toxicity": round(toxicity, 4),
        "identity_attack": round(identity, 4),
        "hold_at": thresholds.hold,
        "identity_hold_at": thresholds.identity_hold,
        "reject_at": thresholds.reject,
    }
    categories = {k: v for k, v in scores.items() if k in CATEGORY_REASONS}
    reason = (
        CATEGORY_REASONS[max(categories, key=categories.__getitem__)] if categories else "it reads as abusive"
    )
    if thresholds.reject is not None and toxicity >= thresholds.reject:
        return step("model", Action.REJECT, reason, **details), scores
    if toxicity >= thresholds.hold:
        return step("model", Action.HOLD, reason, **details), scores
    if identity >= thresholds.identity_hold:
        return step("model", Action.HOLD, CATEGORY_REASONS["identity_attack"], **details), scores
    return step("model", "pass", **details), scores


def _provider_step(verdict: Verdict, payload: dict) -> dict:
    if not provider.is_configured():
        return step("provider", "skipped", "no external check configured")
    if verdict.action == Action.REJECT:
        return step("provider", "skipped", "already rejected")
    answer = provider.ask({**payload, "scores": verdict.scores, "action": verdict.action})
    details = {"ok": answer.ok, **answer.details}
    if answer.action == Action.PUBLISH:
        return step("provider", "pass", answer.reason, **details)
    default = "it breaks our community rules" if answer.action == Action.REJECT else "it needs a closer look"
    return step("provider", answer.action, answer.reason or default, **details)


def _payload(ctx: PostContext, text: str, comment: Comment | None) -> dict:
    thread = ctx.thread
    return {
        "text": text,
        "kind": ctx.kind,
        "comment_id": comment.pk if comment is not None else None,
        "author": {"id": ctx.user.pk, "trust": ctx.author.level},
        "thread": {"id": thread.pk, "url": thread.url or "", "article_id": thread.article_id},
    }


def _commenting_step(premoderated: bool) -> dict:
    if premoderated:
        return step("commenting", Action.HOLD, "this discussion is pre-moderated: comments are checked first")
    return step("commenting", "pass")


def _posted_after_warning(ctx: PostContext, draft: nudge.Draft, verdict: Verdict) -> bool:
    """The draft's nudge, from the scores and rules already computed (NudgeRequired for a new warning)."""
    rejected_by_rules = any(s["step"] == "rules" and s["outcome"] == Action.REJECT for s in verdict.steps)
    threshold = None if rejected_by_rules else nudge.nudge_threshold(ctx.thresholds.hold)
    return draft.check(ctx.user, ctx.thread, nudge.warning_for(verdict.scores, threshold))


def screen(
    ctx: PostContext, text: str, comment: Comment | None = None, draft: nudge.Draft | None = None
) -> Verdict:
    """Run every check on a comment's (cleaned) text, once.  Writes nothing but a nudge's warning;
    `record` stores the result.

    The thread's pre-moderation (ctx.state) is one more step.  `comment`: the one being edited.
    `draft`: from a client that shows nudges (moderation.nudge): a draft the model scores over the
    nudge threshold raises NudgeRequired, before any external check; one posted anyway after a
    warning is held for a person (the `nudge` step).
    """
    author, level = ctx.author, ctx.author.level
    normalised = normalize(text)
    verdict = Verdict(kind=ctx.kind, text_hash=rules.text_fingerprint(normalised))
    verdict.steps.append(step("normalise", "pass", version=NORMALIZER_VERSION, changed=normalised != text))
    verdict.steps.append(_rules_step(normalised))
    verdict.steps.append(_links_step(text, level))
    verdict.steps.append(_repeats_step(ctx.user, normalised, verdict.text_hash, comment))
    verdict.steps.append(_trust_step(level, author.trust))
    verdict.steps.append(_commenting_step(ctx.state.premoderated))
    verdict.steps.append(step("policy", "pass", **ctx.thresholds.as_dict()))
    model, verdict.scores = _model_step(text, ctx.thresholds)
    verdict.steps.append(model)
    if draft is not None and _posted_after_warning(ctx, draft, verdict):
        policy_at = next(i for i, s in enumerate(verdict.steps) if s["step"] == "policy")
        verdict.steps.insert(policy_at, step("nudge", Action.HOLD, NUDGED_REASON))
    verdict.steps.append(_provider_step(verdict, _payload(ctx, text, comment)))
    return verdict


# --- after the checks --------------------------------------------------------------------------------


def status_after_edit(current: str, verdict: Verdict) -> str:
    """An edit never makes a comment more public: a held comment stays held until a moderator acts."""
    if current == Comment.Status.PUBLISHED:
        return verdict.status
    if current == Comment.Status.HELD and verdict.action == Action.REJECT:
        return Comment.Status.REJECTED
    return current


def apply_edit(comment: Comment, verdict: Verdict) -> ModerationDecision:
    """After an edit is saved: move the comment to its new status (counts kept right) and record why."""
    current = Comment.objects.select_for_update().values_list("status", flat=True).get(pk=comment.pk)
    comment.status = current
    new_status = status_after_edit(current, verdict)
    if new_status != current:
        set_status(comment, new_status)
    return record(comment, verdict)


def record(comment: Comment, verdict: Verdict) -> ModerationDecision:
    """Store the verdict on the comment and update the author's trust; call inside the writing
    transaction.  The heat guard counts the comment after it commits (posting.aftermath)."""
    action = ACTION_FOR.get(comment.status, verdict.action)
    reason = verdict.reason if action == verdict.action else "it was already waiting for review"
    decision = add_decision(
        comment,
        action,
        reason,
        source=Source.PIPELINE,
        trigger=verdict.kind,
        steps=verdict.steps,
        scores=verdict.scores,
        text_hash=verdict.text_hash,
        first=verdict.kind == Trigger.POST,
    )
    author = comment.author
    if action == Action.REJECT:
        trust.debit_rejected(author)
    elif action == Action.PUBLISH and verdict.kind == Trigger.POST:
        trust.credit_approved(author)
    spot_checks.after_checks(decision)  # a sample of publishes to the Audit queue; rejections' notices
    return decision
