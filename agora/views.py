"""Site-wide responses that belong to no one app: the favicon and the server error page.

The 403 and 404 pages are the templates of the same names (templates/), rendered by Django's own
handlers with the request, so they carry the site's header like any page.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.http import require_safe

FAVICON = settings.BASE_DIR / "static" / "favicon.ico"


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on every page that does not name an icon (feeds, the API)."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/vnd.microsoft.icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, built from settings alone: no context processors, no database, no URL map,
    since any of them may be what failed."""
    context = {"site_name": settings.SITE_NAME, "site_tagline": settings.SITE_TAGLINE}
    return HttpResponseServerError(loader.render_to_string("500.html", context))
