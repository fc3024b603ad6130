"""Where Agora's time goes on the benchmark's requests: cProfile, in-process, through the whole stack.

Run by `bench/discussions.py --profile` on its Agora database (same environment as its server),
or by hand on a kept run:

    DATABASE_URL=sqlite:///var/bench/discussions-run-<stamp>/agora/db.sqlite3 \\
    AGORA_VAR_DIR=var/bench/discussions-run-<stamp>/agora/var DEBUG=0 \\
        .venv/bin/python bench/discussions_profile.py --thread-id 1

Each request goes through Django's test client (every middleware, URL routing, the view,
the response), not a socket: what is left out is gunicorn and the network.  For the API's
first page, a replies page and a post it prints the mean time per request without the
profiler, then, with it, the time spent inside a few layers (inclusive: a layer's SQL counts
in the layer and in "SQLite"), and the functions with the most self time.  cProfile slows
Python code more than C code, so shares are indicative; the unprofiled mean is the real cost.

Prints one JSON line at the end (after the human-readable part).
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

import django

REPO_ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("DATABASE_URL"):
    sys.exit("discussions_profile: set DATABASE_URL to the benchmark database (it is never the default one).")
sys.path[0] = str(REPO_ROOT)  # not bench/: bench/discussions.py would shadow the discussions app
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from api.models import ApiToken  # noqa: E402
from discussions.models import Comment  # noqa: E402

REQUESTS = 40
POSTER = "bench-poster"
# (label, file suffix, function name): cumulative time inside each, per request.
LAYERS = [
    ("whole request (test client)", "django/test/client.py", "request"),
    (
        "rate limiter hits (cache: read limit for GETs, write limit for posts)",
        "agora/ratelimit.py",
        "hit",
    ),
    ("bearer token lookup + write limiter", "api/auth.py", "__call__"),
    ("view: find the thread", "api/views.py", "thread_by_id"),
    ("selector: thread_page", "discussions/selectors.py", "thread_page"),
    ("selector: replies_page", "discussions/selectors.py", "replies_page"),
    ("posting: post_comment (load, check, decide, write)", "posting/actions.py", "post_comment"),
    ("posting: load the context (author, thread state)", "moderation/context.py", "load"),
    ("after commit: page-cache bumps, effects queued", "posting/tasks.py", "_committed"),
    ("after commit: events (page-cache bump)", "discussions/events.py", "comment_published"),
    ("moderation: admit (bans, rate limits)", "moderation/pipeline.py", "admit"),
    ("moderation: screen (rules, repeats, trust, classifier)", "moderation/pipeline.py", "screen"),
    ("moderation: record the decision, trust", "moderation/pipeline.py", "record"),
    ("serializers (dicts, reverse, absolute URLs)", "api/serializers.py", "thread_page"),
    ("serializers (dicts, reverse, absolute URLs)", "api/serializers.py", "comment"),
    ("ninja: validate output + render JSON", "ninja/operation.py", "_result_to_response"),
    ("ninja: parse input", "ninja/operation.py", "_get_values"),
    ("django ORM: compile SQL", "django/db/models/sql/compiler.py", "as_sql"),
    ("django ORM: rows to model instances", "django/db/models/base.py", "from_db"),
    ("new DB connection per request (connect + PRAGMAs)", "sqlite3/base.py", "get_new_connection"),
    ("SQLite: statements and rows, in C", "~", "SQLiteCursorWrapper.execute"),
    ("SQLite: statements and rows, in C", "~", "of 'sqlite3.Cursor' objects>"),
]


def closing(call):
    """The call, then the database connection closed where the server would close it too
    (CONN_MAX_AGE=0: a connection per request); the test client keeps it open, which would hide
    the connect and PRAGMAs.  With persistent connections (the default) the call as it is."""
    if connections["default"].settings_dict["CONN_MAX_AGE"]:
        return call

    def wrapped():
        call()
        connections.close_all()

    return wrapped


def mean_ms(call, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) / n * 1000


def layer_times(stats: pstats.Stats, n: int) -> dict[str, float]:
    """ms per request inside each layer (inclusive); a layer is a file suffix and a function name
    (for C functions, file "~", a part of the name cProfile gives them)."""
    out: dict[str, float] = {}
    for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items():
        for label, suffix, name in LAYERS:
            if filename.endswith(suffix) and (function == name or (filename == "~" and name in function)):
                out[label] = out.get(label, 0.0) + cumulative * 1000 / n
    return {label: round(ms, 2) for label, ms in out.items() if ms >= 0.01}


def top_self(stats: pstats.Stats, n: int, count: int = 12) -> list[tuple[str, float]]:
    """The functions with the most self time, ms per request."""
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:count]
    return [
        (f"{_short(filename)}:{function}", round(own * 1000 / n, 2))
        for (filename, _, function), (_, _, own, _, _) in rows
    ]


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(REPO_ROOT) + "/", "python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def statements(call) -> int:
    """SQL statements one request sends (savepoints included: each is a round trip too)."""
    with CaptureQueriesContext(connections["default"]) as queries:
        call()
    return len(queries.captured_queries)


def profile(name: str, call, n: int = REQUESTS) -> dict:
    call()  # warm: imports, URL resolver, first connection
    sql = statements(call)
    plain = mean_ms(call, n)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    return {
        "endpoint": name,
        "mean_ms": round(plain, 2),
        "statements": sql,
        "layers_ms": layer_times(stats, n),
        "top_self_ms": top_self(stats, n),
    }


def checked(response, status: int):
    if response.status_code != status:
        raise SystemExit(
            f"discussions_profile: {response.status_code} instead of {status}: {response.content[:300]!r}"
        )
    return response


def endpoints(thread_id: int) -> list[tuple[str, object]]:
    """The three requests the benchmark leans on, as calls that check their status."""
    client = Client(HTTP_HOST="127.0.0.1")
    root = Comment.objects.filter(thread_id=thread_id, depth=0).order_by("-reply_count").first()
    poster = ApiToken.objects.select_related("user").filter(user__username=POSTER).first().user
    _, key = ApiToken.issue(poster, name="bench/discussions_profile.py")
    first_page = f"/api/v1/threads/{thread_id}/comments"
    replies = f"/api/v1/comments/{root.pk}/replies"

    def post():
        number = time.time_ns()  # a unique text too: moderation holds or rejects repeated ones
        body = {
            "body": f"Profiled comment {number}: the report's numbers do not add up.",
            "client_key": f"profile-{number}",
        }
        response = client.post(
            first_page, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
        checked(response, 201)

    return [
        ("GET " + first_page + " (first page)", lambda: checked(client.get(first_page), 200)),
        (f"GET {replies} (the root with most replies)", lambda: checked(client.get(replies), 200)),
        ("POST " + first_page, post),
    ]


def print_profile(result: dict) -> None:
    print(
        f"\n{result['endpoint']}: {result['mean_ms']:.2f} ms per request unprofiled, in-process, "
        f"{result['statements']} SQL statements"
    )
    for label, ms in sorted(result["layers_ms"].items(), key=lambda item: -item[1]):
        print(f"  {ms:>8.2f} ms  {label}")
    print("  most self time (profiled):")
    for function, ms in result["top_self_ms"]:
        print(f"  {ms:>8.2f} ms  {function}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--thread-id", type=int, required=True)
    args = parser.parse_args()
    results = [profile(name, closing(call)) for name, call in endpoints(args.thread_id)]
    for result in results:
        print_profile(result)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
