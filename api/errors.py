"""One error shape for the whole API: {"error": {"code": "...", "message": "..."}} with a 4xx status.

Refusals from discussions.services (CommentError) keep their code, message and status;
everything else the API or Django can refuse with is mapped here.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from discussions.errors import CommentError

logger = logging.getLogger(__name__)

CODES_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}
UNAUTHENTICATED_MESSAGE = "Log in, or send 'Authorization: Bearer <token>', to do this."


class ApiError(Exception):
    """A refusal made by the API layer itself (not found, authentication, rate limits)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def rate_limited(retry_after: int, message: str) -> ApiError:
    retry_after = max(1, retry_after)
    return ApiError(
        429, "rate_limited", f"{message} Try again in {retry_after} s.", {"Retry-After": str(retry_after)}
    )


def error_body(code: str, message: str, details: list | None = None) -> dict:
    error: dict = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, details: list | None = None
) -> JsonResponse:
    response = JsonResponse(error_body(code, message, details), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _validation_message(errors: list[dict]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ())[1:]) or str(error.get("loc", ("request",))[0])
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "The request is not valid: " + "; ".join(parts) + "."


def install_error_handlers(api: NinjaAPI) -> None:
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    def comment_error(request: HttpRequest, exc: CommentError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message)

    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors
        ]
        return error_response(422, "invalid", _validation_message(exc.errors), details=details)

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", str(exc) or "Not found.")

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            401, "not_authenticated", UNAUTHENTICATED_MESSAGE, {"WWW-Authenticate": "Bearer"}
        )

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = CODES_BY_STATUS.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc))

    def too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(413, "too_large", "The request body is too large.")

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return error_response(500, "server_error", "Something went wrong on our side.")

    # ninja picks the handler of the nearest class in the exception's MRO; each gets an instance.
    handlers: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
        ApiError: api_error,
        CommentError: comment_error,
        ValidationError: validation_error,
        Http404: not_found,
        AuthenticationError: unauthenticated,
        HttpError: http_error,
        RequestDataTooBig: too_large,
        Exception: unexpected,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)
