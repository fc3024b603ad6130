from django.contrib import admin

from notifications.models import EmailDelivery, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "count", "updated_at", "read_at", "email_schedule")
    list_filter = ("kind", "email_schedule")
    search_fields = ("recipient__username", "key")
    raw_id_fields = ("recipient", "actor", "comment", "article")
    readonly_fields = ("created_at", "updated_at")


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    """The outbox: failed sends and their errors are here (they are retried; none is lost)."""

    list_display = ("recipient", "frequency", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "frequency")
    search_fields = ("recipient__username",)
    raw_id_fields = ("recipient",)
    readonly_fields = ("claim", "claimed_until", "last_error", "created_at", "sent_at")
