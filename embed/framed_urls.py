"""The URL map in force while an embed page is built (see embed.framing).

The site's own map, except that the `accounts`, `discussions` and `moderation` namespaces resolve
to the embed twins in embed.urls first.  Names without a twin (a profile, the password reset
page, anything added later) still reverse, to the site's own pages; the iframe script opens
those in a new tab.  Requests are always resolved with the site's map (ROOT_URLCONF),
which serves the twins under /embed/ too, so both maps agree on every path.
"""

from django.urls import URLResolver, include, path

from agora import urls as site_urls
from embed.urls import account_urls, discussion_urls, moderation_urls

TWINS = {
    "accounts": ("embed/accounts/", account_urls),
    "discussions": ("embed/discussions/", discussion_urls),
    "moderation": ("embed/moderation/", moderation_urls),
}


def _is_twinned(route) -> bool:
    return isinstance(route, URLResolver) and route.app_name in TWINS


def _twinned(site_mount: URLResolver):
    """One namespace: the embed twins, then the site's routes for the names they lack."""
    embed_prefix, twins = TWINS[site_mount.app_name or ""]
    names = {route.name for route in twins}
    rest = [route for route in site_mount.url_patterns if getattr(route, "name", None) not in names]
    routes = [path(embed_prefix, include(twins)), path(str(site_mount.pattern), include(rest))]
    return path("", include((routes, site_mount.app_name or "")))


urlpatterns = [
    *[_twinned(route) for route in site_urls.urlpatterns if _is_twinned(route)],
    *[route for route in site_urls.urlpatterns if not _is_twinned(route)],
]
