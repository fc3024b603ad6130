"""The versioned JSON API, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from ninja import NinjaAPI

from api.errors import install_error_handlers
from api.views import router

DESCRIPTION = """\
Threads and comments of Agora's reader discussions.

* **Auth**: reads are open; writes need Django's session (with the CSRF token in an
  `X-CSRFToken` header) or `Authorization: Bearer <token>` (`manage.py create_api_token`).
* **Errors**: always `{"error": {"code": "...", "message": "..."}}` with a 4xx status;
  a request that does not match the schema is a 422 with `error.details`.
* **Pagination**: follow `next_cursor` (and `replies_cursor`) until it is null.
* **Text**: no string anywhere in a request (path, query, body) may hold a NUL character or a lone
  surrogate: such a request is a 400 `invalid_characters`.
"""

api = NinjaAPI(
    title="Agora API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("", router)
