"""The external check, against a real HTTP server on 127.0.0.1: answers, slow answers, errors."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from discussions.models import Comment
from moderation.tests.conftest import counts
from posting import actions

pytestmark = [pytest.mark.django_db, pytest.mark.network]

CIVIL = "The council should publish the harbour budget before the vote."


class Provider(BaseHTTPRequestHandler):
    """Answers by path: /publish, /hold, /reject, /slow, /error, /garbage."""

    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Provider.received.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if self.path.startswith("/perspective"):
            return self._perspective(body)
        if self.path.startswith("/slow"):
            time.sleep(1.5)
            return self._answer(200, {"action": "publish"})
        if self.path == "/error":
            return self._answer(500, {"detail": "boom"})
        if self.path == "/garbage":
            return self._answer(200, {"verdict": "fine"})
        action = self.path.strip("/")
        self._answer(200, {"action": action, "reason": f"the service says {action}"})

    def _perspective(self, body: dict) -> None:
        """Like Google's comments:analyze: a 400 without a key; "[toxic]" in the text scores 0.93."""
        if "key=test-key" not in self.path:
            return self._answer(400, {"error": {"code": 400, "message": "API key not valid."}})
        toxic = "[toxic]" in body["comment"]["text"]
        scores = {"TOXICITY": 0.93 if toxic else 0.04, "INSULT": 0.2, "THREAT": 0.88 if toxic else 0.01}
        self._answer(
            200,
            {
                "attributeScores": {
                    name: {"summaryScore": {"value": value, "type": "PROBABILITY"}}
                    for name, value in scores.items()
                },
                "languages": ["en"],
            },
        )

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def webhook(settings, server):
    settings.MODERATION_WEBHOOK_TIMEOUT = 0.5
    settings.MODERATION_WEBHOOK_TOKEN = "s3cret"
    Provider.received.clear()

    def use(path: str) -> None:
        settings.MODERATION_WEBHOOK_URL = server + path

    return use


def provider_step(comment: Comment) -> dict:
    return next(s for s in comment.moderation.steps if s["step"] == "provider")


def test_the_service_can_publish_and_gets_the_text(webhook, alice, thread):
    webhook("/publish")
    comment = actions.post_comment(alice, thread, CIVIL)
    assert comment.status == "published"
    sent = Provider.received[-1]
    assert sent["auth"] == "Bearer s3cret"
    assert sent["body"]["text"] == CIVIL and sent["body"]["kind"] == "post"
    assert sent["body"]["author"] == {"id": alice.pk, "trust": "trusted"}
    assert set(sent["body"]["scores"]) >= {"toxicity", "insult"} and sent["body"]["action"] == "publish"
    assert provider_step(comment)["details"]["ok"] is True
    assert counts(thread) == (1, None)


@pytest.mark.parametrize(("path", "status"), [("/hold", "held"), ("/reject", "rejected")])
def test_the_service_can_hold_or_reject(webhook, alice, thread, path, status):
    webhook(path)
    comment = actions.post_comment(alice, thread, CIVIL)
    assert comment.status == status
    assert comment.moderation.reason == f"the service says {path.strip('/')}"
    assert counts(thread) == (0, None)


def test_the_service_cannot_publish_what_our_checks_hold(webhook, alice, thread):
    webhook("/publish")
    comment = actions.post_comment(alice, thread, "What an idiot.")
    assert comment.status == "held"


def test_a_slow_service_holds_the_comment_within_the_timeout(webhook, alice, thread):
    webhook("/slow")
    started = time.monotonic()
    comment = actions.post_comment(alice, thread, CIVIL)
    elapsed = time.monotonic() - started
    assert comment.status == "held"
    assert elapsed < 1.4  # the timeout (0.5 s), not the server's 1.5 s
    step = provider_step(comment)
    assert step["outcome"] == "hold" and step["details"]["ok"] is False
    assert "no answer within 0.5 s" in step["details"]["error"]
    assert counts(thread) == (0, None)


@pytest.mark.parametrize(("path", "problem"), [("/error", "HTTP 500"), ("/garbage", "unknown action")])
def test_a_failing_service_holds_the_comment(webhook, alice, thread, path, problem):
    webhook(path)
    comment = actions.post_comment(alice, thread, CIVIL)
    assert comment.status == "held"
    assert problem in provider_step(comment)["details"]["error"]
    assert "waiting for review" in comment.moderation.message


def test_an_unreachable_service_holds_the_comment(settings, alice, thread):
    settings.MODERATION_WEBHOOK_URL = "http://127.0.0.1:9/"  # discard port: nothing listens
    comment = actions.post_comment(alice, thread, CIVIL)
    assert comment.status == "held"
    assert provider_step(comment)["details"]["ok"] is False


def test_edits_are_sent_too(webhook, alice, thread):
    webhook("/publish")
    comment = actions.post_comment(alice, thread, CIVIL)
    webhook("/reject")
    edited = actions.edit_comment(alice, comment, CIVIL + " Or after it.")
    assert edited.status == "rejected"
    assert Provider.received[-1]["body"]["kind"] == "edit"
    assert Provider.received[-1]["body"]["comment_id"] == comment.pk
    assert counts(thread) == (0, None)


def test_rejected_comments_are_not_sent(webhook, alice, thread):
    webhook("/publish")
    comment = actions.post_comment(alice, thread, "Go and kill yourself.")
    assert comment.status == "rejected"
    assert provider_step(comment)["outcome"] == "skipped" and Provider.received == []


# --- Perspective API ------------------------------------------------------------------------------------


@pytest.fixture
def perspective(settings, server):
    settings.MODERATION_WEBHOOK_TIMEOUT = 0.5
    settings.MODERATION_PERSPECTIVE_URL = server + "/perspective"
    settings.MODERATION_PERSPECTIVE_API_KEY = "test-key"
    Provider.received.clear()
    return settings


def test_perspective_publishes_what_it_scores_low_and_is_asked_as_google_documents(
    perspective, alice, thread
):
    comment = actions.post_comment(alice, thread, CIVIL)
    assert comment.status == "published"
    sent = Provider.received[-1]
    assert sent["path"] == "/perspective?key=test-key"
    assert sent["body"]["comment"] == {"text": CIVIL}
    assert sent["body"]["doNotStore"] is True
    assert set(sent["body"]["requestedAttributes"]) >= {"TOXICITY", "INSULT", "THREAT", "IDENTITY_ATTACK"}
    step = provider_step(comment)
    assert step["outcome"] == "pass" and step["details"]["provider"] == "perspective"
    assert step["details"]["scores"]["toxicity"] == 0.04


def test_perspective_holds_what_it_scores_high_naming_the_kind(perspective, alice, thread):
    comment = actions.post_comment(alice, thread, CIVIL + " [toxic]")
    assert comment.status == "held"
    step = provider_step(comment)
    assert step["outcome"] == "hold" and step["reason"] == "it reads as a threat"
    assert counts(thread) == (0, None)


def test_perspective_rejects_past_its_reject_threshold(perspective, alice, thread):
    perspective.MODERATION_PERSPECTIVE_REJECT = 0.9
    assert actions.post_comment(alice, thread, CIVIL + " [toxic]").status == "rejected"


def test_perspective_refusing_the_key_holds_the_comment(perspective, alice, thread):
    perspective.MODERATION_PERSPECTIVE_API_KEY = "wrong"
    comment = actions.post_comment(alice, thread, CIVIL)
    assert comment.status == "held"
    step = provider_step(comment)
    assert step["details"]["ok"] is False and "HTTP 400" in step["details"]["error"]
    assert "wrong" not in json.dumps(comment.moderation.steps)  # the key is never recorded


def test_perspective_slower_than_the_timeout_holds_the_comment(perspective, server, alice, thread):
    perspective.MODERATION_PERSPECTIVE_URL = server + "/slow"
    comment = actions.post_comment(alice, thread, CIVIL)
    assert comment.status == "held"
    assert "no answer within 0.5 s" in provider_step(comment)["details"]["error"]


def test_the_webhook_is_asked_when_both_are_configured(perspective, webhook, alice, thread):
    webhook("/publish")
    actions.post_comment(alice, thread, CIVIL + " [toxic]")
    assert [r["path"] for r in Provider.received] == ["/publish"]
