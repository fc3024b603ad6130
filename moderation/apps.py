from django.apps import AppConfig
from django.db.models.signals import post_migrate

# Given to the Moderators group (accounts.roles) after every migrate; Admins already get every permission.
MODERATOR_PERMISSIONS = ("moderate_comments", "ban_users")


def grant_moderator_permissions(sender: object, using: str = "default", **kwargs: object) -> None:
    """Only ever adds, like accounts.roles.ensure_roles; runs after each app so it sees our permissions."""
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import MODERATORS

    perms = Permission.objects.using(using).filter(
        content_type__app_label="moderation", codename__in=MODERATOR_PERMISSIONS
    )
    if not perms.exists():
        return
    group, _ = Group.objects.using(using).get_or_create(name=MODERATORS)
    missing = perms.exclude(group=group)
    if missing.exists():
        group.permissions.add(*missing)


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group, Permission
        from django.db.models.signals import post_save

        from accounts.signals import account_erasing
        from agora.snapshots import invalidate_on_change, invalidate_on_m2m_change
        from discussions.commenting import extra_levels
        from moderation import appeals, bans, heat
        from moderation.context import PERMISSIONS_SNAPSHOT
        from moderation.models import ModelVersion, ModerationPolicy, ModerationRule
        from moderation.policy import POLICIES_SNAPSHOT
        from moderation.rules import RULES_SNAPSHOT
        from moderation.versions import VERSIONS_SNAPSHOT

        post_migrate.connect(grant_moderator_permissions, dispatch_uid="moderation_grant_moderator_perms")
        extra_levels.connect(heat.guard_level, dispatch_uid="moderation_heat_guard_level")
        invalidate_on_change(RULES_SNAPSHOT, ModerationRule)
        invalidate_on_change(POLICIES_SNAPSHOT, ModerationPolicy)
        invalidate_on_change(VERSIONS_SNAPSHOT, ModelVersion)
        invalidate_on_change(PERMISSIONS_SNAPSHOT, Group, Permission)
        invalidate_on_m2m_change(PERMISSIONS_SNAPSHOT, Group.permissions.through)
        account_erasing.connect(bans.keep_bans_of_erased_account, dispatch_uid="moderation_keep_bans")
        account_erasing.connect(appeals.forget_statements, dispatch_uid="moderation_forget_appeals")
        post_save.connect(
            bans.ban_new_account_of_banned_address,
            sender=get_user_model(),
            dispatch_uid="moderation_carry_bans",
        )
