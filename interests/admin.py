"""Topics in the admin: editors add, rename, retype, alias and merge them (a merge keeps followers).

Topic is the newsroom's model, administered here because renaming and merging move readers'
follows, which the interests layer owns, and are written to the audit log.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from articles.models import Topic, TopicAlias
from articles.topics.aliases import alias_key
from interests import services


class TopicAliasInline(admin.TabularInline):
    model = TopicAlias
    extra = 1
    fields = ["name"]
    verbose_name = "alias"
    verbose_name_plural = "Aliases (other names extraction files under this topic, e.g. “Erdogan”, “EU”)"


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "kind"]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        key = alias_key(name)
        if not key:
            raise forms.ValidationError("A topic's name needs letters or digits.")
        clash = Topic.objects.filter(slug=key).exclude(pk=self.instance.pk).first()
        if clash is not None:
            raise forms.ValidationError(
                f"“{clash}” already has this name (or one spelt like it): merge instead."
            )
        alias = (
            TopicAlias.objects.filter(key=key).exclude(topic=self.instance.pk).select_related("topic").first()
        )
        if alias is not None:
            raise forms.ValidationError(f"“{name}” is an alias of “{alias.topic}”.")
        return name


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Topic.objects.none(), widget=forms.RadioSelect, label="Keep this topic", empty_label=None
    )


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicForm
    list_display = ["name", "kind", "article_count", "followers", "merged_into"]
    list_filter = ["kind", ("merged_into", admin.EmptyFieldListFilter)]
    search_fields = ["name", "aliases__name"]
    readonly_fields = ["slug", "article_count", "merged_into"]
    inlines = [TopicAliasInline]
    actions = ["merge_topics"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return (
            super()
            .get_queryset(request)
            .select_related("merged_into")
            .annotate(follower_count=Count("follows"))
        )

    @admin.display(description="followers", ordering="follower_count")
    def followers(self, topic: Topic) -> int:
        return topic.follower_count  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Topic, form: forms.ModelForm, change: bool) -> None:
        """A new name goes through the rename service: the old one stays an alias, and it is audited."""
        if not change:
            obj.slug = alias_key(obj.name)
            super().save_model(request, obj, form, change)
            return
        new_name = obj.name
        obj.name = form.initial["name"]
        super().save_model(request, obj, form, change)
        if "name" in form.changed_data:
            services.rename_topic(request.user, obj, new_name)  # type: ignore[arg-type]

    @admin.action(description="Merge the selected topics into one of them…", permissions=["change"])
    def merge_topics(self, request: HttpRequest, queryset: QuerySet[Topic]) -> HttpResponse | None:
        candidates = queryset.filter(merged_into=None)
        if candidates.count() < 2:
            self.message_user(
                request, "Select at least two topics (not already merged) to merge.", messages.ERROR
            )
            return None
        form = MergeForm(request.POST if "apply" in request.POST else None)
        form.fields["target"].queryset = candidates  # type: ignore[attr-defined]
        if form.is_valid():
            target = form.cleaned_data["target"]
            moved = services.merge_topics(request.user, list(candidates.exclude(pk=target.pk)), target)  # type: ignore[arg-type]
            self.message_user(
                request,
                f"Merged into “{target}”; {moved} follower{'s' if moved != 1 else ''} moved.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge topics",
            "topics": candidates,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return render(request, "interests/admin/merge_topics.html", context)
