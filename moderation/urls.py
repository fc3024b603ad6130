from django.urls import path

from moderation import appeal_views, model_views, queue_views, views

app_name = "moderation"

urlpatterns = [
    path("comments/<int:comment_id>/report/", views.report, name="report"),
    path("notifications/", views.notifications, name="notifications"),
    path("queue/events/", queue_views.queue_events, name="queue-events"),
    path("queue/sizes/", queue_views.queue_sizes, name="queue-sizes"),
    path("queue/<str:name>/", queue_views.queue, name="queue"),
    path("queue/<str:name>/updates/", queue_views.queue_updates, name="queue-updates"),
    path("comments/<int:comment_id>/decide/", queue_views.decide, name="decide"),
    path("bulk/", queue_views.bulk, name="bulk"),
    path("queue/pending/approve-below/", queue_views.approve_below, name="approve-below"),
    path("spot-checks/<int:check_id>/verdict/", queue_views.spot_check_verdict, name="spot-check-verdict"),
    path("appeals/<int:appeal_id>/decide/", queue_views.decide_appeal, name="decide-appeal"),
    path("appeal/decision/<int:decision_id>/", appeal_views.appeal_decision, name="appeal-decision"),
    path("appeal/ban/<int:ban_id>/", appeal_views.appeal_ban, name="appeal-ban"),
    path("readers/<int:user_id>/sanction/", queue_views.sanction, name="sanction"),
    path("dashboard/", queue_views.dashboard, name="dashboard"),
    path("model/<int:version_id>/activate/", model_views.activate_version, name="activate-model"),
]
