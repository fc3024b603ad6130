from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import services
from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = [
        *(DjangoUserAdmin.fieldsets or ()),
        ("Profile", {"fields": ["display_name", "bio", "email_verified_at"]}),
    ]
    list_display = ["username", "email", "display_name", "email_verified_at", "is_staff", "date_joined"]
    list_filter = [*DjangoUserAdmin.list_filter, ("email_verified_at", admin.EmptyFieldListFilter)]
    search_fields = [*DjangoUserAdmin.search_fields, "display_name"]

    # Deleting from the admin erases the same way a reader erasing themselves does, so
    # their comments become "[deleted]" tombstones and every count stays right.
    def delete_model(self, request, obj):
        services.erase_account(obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.erase_account(user)
