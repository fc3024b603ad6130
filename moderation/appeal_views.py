"""Readers' side of appeals: the form a rejection or suspension notice links to.  No JavaScript.

Only the reader the decision was about may see it (anyone else gets a 404, which says nothing about
whose decision it is).  Once appealed, the page shows the appeal and its outcome instead of the form.
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from discussions.errors import CommentError
from moderation import appeals, notices
from moderation.models import Appeal, Ban, ModerationDecision

SENT = (
    "Your appeal is sent. A moderator other than the one who decided first will look at it, "
    "and you will be told the outcome."
)


class AppealForm(forms.Form):
    statement = forms.CharField(
        label="Why should the decision change?",
        max_length=appeals.MAX_STATEMENT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"A short statement, at most {appeals.MAX_STATEMENT:,} characters. You can appeal once.",
        error_messages={"required": "Say in a few words why the decision should change."},
    )


def _page(
    request: HttpRequest,
    context: dict,
    existing: Appeal | None,
    refusal: str,
    send: Callable[[str], Appeal],
) -> HttpResponse:
    form = AppealForm(request.POST or None)
    status = 200
    if request.method == "POST" and existing is None and not refusal:
        status = 400
        if form.is_valid():
            try:
                send(form.cleaned_data["statement"])
            except CommentError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                messages.success(request, SENT)
                return redirect(request.path)
    elif request.method == "POST":
        status = 409
    context |= {"form": form, "appeal": existing, "refusal": refusal}
    return render(request, "moderation/appeal.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def appeal_decision(request: HttpRequest, decision_id: int) -> HttpResponse:
    """Appeal the decision that rejected or removed one of the reader's comments."""
    decision = get_object_or_404(
        ModerationDecision.objects.select_related("comment__thread__article"),
        pk=decision_id,
        author_id=request.user.pk,
    )
    existing = Appeal.objects.filter(decision=decision).first()
    refusal = "" if existing else appeals.decision_refusal(decision)
    context = {
        "decision": decision,
        "comment": decision.comment,
        "why": notices.statement_of_reasons(decision),
    }
    return _page(
        request,
        context,
        existing,
        refusal,
        lambda text: appeals.appeal_decision(request.user, decision, text),
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal_ban(request: HttpRequest, ban_id: int) -> HttpResponse:
    """Appeal the reader's suspension or ban."""
    ban = get_object_or_404(Ban, pk=ban_id, user_id=request.user.pk)
    existing = Appeal.objects.filter(ban=ban).first()
    refusal = "" if existing else appeals.ban_refusal(ban)
    return _page(
        request, {"ban": ban}, existing, refusal, lambda text: appeals.appeal_ban(request.user, ban, text)
    )
