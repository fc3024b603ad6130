from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from articles.models import Article, ArticleBlock, ArticleTopic, Section, TopicExclusion
from articles.services import editor_topics_changed, refresh_derived_fields


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


class ArticleBlockInline(admin.StackedInline):
    model = ArticleBlock
    extra = 1
    fields = [("position", "kind"), "text", ("image", "image_url"), "alt_text", "caption", "credit"]


# Topic's own admin (merge, rename, aliases) is interests.admin: a merge moves followers too.
class ArticleTopicInline(admin.TabularInline):
    model = ArticleTopic
    extra = 1
    autocomplete_fields = ["topic"]
    fields = ["topic", "origin", "salience"]
    readonly_fields = ["origin", "salience"]
    verbose_name = "topic"
    verbose_name_plural = (
        "Topics (extracted from the text when you save; one you delete stays off this article)"
    )


class TopicExclusionInline(admin.TabularInline):
    model = TopicExclusion
    extra = 0
    autocomplete_fields = ["topic"]
    verbose_name = "topic kept off this article"
    verbose_name_plural = "Topics kept off this article (delete one to let extraction add it again)"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "headline",
        "section",
        "status",
        "published_at",
        "source",
        "reading_minutes",
        "lead_pinned_until",
        "preview_link",
    ]
    list_filter = ["status", "section", "origin", "comment_policy"]
    list_select_related = ["section"]
    search_fields = ["headline", "standfirst", "byline"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    readonly_fields = ["word_count", "reading_minutes", "origin", "updated_at", "preview_link"]
    inlines = [ArticleBlockInline, ArticleTopicInline, TopicExclusionInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "byline", "source", "section"]}),
        (
            "Publication",
            {"fields": ["status", "published_at", "lead_pinned_until", "comment_policy", "preview_link"]},
        ),
        (
            "Provenance",
            {"fields": ["canonical_url", "feed_guid", "origin", "updated_at"], "classes": ["collapse"]},
        ),
        ("Reading", {"fields": ["word_count", "reading_minutes"]}),
    ]

    @admin.display(description="Preview")
    def preview_link(self, article: Article) -> str:
        if not article.pk:
            return "Save the article to preview it."
        url = reverse("articles:preview", args=[article.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">Preview as a reader sees it</a>', url)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:  # type: ignore[no-untyped-def]
        if formset.model is not ArticleTopic:
            super().save_formset(request, form, formset, change)
            return
        links = formset.save(commit=False)  # new and changed rows; what they replace counts as removed
        replaced = [f.initial["topic"] for f in formset.forms if f.instance.pk and "topic" in f.changed_data]
        editor_topics_changed(
            form.instance,
            added=[link.topic for link in links],
            removed_ids=[link.topic_id for link in formset.deleted_objects] + replaced,
        )

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:  # type: ignore[no-untyped-def]
        """The body and topics are saved after the article, so what derives from them is refreshed here."""
        super().save_related(request, form, formsets, change)
        refresh_derived_fields(form.instance)
