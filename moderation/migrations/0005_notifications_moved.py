"""The moderators' messages moved to the notifications app (notifications 0002 copied every row)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0004_heat_guard"),
        ("notifications", "0002_moderation_notifications"),
    ]

    operations = [migrations.DeleteModel(name="Notification")]
