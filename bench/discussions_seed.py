"""Seed Agora's side of bench/discussions.py: one article, its thread, the corpus, a poster with a token.

Run by bench/discussions.py with the benchmark's DATABASE_URL, on a freshly migrated database:

    DATABASE_URL=sqlite:///var/bench/try.sqlite3 .venv/bin/python bench/discussions_seed.py \\
        --comments var/bench/try-comments.json

Every comment goes through discussions.actions.post_comment (the product's own path: the
checks, rendering, reply paths and counts), one call per comment, in corpus order.  Authors
are readers with a confirmed email in the "Commenters" group, as discussions/tests/conftest.py
makes them.  The poster of the load test gets a bearer token from `manage.py create_api_token`.

Prints one JSON line at the end: thread id, article path, the token, counts and seconds.
"""

import argparse
import io
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import django

REPO_ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("DATABASE_URL"):
    sys.exit("discussions_seed: set DATABASE_URL to the benchmark database (it is never the default one).")
# The repository first: this script's own folder holds bench/discussions.py, which would shadow the app.
sys.path[0] = str(REPO_ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.roles import COMMENTERS  # noqa: E402
from articles.models import Article  # noqa: E402
from articles.services import ArticleData, BlockData, upsert_article  # noqa: E402
from discussions import services  # noqa: E402
from discussions.models import Comment  # noqa: E402
from posting import actions  # noqa: E402

POSTER = "bench-poster"
PARAGRAPH = (
    "Negotiators met at the harbour office on Monday and talked through the night about shifts, "
    "pay and the new terminal. Both sides said the mood had improved since the spring."
)


def make_article() -> Article:
    """One published article, stored the way an editor's would be."""
    data = ArticleData(
        headline="Harbour talks resume after a long night",
        standfirst="Port workers and the authority are back at the table.",
        byline="Ada Reporter",
        section_slug="world",
        topics=["Diplomacy"],
        blocks=[BlockData("paragraph", PARAGRAPH), BlockData("subhead", "Next steps")]
        + [BlockData("paragraph", PARAGRAPH) for _ in range(4)],
        published_at=timezone.now() - timedelta(hours=1),
        status=Article.Status.PUBLISHED,
    )
    article, _ = upsert_article(data)
    return article


def make_users(names: list[str]) -> dict:
    """Readers allowed to post: confirmed email, "Commenters" group, no usable password, established."""
    group = Group.objects.get(name=COMMENTERS)
    users = {}
    for name in dict.fromkeys(names):
        user = get_user_model().objects.create_user(
            name, email=f"{name}@example.org", password=None, email_verified_at=timezone.now()
        )
        user.groups.add(group)
        establish(user)
        users[name] = user
    return users


def establish(user) -> None:
    """A regular reader, past moderation's pre-moderation of new accounts (where the tree has it).

    moderation.trust holds every comment of an account with fewer than MODERATION_PREMODERATE_FIRST
    approved ones; a 500-comment thread is written by readers with a history, so each gets that
    many approvals, through the product's own function: the "member" level, not "trusted".
    """
    try:
        from moderation import conf, trust
    except ImportError:  # a tree without the moderation pipeline
        return
    for _ in range(int(conf.get("MODERATION_PREMODERATE_FIRST"))):
        trust.credit_approved(user)


def post_all(corpus: list[dict], thread, users: dict) -> list[Comment]:
    """Each comment through post_comment, replies to the comment the corpus names."""
    posted: list[Comment] = []
    for item in corpus:
        parent = posted[item["parent"]] if item["parent"] is not None else None
        comment = actions.post_comment(users[item["author"]], thread, item["text"], parent)
        if comment.status != Comment.Status.PUBLISHED:
            why = getattr(getattr(comment, "moderation", None), "reason", "no reason recorded")
            sys.exit(f"discussions_seed: comment {len(posted) + 1} was stored {comment.status}: {why}")
        posted.append(comment)
    return posted


def issue_token(username: str) -> str:
    """A bearer key from the product's own command (it prints the key on stdout)."""
    out = io.StringIO()
    call_command("create_api_token", username, name="bench/discussions.py", stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def seed(corpus: list[dict]) -> dict:
    started = time.monotonic()
    article = make_article()
    thread = services.thread_for_article(article)
    users = make_users([item["author"] for item in corpus] + [POSTER])
    posting = time.monotonic()
    posted = post_all(corpus, thread, users)
    finished = time.monotonic()
    thread.refresh_from_db()
    return {
        "thread_id": thread.pk,
        "article_path": article.get_absolute_url(),
        "comments": len(posted),
        "comment_count": thread.comment_count,
        "roots": sum(1 for c in posted if c.depth == 0),
        "token": issue_token(POSTER),
        "poster": POSTER,
        "post_seconds": round(finished - posting, 2),
        "seconds": round(time.monotonic() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--comments", type=Path, required=True, help="the corpus (JSON list)")
    args = parser.parse_args()
    if Comment.objects.exists():
        sys.exit("discussions_seed: the database already holds comments; seed a fresh one.")
    print(json.dumps(seed(json.loads(args.comments.read_text()))))


if __name__ == "__main__":
    main()
