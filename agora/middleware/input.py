"""Refuse, once and at the edge, requests holding characters no part of Agora can use.

A NUL character cannot be stored in PostgreSQL text or used in its lookups (slugs, story URLs,
usernames, cursors), and the comment formatter uses NUL for its own placeholders; a lone
surrogate (JSON's "\\ud800") cannot even be encoded as UTF-8.  Rather than every view, form and
query guarding against them, this middleware looks at everything a request carries that code
reads as text — its path, its query, its form fields and its JSON body — and answers 400 with a
sentence saying what to fix (the API's error body on /api/).  Nothing behind it runs, so nothing
is half-written.
"""

import json
import re
from collections.abc import Callable, Iterator

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from api.errors import error_response
from api.middleware import API_PREFIX

UNUSABLE = re.compile("[\x00\ud800-\udfff]")
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
MESSAGE = (
    "Your request holds characters that cannot be used here (a NUL character or half of a "
    "surrogate pair) in its {part}. Remove them and send it again."
)


def _strings(value: object) -> Iterator[str]:
    """Every string in a parsed JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _json_body(request: HttpRequest) -> object:
    """The parsed JSON body; None when there is none or it is not JSON (the view says so itself)."""
    if request.content_type != "application/json":
        return None
    try:
        return json.loads(request.body)
    except (ValueError, RequestDataTooBig):  # not JSON, or too large: left to the view to answer
        return None


def _parts(request: HttpRequest) -> Iterator[tuple[str, Iterator[str] | list[str]]]:
    """(name, texts) for each part of the request that code reads as text, read lazily in turn."""
    yield "address", [request.path_info]
    yield "query", (text for key, values in request.GET.lists() for text in (key, *values))
    if request.method == "POST" and request.content_type in FORM_TYPES:
        try:
            form = request.POST
        except RequestDataTooBig:  # too large: left to the view, which gets the same error
            form = None
        if form is not None:
            yield "form", (text for key, values in form.lists() for text in (key, *values))
    yield "body", _strings(_json_body(request))


def unusable_part(request: HttpRequest) -> str | None:
    """The first part of the request holding an unusable character, or None."""
    for part, texts in _parts(request):
        if any(UNUSABLE.search(text) for text in texts):
            return part
    return None


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        part = unusable_part(request)
        if part is None:
            return self.get_response(request)
        message = MESSAGE.format(part=part)
        if request.path_info.startswith(API_PREFIX):
            return error_response(400, "invalid_characters", message)
        return render(request, "refused_input.html", {"message": message}, status=400)
