from django.db import migrations


class Migration(migrations.Migration):
    """Newest articles of a topic straight from an index (related articles, topic pages)."""

    dependencies = [("articles", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX articles_article_topics_topic_recent ON articles_article_topics (topic_id, article_id)",
            reverse_sql="DROP INDEX articles_article_topics_topic_recent",
        )
    ]
