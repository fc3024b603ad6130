from django.urls import path

from discussions import views

app_name = "discussions"

urlpatterns = [
    path("threads/<int:thread_id>/", views.thread_detail, name="thread"),
    path("threads/<int:thread_id>/comments/", views.more_comments, name="comments"),
    path("threads/<int:thread_id>/post/", views.post, name="post"),
    path("threads/<int:thread_id>/events/", views.events_stream, name="events"),
    path("comments/<int:comment_id>/", views.permalink, name="permalink"),
    path("comments/<int:comment_id>/reply/", views.reply, name="reply"),
    path("comments/<int:comment_id>/replies/", views.more_replies, name="replies"),
    path("comments/<int:comment_id>/edit/", views.edit, name="edit"),
    path("comments/<int:comment_id>/delete/", views.delete, name="delete"),
    path("comments/<int:comment_id>/react/", views.react, name="react"),
    path("comments/<int:comment_id>/feature/", views.feature, name="feature"),
]
