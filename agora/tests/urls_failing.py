"""The site's URL map plus one view that fails, to see the 500 page through the whole request stack."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from agora.urls import handler500  # noqa: F401  (the handler under test, found in this module)
from agora.urls import urlpatterns as site_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("fail/", fail), *site_urlpatterns]
