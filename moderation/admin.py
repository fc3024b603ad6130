from django.contrib import admin

from moderation import audit
from moderation.models import (
    AuditEntry,
    Ban,
    ModerationDecision,
    ModerationPolicy,
    ModerationRule,
    Report,
    UserTrust,
)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log can be searched, never edited."""

    list_display = ["created_at", "actor_name", "action", "target_type", "target_id", "reason"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "target_label", "reason", "target_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the services; the admin only shows them.

    Deleting stays with the usual permission: erasing an account (or deleting it in the admin)
    cascades to its trust record, bans and notifications, and the admin checks it may.
    """

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def get_actions(self, request):  # type: ignore[no-untyped-def]
        return {}  # no bulk "delete selected" on the list pages


@admin.register(ModerationRule)
class ModerationRuleAdmin(admin.ModelAdmin):
    list_display = ["phrase", "kind", "is_active", "note", "updated_at"]
    list_filter = ["kind", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["phrase", "note"]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        audit.record(request.user, "change_rule" if change else "add_rule", obj, kind=obj.kind)

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        audit.record(request.user, "delete_rule", obj, kind=obj.kind)
        super().delete_model(request, obj)


@admin.register(ModerationPolicy)
class ModerationPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "hold_threshold", "reject_threshold", "sensitive", "updated_at"]
    list_filter = ["sensitive"]
    autocomplete_fields = ["article"]
    search_fields = ["section__name", "article__headline", "note"]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        audit.record(
            request.user,
            "change_moderation_policy" if change else "add_moderation_policy",
            obj,
            hold=obj.hold_threshold,
            reject=obj.reject_threshold,
            sensitive=obj.sensitive,
        )


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "comment", "action", "source", "trigger", "reason", "is_current"]
    list_filter = ["action", "source", "trigger", "is_current"]
    search_fields = ["comment__id", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["comment"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "comment", "reason", "reporter", "reporter_trusted", "resolution"]
    list_filter = ["reason", "reporter_trusted", "resolution"]
    list_select_related = ["comment", "reporter"]
    date_hierarchy = "created_at"


@admin.register(UserTrust)
class UserTrustAdmin(ReadOnlyAdmin):
    list_display = ["user", "score", "approved_count", "rejected_count", "updated_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]


@admin.register(Ban)
class BanAdmin(ReadOnlyAdmin):
    """Read-only: bans go through moderation.services (authorised, audited, the reader told)."""

    list_display = ["user", "until", "reason", "by", "created_at", "lifted_at"]
    list_filter = ["lifted_at"]
    search_fields = ["user__username", "reason"]
    list_select_related = ["user", "by"]
