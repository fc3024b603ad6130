from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from articles.models import Article, ArticleBlock, Section, Topic
from articles.services import refresh_derived_fields


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ArticleBlockInline(admin.StackedInline):
    model = ArticleBlock
    extra = 1
    fields = [("position", "kind"), "text", ("image", "image_url"), "alt_text", "caption", "credit"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "headline",
        "section",
        "status",
        "published_at",
        "source",
        "reading_minutes",
        "preview_link",
    ]
    list_filter = ["status", "section", "origin", "comment_policy"]
    list_select_related = ["section"]
    search_fields = ["headline", "standfirst", "byline"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["topics"]
    readonly_fields = ["word_count", "reading_minutes", "origin", "updated_at", "preview_link"]
    inlines = [ArticleBlockInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "byline", "source", "section", "topics"]}),
        ("Publication", {"fields": ["status", "published_at", "comment_policy", "preview_link"]}),
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

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:  # type: ignore[no-untyped-def]
        """The body is saved after the article, so reading time and search text are refreshed here."""
        super().save_related(request, form, formsets, change)
        refresh_derived_fields(form.instance)
