import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_articles(apps, schema_editor):
    Topic = apps.get_model("articles", "Topic")
    ArticleTopic = apps.get_model("articles", "ArticleTopic")
    published = (
        ArticleTopic.objects.filter(topic=OuterRef("pk"), article__status="published")
        .values("topic")
        .annotate(n=Count("id"))
        .values("n")
    )
    Topic.objects.update(article_count=Coalesce(Subquery(published), 0))


class Migration(migrations.Migration):
    """Typed topics with aliases and merges; the article-topic link gains salience and origin (same
    table as the plain many-to-many it replaces); editors' exclusions; stored related articles; a
    pinned home page lead."""

    dependencies = [("articles", "0002_topic_link_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ArticleTopic",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="articles.article")),
                        ("topic", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="articles.topic")),
                    ],
                    options={"db_table": "articles_article_topics", "unique_together": {("article", "topic")}},
                ),
                migrations.AlterField(
                    model_name="article",
                    name="topics",
                    field=models.ManyToManyField(blank=True, related_name="articles", through="articles.ArticleTopic", to="articles.topic"),
                ),
            ],
        ),
        migrations.AddField(
            model_name="articletopic",
            name="salience",
            field=models.FloatField(default=1.0, help_text="0-1: how central the topic is to the article (1: the most salient)."),
        ),
        migrations.AddField(
            model_name="articletopic",
            name="origin",
            field=models.CharField(choices=[("extracted", "Extracted from the text"), ("editor", "Chosen by an editor or the source")], default="editor", max_length=10),
        ),
        migrations.AddField(
            model_name="topic",
            name="kind",
            field=models.CharField(choices=[("person", "Person"), ("place", "Place"), ("organisation", "Organisation"), ("subject", "Subject")], default="subject", max_length=12),
        ),
        migrations.AddField(
            model_name="topic",
            name="merged_into",
            field=models.ForeignKey(blank=True, editable=False, help_text="Set by a merge: this topic's articles, aliases and followers moved there.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="merged_topics", to="articles.topic"),
        ),
        migrations.AddField(
            model_name="topic",
            name="article_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="topic",
            index=models.Index(fields=["kind", "-article_count"], name="topic_kind_count_idx"),
        ),
        migrations.AddField(
            model_name="article",
            name="lead_pinned_until",
            field=models.DateTimeField(blank=True, help_text="Leads the home page until then (of several, the one pinned until the latest time); blank: the newest story leads.", null=True, verbose_name="pinned as the home page lead until"),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["-lead_pinned_until"], name="article_pinned_lead_idx"),
        ),
        migrations.CreateModel(
            name="TopicAlias",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=120)),
                ("key", models.CharField(editable=False, max_length=80, unique=True)),
                ("topic", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="aliases", to="articles.topic")),
            ],
            options={"verbose_name_plural": "topic aliases"},
        ),
        migrations.CreateModel(
            name="TopicExclusion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="topic_exclusions", to="articles.article")),
                ("topic", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="articles.topic")),
            ],
            options={"constraints": [models.UniqueConstraint(fields=("article", "topic"), name="topic_exclusion_unique")]},
        ),
        migrations.CreateModel(
            name="RelatedArticle",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("score", models.FloatField(help_text="Shared topics weighted by salience, plus a bonus for the same section.")),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="related_links", to="articles.article")),
                ("related", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="related_from", to="articles.article")),
            ],
            options={
                "indexes": [models.Index(fields=["article", "-score"], name="related_article_score_idx")],
                "constraints": [models.UniqueConstraint(fields=("article", "related"), name="related_article_unique")],
            },
        ),
        migrations.RunPython(count_articles, migrations.RunPython.noop),
    ]
