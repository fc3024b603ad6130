"""An optional external moderation service, asked over HTTP after our own checks.

Two kinds; the webhook when its URL is set, otherwise Perspective when its key is set:

**A webhook of your own.**  Set ``MODERATION_WEBHOOK_URL`` (and optionally ``MODERATION_WEBHOOK_TOKEN``,
sent as a bearer token).  We POST JSON::

    {"text": "...", "kind": "post|edit", "comment_id": 12 | null, "author": {"id": 3, "trust": "member"},
     "thread": {"id": 5, "url": "https://.../story#discussion"}, "scores": {...}, "action": "publish|hold"}

and expect ``{"action": "publish|hold|reject", "reason": "..."}``.

**Google's Perspective API.**  Set ``MODERATION_PERSPECTIVE_API_KEY``.  We ask for the TOXICITY,
INSULT, THREAT, IDENTITY_ATTACK and PROFANITY scores of the text alone (``doNotStore``: Google keeps
nothing); a TOXICITY of ``MODERATION_PERSPECTIVE_HOLD`` (0.8) or more holds the comment, and of
``MODERATION_PERSPECTIVE_REJECT`` (unset: never) or more rejects it.  ``MODERATION_PERSPECTIVE_URL``
points elsewhere (a proxy; tests use a local server).

Both are bounded by ``MODERATION_WEBHOOK_TIMEOUT`` (2 s).  Anything but a usable answer — an error
status, a connection failure, a malformed answer, or no answer in time — gives ``hold``: a comment is
never published unchecked because the service was down.
"""

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from moderation import conf

logger = logging.getLogger(__name__)
ACTIONS = ("publish", "hold", "reject")
MAX_ANSWER_BYTES = 64 * 1024
PERSPECTIVE_ATTRIBUTES = ("TOXICITY", "INSULT", "THREAT", "IDENTITY_ATTACK", "PROFANITY")
PERSPECTIVE_REASONS = {
    "INSULT": "it reads as an insult",
    "THREAT": "it reads as a threat",
    "IDENTITY_ATTACK": "it reads as an attack on a group of people",
    "PROFANITY": "it contains obscene language",
}
# Calls run on these threads so that the timeout bounds the whole exchange, not each socket read.
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="moderation-provider")


@dataclass(frozen=True)
class ProviderAnswer:
    action: str
    reason: str
    ok: bool  # False: the service failed and `action` is the fail-safe hold
    details: dict


def is_configured() -> bool:
    return bool(conf.get("MODERATION_WEBHOOK_URL") or conf.get("MODERATION_PERSPECTIVE_API_KEY"))


def ask(payload: dict) -> ProviderAnswer:
    """The service's verdict on one comment, or a hold when it cannot give one in time."""
    if conf.get("MODERATION_WEBHOOK_URL"):
        return _ask_webhook(payload)
    return _ask_perspective(payload["text"])


# --- the webhook -------------------------------------------------------------------------------------


def _ask_webhook(payload: dict) -> ProviderAnswer:
    url = conf.get("MODERATION_WEBHOOK_URL")
    headers = {}
    if token := conf.get("MODERATION_WEBHOOK_TOKEN"):
        headers["Authorization"] = f"Bearer {token}"
    return _exchange("webhook", url, payload, headers, _parse_webhook)


def _parse_webhook(answer: object) -> ProviderAnswer:
    fields = answer if isinstance(answer, dict) else {}
    action = fields.get("action")
    if action not in ACTIONS:
        return _failed(f"unknown action {action!r}")
    reason = str(fields.get("reason") or "")[:200]
    return ProviderAnswer(action, reason, ok=True, details={"provider": "webhook"})


# --- Perspective -------------------------------------------------------------------------------------


def _ask_perspective(text: str) -> ProviderAnswer:
    url = conf.get("MODERATION_PERSPECTIVE_URL")
    url += ("&" if "?" in url else "?") + urlencode({"key": conf.get("MODERATION_PERSPECTIVE_API_KEY")})
    request = {
        "comment": {"text": text},
        "requestedAttributes": {name: {} for name in PERSPECTIVE_ATTRIBUTES},
        "doNotStore": True,
    }
    return _exchange("Perspective", url, request, {}, _parse_perspective)


def _parse_perspective(answer: object) -> ProviderAnswer:
    try:
        found = answer["attributeScores"]  # type: ignore[index]
        scores = {name: float(found[name]["summaryScore"]["value"]) for name in found}
        toxicity = scores["TOXICITY"]
    except (KeyError, TypeError, ValueError):
        return _failed("answer has no TOXICITY score")
    details = {"provider": "perspective", "scores": {k.lower(): round(v, 4) for k, v in scores.items()}}
    hold_at = float(conf.get("MODERATION_PERSPECTIVE_HOLD"))
    reject_at = conf.get("MODERATION_PERSPECTIVE_REJECT")
    if toxicity < hold_at:
        return ProviderAnswer("publish", "", ok=True, details=details)
    named = {k: v for k, v in scores.items() if k in PERSPECTIVE_REASONS}
    reason = PERSPECTIVE_REASONS[max(named, key=named.get)] if named else "it reads as abusive"  # type: ignore[arg-type]
    action = "reject" if reject_at is not None and toxicity >= float(reject_at) else "hold"
    return ProviderAnswer(action, reason, ok=True, details=details)


# --- the exchange ------------------------------------------------------------------------------------


def _post(url: str, payload: dict, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in _exchange()
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status, response.read(MAX_ANSWER_BYTES + 1)


def _exchange(
    name: str, url: str, payload: dict, headers: dict[str, str], parse: Callable[[object], ProviderAnswer]
) -> ProviderAnswer:
    timeout = float(conf.get("MODERATION_WEBHOOK_TIMEOUT"))
    if urlsplit(url).scheme not in ("http", "https"):
        return _failed(f"the {name} address is not an http(s) URL")
    future = _executor.submit(_post, url, payload, headers, timeout)
    try:
        status, body = future.result(timeout=timeout)
    except FutureTimeout:
        logger.warning("moderation %s: no answer within %.1f s", name, timeout)
        return _failed(f"no answer within {timeout:g} s")
    except urllib.error.HTTPError as error:  # its message never includes the URL (nor a key in it)
        return _failed(f"answered HTTP {error.code}")
    except (OSError, ValueError) as error:  # URLError, refused connection, socket timeout, bad URL
        logger.warning("moderation %s failed: %s", name, error)
        return _failed(f"request failed: {error}")
    if status != 200:
        return _failed(f"answered HTTP {status}")
    if len(body) > MAX_ANSWER_BYTES:
        return _failed("answer too large")
    try:
        answer = json.loads(body)
    except ValueError:
        return _failed("answer is not JSON")
    result = parse(answer)
    return ProviderAnswer(result.action, result.reason, result.ok, {"status": status, **result.details})


def _failed(problem: str) -> ProviderAnswer:
    return ProviderAnswer("hold", "the external check was unavailable", ok=False, details={"error": problem})
