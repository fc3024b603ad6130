"""Discussion pages and actions.  Every action works as a plain form post; htmx only enhances."""

import json
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.selectors import muted_ids
from agora.requests import HtmxRequest
from discussions import selectors, services
from discussions.events import thread_channel
from discussions.forms import CommentForm
from discussions.live import event_stream
from discussions.models import Comment, Thread
from moderation.nudge import Draft, NudgeRequired


def comment_url(comment: Comment) -> str:
    return reverse("discussions:permalink", args=[comment.pk]) + f"#c{comment.pk}"


def _public_comment(comment_id: int) -> Comment:
    comment = get_object_or_404(Comment.objects.select_related("thread__article", "author"), pk=comment_id)
    if not comment.is_public and not comment.is_tombstone:
        raise Http404("This comment is not public.")
    return comment


def thread_detail(request: HtmxRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.select_related("article"), pk=thread_id)
    if thread.article_id:
        return redirect(thread.get_absolute_url())
    return render(request, "discussions/thread_page.html", {"thread": thread})


def permalink(request: HtmxRequest, comment_id: int) -> HttpResponse:
    """The thread opened at one comment: its root, and the replies from it onwards."""
    comment = _public_comment(comment_id)
    root = comment.root or comment
    replies, cursor = selectors.replies_page(root, from_path=comment.path)
    context = {
        "thread": comment.thread,
        "target": comment,
        "node": selectors.ThreadNode(comment=root, replies=replies, replies_cursor=cursor),
        "has_earlier_replies": bool(replies) and replies[0].path != _first_reply_path(root),
        "reacted_ids": selectors.reacted_ids(request.user, [root.pk, *[r.pk for r in replies]]),
        "muted_ids": muted_ids(request.user),
        "state": services.commenting_state(comment.thread),
        "can_feature": request.user.has_perm("discussions.feature_comment"),
    }
    return render(request, "discussions/permalink.html", context)


def _first_reply_path(root: Comment) -> str:
    first = Comment.objects.filter(root=root).order_by("path").values_list("path", flat=True).first()
    return first or ""


def moderation_message(comment: Comment) -> tuple[int, str]:
    """The level and words telling an author why their comment is not public (yet)."""
    decision = getattr(comment, "moderation", None)  # absent when a retried post returns the first one
    if comment.status == Comment.Status.REJECTED:
        return messages.ERROR, decision.message if decision else "Your comment was not published."
    return messages.INFO, decision.message if decision else "Thanks — your comment is waiting for review."


def go_to(request: HtmxRequest, url: str) -> HttpResponse:
    """A redirect; to htmx (which would swap the next page into the form) a full navigation instead."""
    if not request.htmx:
        return redirect(url)
    response = HttpResponse()
    response["HX-Redirect"] = url
    current, target = urlsplit(request.htmx.current_url or ""), urlsplit(url)
    if (current.path, current.query) == (target.path, target.query):
        response["HX-Refresh"] = "true"  # only the #fragment changes: the browser would not reload by itself
    return response


def _after_posting(request: HtmxRequest, comment: Comment) -> HttpResponse:
    """Tell the author what moderation decided; a held or rejected comment has no public permalink."""
    if comment.is_public:
        messages.success(request, "Your comment is published.")
        return go_to(request, comment_url(comment))
    messages.add_message(request, *moderation_message(comment))
    return go_to(request, comment.thread.get_absolute_url())


def compose_draft(request: HtmxRequest, form: CommentForm) -> Draft:
    """The nudge a submitted compose form answers (its hidden id) and whether "Post anyway" was pressed."""
    return Draft(form.cleaned_data["nudge"], post_anyway=bool(request.POST.get("post_anyway")))


def nudged_form(request: HtmxRequest, nudged: NudgeRequired) -> CommentForm:
    """The draft back in its box for editing, carrying the warning's id for "Post anyway"."""
    data = request.POST.copy()
    data["nudge"] = str(nudged.nudge.pk)
    form = CommentForm(data)
    form.fields["body"].widget.attrs["autofocus"] = True
    return form


def _post_and_redirect(request: HtmxRequest, thread: Thread, parent: Comment | None) -> HttpResponse:
    form, nudge, status = CommentForm(request.POST), None, 400
    if form.is_valid():
        try:
            comment = services.post_comment(
                request.user,
                thread,
                form.cleaned_data["body"],
                parent,
                form.cleaned_data["client_key"] or None,
                draft=compose_draft(request, form),
            )
        except NudgeRequired as nudged:  # nothing posted: the form again, with the warning
            form, nudge, status = nudged_form(request, nudged), nudged, 200
        except services.CommentError as error:
            form.add_error("body", error.message)
            status = error.status
        else:
            return _after_posting(request, comment)
    return _compose(request, {"thread": thread, "parent": parent, "form": form, "nudge": nudge}, status)


def _compose(request: HtmxRequest, context: dict, status: int) -> HttpResponse:
    """The compose form again (a nudge, or a refusal): to htmx just the form, which swaps itself in place."""
    if request.htmx:
        return render(request, "discussions/_compose_form.html", context, status=status)
    context["state"] = services.commenting_state(context["thread"])
    return render(request, "discussions/compose.html", context, status=status)


@login_required
@require_POST
def post(request: HtmxRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.select_related("article"), pk=thread_id)
    parent_id = request.POST.get("parent")
    parent = None
    if parent_id:
        parent = Comment.objects.filter(pk=parent_id if parent_id.isdigit() else 0).first()
        if parent is None:
            form = CommentForm(request.POST)
            form.is_valid()
            form.add_error("body", "The comment you are replying to does not exist.")
            return _compose(request, {"thread": thread, "form": form}, status=404)
    return _post_and_redirect(request, thread, parent)


@login_required
def reply(request: HtmxRequest, comment_id: int) -> HttpResponse:
    parent = _public_comment(comment_id)
    if request.method == "POST":
        return _post_and_redirect(request, parent.thread, parent)
    form = CommentForm(initial={"parent": parent.pk})
    context = {
        "thread": parent.thread,
        "parent": parent,
        "form": form,
        "state": services.commenting_state(parent.thread),
    }
    template = "discussions/_compose_form.html" if request.htmx else "discussions/compose.html"
    return render(request, template, context)


def more_replies(request: HtmxRequest, comment_id: int) -> HttpResponse:
    root = _public_comment(comment_id)
    replies, cursor = selectors.replies_page(root, after_path=request.GET.get("after", ""))
    context = {
        "thread": root.thread,
        "node": selectors.ThreadNode(comment=root, replies=replies, replies_cursor=cursor),
        "reacted_ids": selectors.reacted_ids(request.user, [r.pk for r in replies]),
        "muted_ids": muted_ids(request.user),
        "state": services.commenting_state(root.thread),
    }
    if request.htmx:
        return render(request, "discussions/_replies.html", context)
    return render(request, "discussions/permalink.html", {**context, "target": root})


@login_required
def edit(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("thread__article"), pk=comment_id)
    if comment.author_id != request.user.pk:
        raise PermissionDenied("You can only edit your own comments.")
    form, nudge, status = submit_edit(request, comment)
    if form is None:
        return after_editing(request, comment, comment_url(comment), comment.thread.get_absolute_url())
    context = {"comment": comment, "form": form, "nudge": nudge}
    return render(request, "discussions/edit.html", context, status=status)


def submit_edit(
    request: HtmxRequest, comment: Comment
) -> tuple[CommentForm | None, NudgeRequired | None, int]:
    """The edit form's submission, for the site and the embed: (None, None, 200) once saved, else the
    form to show again, the nudge it answers (a wording that may break the guidelines), and a status."""
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    if request.method != "POST":
        return form, None, 200
    if not form.is_valid():
        return form, None, 400
    try:
        services.edit_comment(
            request.user, comment, form.cleaned_data["body"], draft=compose_draft(request, form)
        )
    except NudgeRequired as nudged:  # nothing saved: the new wording again, with the warning
        return nudged_form(request, nudged), nudged, 200
    except services.CommentError as error:
        form.add_error("body", error.message)
        return form, None, error.status
    return None, None, 200


def after_editing(request: HtmxRequest, comment: Comment, permalink: str, thread_url: str) -> HttpResponse:
    """Back to the comment; one the edit took out of view (held, rejected) has no public permalink."""
    if comment.is_public:
        messages.success(request, "Your comment is updated.")
        return redirect(permalink)
    messages.add_message(request, *moderation_message(comment))
    return redirect(thread_url)


@login_required
def delete(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("thread__article"), pk=comment_id)
    if comment.author_id != request.user.pk:
        raise PermissionDenied("You can only delete your own comments.")
    if request.method == "POST":
        services.delete_own_comment(request.user, comment)
        messages.success(request, "Your comment is deleted. Replies to it stay in the thread.")
        return redirect(comment.thread.get_absolute_url())
    return render(request, "discussions/delete.html", {"comment": comment})


@login_required
@require_POST
def react(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = _public_comment(comment_id)
    try:
        if request.POST.get("undo"):
            services.unreact(request.user, comment)
        else:
            services.react(request.user, comment)
    except services.CommentError as error:
        if request.htmx:
            return HttpResponse(error.message, status=error.status)
        messages.error(request, error.message)
    if request.htmx:
        reacted = bool(selectors.reacted_ids(request.user, [comment.pk]))
        return render(request, "discussions/_reaction.html", {"comment": comment, "reacted": reacted})
    return redirect(comment_url(comment))


@login_required
@require_POST
def feature(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = _public_comment(comment_id)
    try:
        services.set_featured(request.user, comment, featured=not request.POST.get("undo"))
    except services.CommentError as error:
        raise PermissionDenied(error.message) from None
    return redirect(comment_url(comment))


def events_stream(request: HtmxRequest, thread_id: int) -> StreamingHttpResponse:
    """Server-Sent Events for one thread: new comments and reaction counts, as they happen.

    `?after=ID` (or the Last-Event-ID header) is the newest comment the page has; the first
    event tells how many published comments it missed, so a reconnect loses nothing.
    """
    thread = get_object_or_404(Thread, pk=thread_id)
    last_seen = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    after = int(last_seen) if last_seen.isdigit() else 0
    missed = selectors.new_comment_count(thread, after) if after else 0
    preface = [f"event: missed\ndata: {json.dumps({'count': missed})}\n\n"] if missed else []
    return event_stream(thread_channel(thread.pk), preface)
