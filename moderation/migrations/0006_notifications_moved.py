"""The moderators' messages moved to the notifications app (notifications 0002 copied every row)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0005_ban_outlives_erasure"),
        ("notifications", "0002_moderation_notifications"),
    ]

    operations = [migrations.DeleteModel(name="Notification")]
