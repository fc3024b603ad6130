"""Editors' controls for commenting status: the site and every section on one page, and one article's.

Plain forms (no JavaScript), CSRF-protected, for editors, moderators and superusers only;
every change goes through moderation.commenting.set_commenting_status (audit log, page cache).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from articles.models import Article, Section
from discussions import commenting
from discussions.models import CommentingPolicy, Thread
from moderation.commenting import set_commenting_status
from moderation.models import AuditEntry

Status = CommentingPolicy.Status
Scope = CommentingPolicy.Scope
SCOPE_MODELS: dict[str, type[models.Model]] = {
    Scope.SECTION: Section,
    Scope.ARTICLE: Article,
    Scope.THREAD: Thread,
}


class CommentingForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices, initial=Status.OPEN)
    notice = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to readers with the status. Required when suspending: it replaces the comment box.",
    )
    slow_mode_minutes = forms.IntegerField(
        label="Slow mode: minutes between a reader's comments",
        required=False,
        min_value=1,
        max_value=commenting.MAX_SLOW_MODE_MINUTES,
    )
    auto_close_days = forms.IntegerField(
        label="Close automatically this many days after publication",
        required=False,
        min_value=1,
        max_value=commenting.MAX_AUTO_CLOSE_DAYS,
        help_text="Blank: never. The shortest of site, section and article applies.",
    )
    reason = forms.CharField(
        label="Reason (audit log only)", required=False, max_length=500, widget=forms.TextInput()
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if not self.errors:
            commenting.add_settings_errors(self, data)
        return data


def _initial(policy: CommentingPolicy | None) -> dict:
    return commenting.snapshot(policy) if policy is not None else {}


def _form(request: HttpRequest, policy: CommentingPolicy | None, prefix: str) -> CommentingForm:
    data = request.POST if request.method == "POST" else None
    return CommentingForm(data, initial=_initial(policy), prefix=prefix)


def _save(request: HttpRequest, form: CommentingForm, target: models.Model | None) -> None:
    set_commenting_status(request.user, target, **form.cleaned_data)
    where = "site-wide" if target is None else f"for {target}"
    messages.success(request, f"Commenting {where} is now: {form.cleaned_data['status']}.")


def _require_editor(request: HttpRequest) -> None:
    if not commenting.can_set_commenting(request.user):
        raise commenting.CommentingPermissionDenied(
            "Only editors and moderators can change the commenting status."
        )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def control_panel(request: HttpRequest) -> HttpResponse:
    """Site-wide status, and each section's, with the articles that have their own."""
    _require_editor(request)
    site_policy = commenting.policy_for(None)
    site_form = _form(request, site_policy, "site")
    if request.method == "POST" and site_form.is_valid():
        _save(request, site_form, None)
        return redirect("commenting:panel")
    by_section = {
        p.section_id: p for p in CommentingPolicy.objects.filter(scope=Scope.SECTION).select_related("set_by")
    }
    # Each section's form posts to the section's own URL (control_scope), with the same prefix.
    sections = [
        (
            s,
            by_section.get(s.pk),
            CommentingForm(initial=_initial(by_section.get(s.pk)), prefix=f"section-{s.pk}"),
        )
        for s in Section.objects.all()
    ]
    articles = (
        CommentingPolicy.objects.filter(scope__in=[Scope.ARTICLE, Scope.THREAD])
        .exclude(status=Status.OPEN, auto_close_days__isnull=True)
        .select_related("article", "thread", "set_by")
        .order_by("-set_at")[:50]
    )
    legacy_closed = Article.objects.filter(comment_policy=Article.CommentPolicy.CLOSED).exclude(
        pk__in=CommentingPolicy.objects.filter(scope=Scope.ARTICLE).values("article_id")
    )[:50]
    context = {
        "site_policy": site_policy,
        "site_form": site_form,
        "sections": sections,
        "articles": articles,
        "legacy_closed": legacy_closed,
        "recent": AuditEntry.objects.filter(action=commenting.AUDIT_ACTION)[:20],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "discussions/commenting_panel.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def control_scope(request: HttpRequest, scope: str, pk: int) -> HttpResponse:
    """One section's, article's or embedded thread's status, with what it inherits."""
    _require_editor(request)
    model = SCOPE_MODELS.get(scope)
    if model is None:
        raise Http404("No such commenting level.")
    target = get_object_or_404(model, pk=pk)
    if isinstance(target, Thread) and target.article_id:
        return redirect("commenting:scope", Scope.ARTICLE, target.article_id)
    policy = commenting.policy_for(target)
    form = _form(request, policy, f"{scope}-{pk}")
    if request.method == "POST" and form.is_valid():
        _save(request, form, target)
        return redirect(_next_url(request, target))
    thread = _thread_of(target)
    context = {
        "scope": scope,
        "target": target,
        "policy": policy,
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "state": commenting.effective_status(thread) if thread is not None else None,
        "levels": commenting.policies_for(thread) if thread is not None else [policy] if policy else [],
        "legacy_closed": isinstance(target, Article)
        and target.comment_policy == Article.CommentPolicy.CLOSED,
        "recent": AuditEntry.objects.filter(
            action=commenting.AUDIT_ACTION, target_type=target._meta.label_lower, target_id=str(target.pk)
        )[:10],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "discussions/commenting_scope.html", context, status=status)


def _thread_of(target: models.Model) -> Thread | None:
    """The thread whose effective state the page explains (unsaved for an article without one yet)."""
    if isinstance(target, Thread):
        return target
    if isinstance(target, Article):
        thread = Thread.objects.filter(article=target).first() or Thread(article=target)
        thread.article = target
        return thread
    return None


def _next_url(request: HttpRequest, target: models.Model) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    if isinstance(target, Article):
        return target.get_absolute_url() + "#discussion"
    if isinstance(target, Thread):
        return target.get_absolute_url()
    return reverse("commenting:panel")
