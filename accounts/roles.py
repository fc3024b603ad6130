"""Roles are Django groups, created (and topped up) after every migrate.  See accounts/README.md.

`ensure_roles` only ever adds: permissions an administrator grants a group by hand, and
the article permissions articles/signals.py gives "Editors", are never taken away.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When

READERS = "Readers"
COMMENTERS = "Commenters"
MODERATORS = "Moderators"
EDITORS = "Editors"  # the same group articles.signals.ensure_editors_group creates
ADMINS = "Admins"

ALL = "__all__"

# "app_label.codename" for each role; Admins get every permission there is.
ROLE_PERMISSIONS: dict[str, list[str] | str] = {
    READERS: [],
    # discussions.services requires these (and a confirmed email) to post and react, so
    # moving someone to Readers takes commenting away.
    COMMENTERS: ["discussions.add_comment", "discussions.add_reaction"],
    MODERATORS: [
        "discussions.add_comment",
        "discussions.add_reaction",
        "discussions.view_thread",
        "discussions.view_comment",
        "discussions.change_comment",
        "discussions.feature_comment",
        "discussions.view_commentrevision",
        "discussions.view_reaction",
        "discussions.view_mention",
        "accounts.view_user",
    ],
    EDITORS: ["discussions.add_comment", "discussions.add_reaction", "discussions.feature_comment"],
    ADMINS: ALL,
}

DEFAULT_ROLE = COMMENTERS


def _permissions(names: list[str], using: str):
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.using(using).filter(query)


def ensure_roles(using: str = "default") -> dict[str, Group]:
    """Create every role group and add its permissions; safe to run any number of times."""
    groups = {}
    for name, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        perms = Permission.objects.using(using).all() if wanted == ALL else _permissions(list(wanted), using)
        missing = perms.exclude(group=group)
        if missing.exists():
            group.permissions.add(*missing)
        groups[name] = group
    return groups


def ensure_roles_after_migrate(sender: object, using: str = "default", **kwargs: object) -> None:
    # Runs after each app's post_migrate, so permissions created for later apps are picked up
    # by the time the last one finishes (auth's create_permissions is connected first).
    ensure_roles(using)


def assign_default_role(user) -> None:
    user.groups.add(Group.objects.get_or_create(name=DEFAULT_ROLE)[0])


# The badge shown beside the name of people who speak for the site, strongest role first, so that
# readers can tell the newsroom's voice from a reader's (a display name alone can be anything).
BADGES = {ADMINS: "Staff", EDITORS: "Journalist", MODERATORS: "Moderator"}


def badge_annotation(user_field: str) -> Subquery:
    """The badge of the user in `user_field` as a subquery, to annotate a queryset without a query per row."""
    precedence = Case(
        *(When(name=name, then=Value(rank)) for rank, name in enumerate(BADGES)), output_field=IntegerField()
    )
    roles = Group.objects.filter(user=OuterRef(user_field), name__in=list(BADGES)).order_by(precedence)
    return Subquery(roles.values("name")[:1])


def badge_for(role: str | None, user) -> str:
    """The badge to show for a role that badge_annotation found (superusers without one are staff)."""
    if role in BADGES:
        return BADGES[role]
    return "Staff" if user is not None and user.is_superuser else ""
