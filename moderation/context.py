"""Everything the checks on one post or edit need, loaded once, before any check runs.

`load` reads the author's standing in one query (their trust record, their groups and permissions of
their own, and whether a ban is in force), the thread's effective commenting state (discussions.commenting:
site and section policies from a snapshot, a query only for a thread or article with a row of its own),
and takes the read-mostly parts from this process's snapshots (agora.snapshots): which groups grant
which permissions (below), the rules (moderation.rules) and the thresholds (moderation.policy), each
invalidated by a generation key in the shared cache.  The checks in moderation.pipeline are plain functions of
this context and the text: none of them reads the author or the thread again.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from agora.snapshots import snapshot
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


PERMISSIONS_SNAPSHOT = "auth-permissions"
MAY_COMMENT, MODERATES = ("discussions", "add_comment"), ("moderation", "moderate_comments")


@dataclass(frozen=True)
class Grant:
    """Who holds one permission besides superusers: its id (granted to a user directly) and the groups
    that grant it."""

    permission_id: int | None
    groups: frozenset[int]

    def held(self, groups: set[int], own: set[int]) -> bool:
        return self.permission_id in own or not groups.isdisjoint(self.groups)


def _build_grants() -> dict[tuple[str, str], Grant]:
    wanted = Q()
    for app_label, codename in (MAY_COMMENT, MODERATES):
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    ids = {
        (app_label, codename): pk
        for pk, app_label, codename in Permission.objects.filter(wanted).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    granting: dict[int, set[int]] = {}
    for group_id, permission_id in Group.permissions.through.objects.filter(
        permission_id__in=ids.values()
    ).values_list("group_id", "permission_id"):
        granting.setdefault(permission_id, set()).add(group_id)
    return {
        key: Grant(ids.get(key), frozenset(granting.get(ids.get(key, -1), ())))
        for key in (MAY_COMMENT, MODERATES)
    }


def grants() -> dict[tuple[str, str], Grant]:
    """This process's copy of the groups that grant posting and moderating (moderation.apps invalidates
    it when a group's permissions change)."""
    return snapshot(PERMISSIONS_SNAPSHOT, _build_grants)


def _author_rows_sql() -> str:
    """One statement, four kinds of rows: the trust record, the groups, the permissions of the user's
    own, and the bans in force.  Plain SQL: the ORM spent longer compiling the same question (as
    subqueries) than the database spent answering it, on every post."""
    User = get_user_model()
    trust, groups = UserTrust._meta.db_table, User.groups.through._meta.db_table
    own, bans = User.user_permissions.through._meta.db_table, Ban._meta.db_table
    # Table names from the models, values as parameters.
    return (
        f"SELECT 'trust', score, approved_count, rejected_count FROM {trust} WHERE user_id = %s "  # noqa: S608
        f"UNION ALL SELECT 'group', group_id, 0, 0 FROM {groups} WHERE user_id = %s "
        f"UNION ALL SELECT 'own', permission_id, 0, 0 FROM {own} WHERE user_id = %s "
        f"UNION ALL SELECT 'ban', id, 0, 0 FROM {bans} WHERE user_id = %s AND lifted_at IS NULL "
        "AND (until IS NULL OR until > %s)"
    )


def load_author(user, now: datetime | None = None) -> Author:  # type: ignore[no-untyped-def]
    """The author's trust record, permissions and ban in force: one query (two for a banned author)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_author_rows_sql(), [user.pk] * 4 + [connection.ops.adapt_datetimefield_value(now)])
        rows = cursor.fetchall()
    trust = UserTrust(user=user)
    groups: set[int] = set()
    own: set[int] = set()
    banned = False
    for kind, value, approved, rejected in rows:
        if kind == "trust":
            trust.score, trust.approved_count, trust.rejected_count = value, approved, rejected
        elif kind == "group":
            groups.add(value)
        elif kind == "own":
            own.add(value)
        else:
            banned = True
    superuser = user.is_active and user.is_superuser
    granted = grants()
    return Author(
        user=user,
        trust=trust,
        has_trust_record=any(row[0] == "trust" for row in rows),
        may_comment=user.is_active and (superuser or granted[MAY_COMMENT].held(groups, own)),
        moderates=user.is_active and (superuser or granted[MODERATES].held(groups, own)),
        ban=selectors.active_ban(user) if banned else None,
    )


def load(user, thread: Thread, kind: str, ip: str | None = None) -> PostContext:  # type: ignore[no-untyped-def]
    """The context of one post (or edit) by `user` in `thread`."""
    now = timezone.now()
    return PostContext(
        author=load_author(user, now),
        thread=thread,
        state=effective_status(thread, now),
        thresholds=thresholds_for(thread),
        kind=kind,
        ip=ip,
        now=now,
    )
