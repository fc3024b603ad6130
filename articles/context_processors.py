from django.conf import settings
from django.http import HttpRequest

from articles.models import Section


def site_navigation(request: HttpRequest) -> dict[str, object]:
    """Site name and the section menu, on every page (a lazy query, run only if a template uses it)."""
    return {
        "site_name": settings.SITE_NAME,
        "site_tagline": settings.SITE_TAGLINE,
        "nav_sections": Section.objects.all(),
    }
