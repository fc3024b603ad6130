"""Readers' side of moderation: reporting a comment and reading the moderators' messages.  No JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from discussions.errors import CommentError
from discussions.models import Comment
from moderation import services
from moderation.forms import ReportForm


def _comment_url(comment: Comment) -> str:
    return reverse("discussions:permalink", args=[comment.pk]) + f"#c{comment.pk}"


@login_required
def report(
    request: HttpRequest, comment_id: int, template_name: str = "moderation/report.html"
) -> HttpResponse:
    """The report form; the embed shows it in its iframe with its own `template_name` (embed.views)."""
    comment = get_object_or_404(Comment.objects.select_related("thread__article", "author"), pk=comment_id)
    if not comment.is_public:
        raise Http404("This comment is not available.")
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.report(request.user, comment, form.cleaned_data["reason"], form.cleaned_data["note"])
            except CommentError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                messages.success(request, "Thank you — the moderators will look at this comment.")
                return redirect(
                    _comment_url(comment) if comment.is_public else comment.thread.get_absolute_url()
                )
    return render(request, template_name, {"comment": comment, "form": form}, status=status)


def notifications(request: HttpRequest) -> HttpResponse:
    """The moderators' messages now live with every other notification."""
    return redirect("notifications:list", permanent=True)
