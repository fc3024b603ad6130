from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("comments/<int:comment_id>/report/", views.report, name="report"),
    path("notifications/", views.notifications, name="notifications"),
]
