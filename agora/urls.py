from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from django.views.static import serve

from agora import views as site_views
from agora.page_cache import cache_public_page
from articles.sitemaps import SITEMAPS
from articles.views import robots_txt

urlpatterns = [
    path("admin/", admin.site.urls),
    path("robots.txt", robots_txt),
    path("favicon.ico", site_views.favicon),
    path("sitemap.xml", cache_public_page(sitemap_views.index), {"sitemaps": SITEMAPS}, name="sitemap-index"),
    path(
        "sitemap-<section>.xml",
        cache_public_page(sitemap_views.sitemap, query=("p",)),
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("accounts/", include("accounts.urls")),
    path("discussions/", include("discussions.urls")),
    # Linked from nudges (moderation.nudge) and the embed, where it opens on the site in a new tab.
    path("guidelines/", TemplateView.as_view(template_name="discussions/guidelines.html"), name="guidelines"),
    path("commenting/", include("discussions.commenting_urls")),
    path("moderation/", include("moderation.urls")),
    path("notifications/", include("notifications.urls")),
    path("embed/", include("embed.urls")),
    path("", include("embed.root_urls")),  # /embed.js, the publisher snippet's script
    path("api/v1/", include("api.urls")),
    path("", include("interests.urls")),
    path("", include("articles.urls")),
]

handler500 = site_views.server_error

if settings.SERVE_MEDIA:
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )
