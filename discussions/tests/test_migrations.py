"""Data migrations, run forwards on rows written under the earlier schema."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("discussions", "0003_nudge")]
AFTER = [("discussions", "0004_reply_count_of_every_comment")]


@pytest.mark.django_db(transaction=True)
def test_replies_get_the_count_of_published_replies_below_them():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Thread, Comment = apps.get_model("discussions", "Thread"), apps.get_model("discussions", "Comment")
    thread = Thread.objects.create(url="https://example.org/story", title="A story")

    def add(parent=None, status="published"):
        comment = Comment.objects.create(
            thread=thread,
            parent=parent,
            root=(parent.root or parent) if parent else None,
            depth=parent.depth + 1 if parent else 0,
            body="x",
            body_html="<p>x</p>",
            status=status,
        )
        if parent is not None:
            segment = f"{comment.pk:010d}"
            comment.path = segment if parent.depth == 0 else f"{parent.path}.{segment}"
            comment.save()
        return comment

    root = add()
    middle = add(root, status="held")
    add(add(middle), status="published")  # two published below the held one
    add(middle, status="rejected")  # not counted
    quiet = add(root)
    Comment.objects.filter(pk=root.pk).update(reply_count=3)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    counts = dict(apps.get_model("discussions", "Comment").objects.values_list("pk", "reply_count"))
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the whole schema, for the next tests
    assert counts[root.pk] == 3  # roots keep theirs
    assert counts[middle.pk] == 2
    assert counts[quiet.pk] == 0
