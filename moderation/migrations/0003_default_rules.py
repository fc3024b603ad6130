"""A short starting list of rules; moderators edit it in the admin.

Kept to plain insults and incitement to self-harm: no slurs are shipped in the code base.
Re-running (or migrating back and forth) never duplicates or overwrites a moderator's edits.
"""

from django.db import migrations

BANNED = ["kill yourself", "kill urself", "kys"]
SUSPECT = ["idiot*", "moron*", "imbecile*", "cretin*", "scumbag*"]


def seed(apps, schema_editor):
    Rule = apps.get_model("moderation", "ModerationRule")
    for kind, phrases in (("banned", BANNED), ("suspect", SUSPECT)):
        for phrase in phrases:
            Rule.objects.get_or_create(phrase=phrase, defaults={"kind": kind, "note": "Default list"})


def unseed(apps, schema_editor):
    Rule = apps.get_model("moderation", "ModerationRule")
    Rule.objects.filter(phrase__in=BANNED + SUSPECT, note="Default list").delete()


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_moderation_pipeline")]

    operations = [migrations.RunPython(seed, unseed)]
