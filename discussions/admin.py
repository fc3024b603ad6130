from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from discussions import commenting
from discussions.models import CommentingPolicy
from moderation.commenting import set_commenting_status

Status = CommentingPolicy.Status


class CommentingPolicyForm(forms.ModelForm):
    class Meta:
        model = CommentingPolicy
        fields = [
            "scope",
            "section",
            "article",
            "thread",
            "status",
            "notice",
            "slow_mode_minutes",
            "auto_close_days",
            "reason",
        ]

    def clean(self) -> dict:
        data = super().clean() or {}
        thread = data.get("thread")
        if thread is not None and thread.article_id:
            self.add_error("thread", "This thread belongs to an article: set the article's level instead.")
        if "status" in data:
            commenting.add_settings_errors(self, data)
        return data


@admin.register(CommentingPolicy)
class CommentingPolicyAdmin(admin.ModelAdmin):
    """Commenting status per level.  Every save goes through commenting.set_commenting_status,
    so it is authorised, audited and clears the cached pages; rows are never deleted (set "open")."""

    form = CommentingPolicyForm
    list_display = [
        "target_label",
        "scope",
        "status",
        "slow_mode_minutes",
        "auto_close_days",
        "set_by",
        "set_at",
    ]
    list_filter = ["scope", "status"]
    list_select_related = ["section", "article", "thread", "set_by"]
    search_fields = ["section__name", "article__headline", "thread__title", "thread__url", "notice", "reason"]
    autocomplete_fields = ["article"]
    raw_id_fields = ["thread"]
    readonly_fields = ["set_by", "set_at"]
    fields = [
        "scope",
        "section",
        "article",
        "thread",
        "status",
        "notice",
        "slow_mode_minutes",
        "auto_close_days",
        "reason",
        "set_by",
        "set_at",
    ]
    ordering = ["scope", "id"]
    actions = ["make_open", "make_premoderated", "make_closed"]

    @admin.display(description="Level", ordering="scope")
    def target_label(self, obj: CommentingPolicy) -> str:
        return obj.target_label

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # The level of an existing row is fixed; add another row for another level.
        if obj is not None:
            return [*self.readonly_fields, "scope", "section", "article", "thread"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        policy = set_commenting_status(
            request.user,
            obj.target if obj.scope != CommentingPolicy.Scope.SITE else None,
            obj.status,
            notice=obj.notice,
            slow_mode_minutes=obj.slow_mode_minutes,
            auto_close_days=obj.auto_close_days,
            reason=obj.reason,
        )
        obj.pk, obj.set_by, obj.set_at = policy.pk, policy.set_by, policy.set_at

    def _set(self, request, queryset, status: str) -> None:  # type: ignore[no-untyped-def]
        changed = 0
        for policy in queryset.select_related("section", "article", "thread"):
            try:
                set_commenting_status(
                    request.user,
                    policy.target,
                    status,
                    notice="" if status == Status.OPEN else policy.notice,
                    auto_close_days=policy.auto_close_days,
                    reason=f"Admin action: {status}",
                )
            except ValidationError as error:
                self.message_user(
                    request, f"{policy.target_label}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                changed += 1
        self.message_user(request, f"{changed} level(s) set to {status}.", messages.SUCCESS)

    @admin.action(description="Open commenting at the selected levels")
    def make_open(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        self._set(request, queryset, Status.OPEN)

    @admin.action(description="Pre-moderate the selected levels")
    def make_premoderated(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        self._set(request, queryset, Status.PREMODERATED)

    @admin.action(description="Close commenting at the selected levels")
    def make_closed(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        self._set(request, queryset, Status.CLOSED)

    # Editors and moderators (and superusers) use this admin without the model permissions,
    # the same rule as the /commenting/ page.
    def has_module_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return commenting.can_set_commenting(request.user)

    def has_view_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return commenting.can_set_commenting(request.user)

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return commenting.can_set_commenting(request.user)

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return commenting.can_set_commenting(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
