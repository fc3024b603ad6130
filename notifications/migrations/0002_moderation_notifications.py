"""Bring the moderators' messages (moderation.Notification) into the one notifications system.

Every row is kept: its reader, words, comment, time and read state.  Heat-guard alerts become the
`heat` kind; the rest `moderation`, their old kind kept in the key.  Nothing old is emailed again.
"""

from django.db import migrations

OLD_KINDS_TO_HEAT = {"heat"}


def copy_rows(apps, schema_editor):
    Old = apps.get_model("moderation", "Notification")
    New = apps.get_model("notifications", "Notification")
    rows = [
        New(
            recipient_id=old.user_id,
            kind="heat" if old.kind in OLD_KINDS_TO_HEAT else "moderation",
            key=f"moderation:{old.kind}:legacy-{old.pk}",
            comment_id=old.comment_id,
            text=old.message,
            created_at=old.created_at,
            updated_at=old.created_at,
            read_at=old.read_at,
        )
        for old in Old.objects.order_by("pk").iterator()
    ]
    New.objects.bulk_create(rows, batch_size=500)


def copy_back(apps, schema_editor):
    Old = apps.get_model("moderation", "Notification")
    New = apps.get_model("notifications", "Notification")
    moved = New.objects.filter(key__startswith="moderation:", key__contains=":legacy-")
    Old.objects.bulk_create(
        [
            Old(
                user_id=new.recipient_id,
                kind=new.key.split(":")[1],
                message=new.text,
                comment_id=new.comment_id,
                created_at=new.created_at,
                read_at=new.read_at,
            )
            for new in moved
        ],
        batch_size=500,
    )
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("moderation", "0004_heat_guard"),
    ]

    operations = [migrations.RunPython(copy_rows, copy_back)]
