"""reply_count now counts the published replies below every comment in the reading tree, not only below
roots, so a comment awaiting review or removed can be shown as a placeholder exactly when it holds
published replies.  Replies' counts are computed from their paths (roots' are unchanged)."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Concat


def count_replies_below_replies(apps, schema_editor):
    Comment = apps.get_model("discussions", "Comment")
    below = (
        Comment.objects.filter(
            root_id=OuterRef("root_id"),
            status="published",
            path__startswith=Concat(OuterRef("path"), Value(".")),
        )
        .order_by()
        .values("root_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    Comment.objects.filter(depth__gte=1).update(reply_count=Coalesce(Subquery(below), 0))


class Migration(migrations.Migration):
    dependencies = [("discussions", "0003_nudge")]

    operations = [
        migrations.AlterField(
            model_name="comment",
            name="reply_count",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Published replies below this comment in the reading tree (for a root: all its replies).",
            ),
        ),
        migrations.RunPython(count_replies_below_replies, migrations.RunPython.noop),
    ]
