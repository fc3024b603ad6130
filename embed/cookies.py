"""The embed's own cookies: SameSite=None only where a publisher's page needs it, never site-wide.

On a publisher's page the iframe is a third-party context, where browsers send a cookie only when
it is SameSite=None (and Secure).  The site's own cookies stay SameSite=Lax, a defence against
cross-site requests the site has no reason to give up.  So under /embed/ the session, CSRF and
messages cookies go by names of their own (EMBED_COOKIES), scoped to /embed/ and marked
settings.EMBED_COOKIE_SAMESITE ("None" in production with publishers configured, else "Lax").

EmbedCookiesMiddleware sits around Django's session, CSRF and messages middleware: a request to
/embed/ is shown its embed cookies under the usual names (or the site's own, when it has no embed
ones: a same-site frame is sent those), and the cookies its response sets are renamed and scoped.
"""

from collections.abc import Callable
from http.cookies import Morsel
from typing import Literal

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse

EMBED_PATH = "/embed/"
EMBED_COOKIES = {
    settings.SESSION_COOKIE_NAME: "agora_embed_session",
    settings.CSRF_COOKIE_NAME: "agora_embed_csrftoken",
    CookieStorage.cookie_name: "agora_embed_messages",
}


def _as_embed_cookie(response: HttpResponse, morsel: Morsel, name: str) -> None:
    samesite: Literal["Lax", "None"] = "None" if settings.EMBED_COOKIE_SAMESITE == "None" else "Lax"
    response.set_cookie(
        name,
        morsel.value,
        max_age=int(morsel["max-age"]) if morsel["max-age"] != "" else None,
        expires=morsel["expires"] or None,
        path=EMBED_PATH,
        domain=morsel["domain"] or None,
        secure=bool(morsel["secure"]) or samesite == "None",  # browsers drop SameSite=None without it
        httponly=bool(morsel["httponly"]),
        samesite=samesite,
    )


class EmbedCookiesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(EMBED_PATH):
            return self.get_response(request)
        cookies = dict(request.COOKIES)
        for site_name, embed_name in EMBED_COOKIES.items():
            if embed_name in cookies:
                cookies[site_name] = cookies.pop(embed_name)
        request.COOKIES = cookies
        response = self.get_response(request)
        for site_name, embed_name in EMBED_COOKIES.items():
            if site_name in response.cookies:
                _as_embed_cookie(response, response.cookies.pop(site_name), embed_name)
        return response
