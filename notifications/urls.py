from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.mark_read, name="mark-read"),
    path("<int:notification_id>/", views.open_notification, name="open"),
    path("stream/", views.stream, name="stream"),
    path("settings/", views.email_settings, name="settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
