"""Editors' commenting controls (site, section, article, embedded thread), under /commenting/.

Kept out of discussions.urls: those are the reader's pages, each with an embed twin, and
these are not for the embed.
"""

from django.urls import path

from discussions import commenting_views

app_name = "commenting"

urlpatterns = [
    path("", commenting_views.control_panel, name="panel"),
    path("<slug:scope>/<int:pk>/", commenting_views.control_scope, name="scope"),
]
