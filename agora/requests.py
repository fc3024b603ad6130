"""What middleware and authentication add to Django's HttpRequest, for views' annotations.

Django's stubs know only HttpRequest, where ``request.user`` may be anonymous. Views say which of
these they get, so the type checker knows ``request.htmx`` and a signed-in ``request.user``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from accounts.models import User
    from api.models import ApiToken


class HtmxRequest(HttpRequest):
    """Any request: django_htmx's middleware runs on all of them."""

    htmx: HtmxDetails


class SignedInRequest(HtmxRequest):
    """A request to a view behind ``login_required``."""

    user: User


class ApiRequest(HttpRequest):
    """A request to an API endpoint that needs a signed-in caller (``api.auth.WRITE_AUTH``)."""

    auth: User  # by bearer token or session
    api_token: ApiToken  # only with a bearer token (``api.auth.token_user`` sets it)
