"""An optional external moderation service, asked over HTTP after our own checks.

Set ``MODERATION_WEBHOOK_URL`` (and optionally ``MODERATION_WEBHOOK_TOKEN``, sent as a bearer token,
and ``MODERATION_WEBHOOK_TIMEOUT``, 2 s by default).  We POST JSON::

    {"text": "...", "kind": "post|edit", "comment_id": 12 | null, "author": {"id": 3, "trust": "member"},
     "thread": {"id": 5, "url": "https://.../story#discussion"}, "scores": {...}, "action": "publish|hold"}

and expect ``{"action": "publish|hold|reject", "reason": "..."}``.  Anything else — an error status,
a connection failure, a malformed answer, or no answer within the timeout — gives ``hold``: a comment
is never published unchecked because the service was down.
"""

import json
import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from moderation import conf

logger = logging.getLogger(__name__)
ACTIONS = ("publish", "hold", "reject")
MAX_ANSWER_BYTES = 64 * 1024
# Calls run on these threads so that the timeout bounds the whole exchange, not each socket read.
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="moderation-webhook")


@dataclass(frozen=True)
class ProviderAnswer:
    action: str
    reason: str
    ok: bool  # False: the service failed and `action` is the fail-safe hold
    details: dict


def is_configured() -> bool:
    return bool(conf.get("MODERATION_WEBHOOK_URL"))


def _post(url: str, payload: dict, timeout: float) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    token = conf.get("MODERATION_WEBHOOK_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in ask()
        url, data=json.dumps(payload).encode("utf-8"), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status, response.read(MAX_ANSWER_BYTES + 1)


def _parse(status: int, body: bytes) -> ProviderAnswer:
    if status != 200:
        return _failed(f"answered HTTP {status}")
    if len(body) > MAX_ANSWER_BYTES:
        return _failed("answer too large")
    try:
        answer = json.loads(body)
    except ValueError:
        return _failed("answer is not JSON")
    action = answer.get("action") if isinstance(answer, dict) else None
    if action not in ACTIONS:
        return _failed(f"unknown action {action!r}")
    reason = str(answer.get("reason") or "")[:200]
    return ProviderAnswer(action, reason, ok=True, details={"status": status})


def _failed(problem: str) -> ProviderAnswer:
    return ProviderAnswer("hold", "the external check was unavailable", ok=False, details={"error": problem})


def ask(payload: dict) -> ProviderAnswer:
    """The service's verdict on one comment, or a hold when it cannot give one in time."""
    url = conf.get("MODERATION_WEBHOOK_URL")
    timeout = float(conf.get("MODERATION_WEBHOOK_TIMEOUT"))
    if urlsplit(url).scheme not in ("http", "https"):
        return _failed("MODERATION_WEBHOOK_URL is not an http(s) URL")
    future = _executor.submit(_post, url, payload, timeout)
    try:
        status, body = future.result(timeout=timeout)
    except FutureTimeout:
        logger.warning("moderation webhook: no answer within %.1f s", timeout)
        return _failed(f"no answer within {timeout:g} s")
    except urllib.error.HTTPError as error:
        return _failed(f"answered HTTP {error.code}")
    except (OSError, ValueError) as error:  # URLError, refused connection, socket timeout, bad URL
        logger.warning("moderation webhook failed: %s", error)
        return _failed(f"request failed: {error}")
    return _parse(status, body)
