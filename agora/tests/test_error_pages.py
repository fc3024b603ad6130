"""The 403, 404 and 500 pages and the favicon, through real requests (DEBUG is off in tests)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory

from agora.views import server_error

pytestmark = pytest.mark.django_db


def test_an_unknown_address_gets_the_sites_own_404_page(client, settings):
    settings.SITE_NAME = "The Harbour Gazette"
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found — The Harbour Gazette</title>" in html
    assert 'class="site-header"' in html and 'class="site-nav"' in html  # the site's own chrome
    assert '<form class="search-form" role="search" action="/search/"' in html
    assert '<meta name="robots" content="noindex">' in html


def test_a_404_raised_by_a_view_gets_the_same_page_without_its_internal_message(client):
    response = client.get("/discussions/comments/999999/")  # get_object_or_404
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "No Comment matches" not in html


def test_a_refusal_gets_the_403_page_with_its_reason(client, alice):
    client.force_login(alice)
    response = client.get("/moderation/queue/pending/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You cannot open this page" in html
    assert "Only moderators can see the moderation queues." in html


@pytest.mark.urls("agora.tests.urls_failing")
def test_a_server_error_gets_the_branded_500_page(settings):
    settings.SITE_NAME = "The Harbour Gazette"
    response = Client(raise_request_exception=False).get("/fail/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<title>Something went wrong — The Harbour Gazette</title>" in html
    assert "Something went wrong on our side" in html
    assert "a bug" not in html  # nothing about the failure itself


def test_the_500_page_needs_no_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500 and b'href="/static/css/site.css"' in response.content


def test_the_favicon_is_served_at_the_root_and_named_by_every_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert "max-age" in response["Cache-Control"]
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in html
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert finders.find("favicon.svg")
