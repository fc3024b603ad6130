"""Embed pages, under /embed/ (and /embed.js through embed.root_urls).

`account_urls`, `discussion_urls` and `moderation_urls` are the embed twins of the accounts,
discussions and moderation pages a reader reaches from the discussion: same names, compact
templates, frameable, and redirecting back into the embed.  `embed.framed_urls` maps the
`accounts:`, `discussions:` and `moderation:` names onto them while an embed page is built
(see embed.framing).
"""

from django.urls import include, path

from discussions import views as discussion_views
from embed import views

account_urls = [
    path("login/", views.login, name="login"),
    path("signup/", views.signup, name="signup"),
    path("logout/", views.logout, name="logout"),
]

discussion_urls = [
    path("threads/<int:thread_id>/", views.thread_page, name="thread"),
    path("threads/<int:thread_id>/comments/", views.more_comments, name="comments"),
    path("threads/<int:thread_id>/post/", views.post, name="post"),
    path("threads/<int:thread_id>/events/", discussion_views.events_stream, name="events"),
    path("comments/<int:comment_id>/", views.permalink, name="permalink"),
    path("comments/<int:comment_id>/reply/", views.reply, name="reply"),
    path("comments/<int:comment_id>/replies/", views.more_replies, name="replies"),
    path("comments/<int:comment_id>/edit/", views.edit, name="edit"),
    path("comments/<int:comment_id>/delete/", views.delete, name="delete"),
    path("comments/<int:comment_id>/react/", views.react, name="react"),
    path("comments/<int:comment_id>/feature/", views.feature, name="feature"),
]

moderation_urls = [
    path("comments/<int:comment_id>/report/", views.report, name="report"),
]

app_name = "embed"

urlpatterns = [
    path("embed.js", views.script, name="script"),
    path("thread/", views.story_thread, name="story"),
    path("accounts/", include((account_urls, "accounts"))),
    path("discussions/", include((discussion_urls, "discussions"))),
    path("moderation/", include((moderation_urls, "moderation"))),
]
