"""The database side of bench/storm.py, run with the storm's DATABASE_URL (Django set up here).

    storm_db.py seed RUN CLIENTS   one article and its thread, CLIENTS established readers with a
                                   bearer token each; prints {"thread_id": ..., "tokens": [...]}
    storm_db.py count RUN          the run's stored comments: {"stored": N, "keys": [...], "duplicated": N}

Readers are named after RUN, so a storm can run on a database that already holds data (PostgreSQL)
and counts only its own comments.
"""

import json
import sys

import discussions_seed  # sets Django up on DATABASE_URL (and refuses to run without it)
from django.db.models import Count

from api.models import ApiToken
from discussions import services
from discussions.models import Comment


def seed(run: str, clients: int) -> dict:
    thread = services.thread_for_article(discussions_seed.make_article())
    users = discussions_seed.make_users([f"storm-{run}-{i}" for i in range(clients)])
    tokens = [ApiToken.issue(user, "bench/storm.py")[1] for user in users.values()]
    return {"thread_id": thread.pk, "tokens": tokens}


def count(run: str) -> dict:
    mine = Comment.objects.filter(author__username__startswith=f"storm-{run}-")
    keys = list(mine.values_list("client_key", flat=True))
    repeated_bodies = mine.values("author", "body").annotate(n=Count("id")).filter(n__gt=1)
    return {
        "stored": len(keys),
        "keys": keys,
        "duplicated": (len(keys) - len(set(keys))) + sum(row["n"] - 1 for row in repeated_bodies),
    }


if __name__ == "__main__":
    command, run = sys.argv[1], sys.argv[2]
    print(json.dumps(seed(run, int(sys.argv[3])) if command == "seed" else count(run)))
