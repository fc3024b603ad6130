"""The moderators' old messages (moderation.Notification) move into notifications: every row is kept."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("moderation", "0004_heat_guard"), ("notifications", "0001_initial")]
AFTER = [("moderation", "0005_notifications_moved"), ("notifications", "0002_moderation_notifications")]


@pytest.mark.django_db(transaction=True)
def test_every_old_message_is_kept_and_read_state_too(alice, bob):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    Old = old_apps.get_model("moderation", "Notification")
    read_at = timezone.now()
    Old.objects.create(user_id=alice.pk, kind="rejected", message="Your comment was not published: spam")
    Old.objects.create(
        user_id=bob.pk, kind="heat", message="“Story” switched itself to slow mode", read_at=read_at
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    New = executor.loader.project_state(AFTER).apps.get_model("notifications", "Notification")
    moved = {n.recipient_id: n for n in New.objects.all()}
    assert moved[alice.pk].kind == "moderation" and moved[alice.pk].text.endswith("spam")
    assert moved[alice.pk].read_at is None and moved[alice.pk].email_schedule == ""  # not emailed again
    assert moved[bob.pk].kind == "heat" and moved[bob.pk].read_at == read_at

    executor = MigrationExecutor(connection)  # and back: nothing lost that way either
    executor.loader.build_graph()
    executor.migrate(BEFORE)
    Old = executor.loader.project_state(BEFORE).apps.get_model("moderation", "Notification")
    assert sorted(Old.objects.values_list("kind", flat=True)) == ["heat", "rejected"]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
