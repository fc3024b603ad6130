"""SameSite=None only where it is needed: the embed's own cookies, scoped to /embed/; the site keeps Lax."""

import pytest
from django.conf import settings
from django.test import Client

from accounts.tests.conftest import PASSWORD
from embed.cookies import EMBED_COOKIES
from embed.tests.test_embed_pages import _production_setting

pytestmark = pytest.mark.django_db
SESSION, CSRF = settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME


@pytest.fixture
def cross_site(settings):
    """As in production with publishers configured (EMBEDS_CROSS_SITE)."""
    settings.EMBED_COOKIE_SAMESITE = "None"


def test_production_keeps_the_sites_cookies_lax_with_publishers_configured():
    configured = {"EMBED_ALLOWED_DOMAINS": ".example.org"}
    assert _production_setting("SESSION_COOKIE_SAMESITE", **configured) == "Lax"
    assert _production_setting("CSRF_COOKIE_SAMESITE", **configured) == "Lax"
    assert _production_setting("EMBED_COOKIE_SAMESITE", **configured) == "None"
    assert _production_setting("EMBED_COOKIE_SAMESITE") == "Lax"


@pytest.mark.usefixtures("cross_site")
def test_logging_in_inside_the_embed_sets_the_embeds_own_cookies(story_thread, alice):
    client = Client()
    page = client.get("/embed/accounts/login/")
    csrf = page.cookies[EMBED_COOKIES[CSRF]]
    assert (csrf["samesite"], csrf["path"], bool(csrf["secure"])) == ("None", "/embed/", True)
    assert CSRF not in page.cookies

    response = client.post("/embed/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    session = response.cookies[EMBED_COOKIES[SESSION]]
    assert (session["samesite"], session["path"], bool(session["httponly"])) == ("None", "/embed/", True)
    assert SESSION not in response.cookies
    assert "Signed in as" in client.get(f"/embed/discussions/threads/{story_thread.pk}/").content.decode()


@pytest.mark.usefixtures("cross_site")
def test_the_sites_own_cookies_stay_lax(client, alice):
    page = client.get("/accounts/login/")
    assert page.cookies[CSRF]["samesite"] == "Lax"
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.cookies[SESSION]["samesite"] == "Lax" and response.cookies[SESSION]["path"] == "/"
    assert not set(EMBED_COOKIES.values()) & set(response.cookies)


@pytest.mark.usefixtures("cross_site")
def test_logging_out_inside_the_embed_clears_its_session(story_thread, alice):
    client = Client()
    client.post("/embed/accounts/login/", {"username": "alice", "password": PASSWORD})
    response = client.post("/embed/accounts/logout/")
    assert response.cookies[EMBED_COOKIES[SESSION]]["max-age"] == 0
    assert "Signed in as" not in client.get(f"/embed/discussions/threads/{story_thread.pk}/").content.decode()


def test_a_reader_signed_in_on_the_site_is_signed_in_inside_a_same_site_embed(client, alice, story_thread):
    client.force_login(alice)  # the site's session cookie, which a same-site frame is sent
    assert "Signed in as" in client.get(f"/embed/discussions/threads/{story_thread.pk}/").content.decode()
