"""Everything the checks on one post or edit need, loaded once, before any check runs.

`load` reads the author's standing in one query (their trust record, whether they may comment,
whether they moderate, and the id of a ban in force), the thread's effective commenting state in one
more (discussions.commenting), and takes the read-mostly parts from this process's snapshots
(agora.snapshots): the rules (moderation.rules) and the thresholds (moderation.policy), invalidated
by a generation key in the shared cache.  The checks in moderation.pipeline are plain functions of
this context and the text: none of them reads the author or the thread again.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from discussions.commenting import CommentingState, effective_status
from discussions.models import Thread
from moderation import conf, selectors
from moderation.models import Ban, UserTrust
from moderation.policy import Thresholds, thresholds_for

NEW, MEMBER, TRUSTED = "new", "member", "trusted"  # moderation.trust's levels


@dataclass(frozen=True)
class Author:
    """The author as the checks see them, from one query."""

    user: object
    trust: UserTrust  # unsaved and empty when they have none yet (`has_trust_record` False)
    has_trust_record: bool
    may_comment: bool  # discussions.add_comment, through their groups or their own permissions
    moderates: bool  # moderation.moderate_comments: moderators are always trusted
    ban: Ban | None  # the ban or suspension in force, strongest first

    @property
    def level(self) -> str:
        """moderation.trust's level (new, member, trusted) without another query."""
        user = self.user
        if user.is_staff or self.moderates:  # type: ignore[attr-defined]
            return TRUSTED
        record = self.trust
        if record.score < 0 or record.approved_count < conf.get("MODERATION_PREMODERATE_FIRST"):
            return NEW
        if record.score >= conf.get("MODERATION_TRUSTED_SCORE"):
            return TRUSTED
        return MEMBER


@dataclass(frozen=True)
class PostContext:
    """One post or edit: who, where, the thread's state and thresholds, and the request's address."""

    author: Author
    thread: Thread
    state: CommentingState
    thresholds: Thresholds
    kind: str  # ModerationDecision.Trigger: post or edit
    ip: str | None = None
    now: datetime = field(default_factory=timezone.now)

    @property
    def user(self):  # type: ignore[no-untyped-def]
        return self.author.user


def _has_perm(app_label: str, codename: str) -> Exists:
    granted = Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk"))
    return Exists(Permission.objects.filter(granted, content_type__app_label=app_label, codename=codename))


def load_author(user) -> Author:  # type: ignore[no-untyped-def]
    """The author's trust record, permissions and ban in force: one query (two for a banned author)."""
    ban = selectors.strongest_first(selectors.bans_in_force().filter(user=OuterRef("pk")))
    found = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            may_comment=_has_perm("discussions", "add_comment"),
            moderates=_has_perm("moderation", "moderate_comments"),
            ban_id=Subquery(ban.values("pk")[:1]),
            trust_score=F("moderation_trust__score"),
            trust_approved=F("moderation_trust__approved_count"),
            trust_rejected=F("moderation_trust__rejected_count"),
        )
        .values("may_comment", "moderates", "ban_id", "trust_score", "trust_approved", "trust_rejected")
        .first()
    )
    # None: the account is gone, and can do nothing
    row: dict[str, Any] = dict(found) if found else {"may_comment": False, "moderates": False, "ban_id": None}
    superuser = user.is_active and user.is_superuser
    has_record = row.get("trust_score") is not None
    trust = UserTrust(
        user=user,
        score=row.get("trust_score") or 0,
        approved_count=row.get("trust_approved") or 0,
        rejected_count=row.get("trust_rejected") or 0,
    )
    return Author(
        user=user,
        trust=trust,
        has_trust_record=has_record,
        may_comment=user.is_active and (superuser or row["may_comment"]),
        moderates=user.is_active and (superuser or row["moderates"]),
        ban=Ban.objects.filter(pk=row["ban_id"]).first() if row["ban_id"] else None,
    )


def load(user, thread: Thread, kind: str, ip: str | None = None) -> PostContext:  # type: ignore[no-untyped-def]
    """The context of one post (or edit) by `user` in `thread`."""
    now = timezone.now()
    return PostContext(
        author=load_author(user),
        thread=thread,
        state=effective_status(thread, now),
        thresholds=thresholds_for(thread),
        kind=kind,
        ip=ip,
        now=now,
    )
