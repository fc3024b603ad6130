"""Discussion pages and actions.  Every action works as a plain form post; htmx only enhances."""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.selectors import muted_ids
from agora.ratelimit import client_ip
from agora.requests import HtmxRequest
from discussions import pages, selectors, services
from discussions.errors import CommentError
from discussions.events import thread_channel
from discussions.forms import CommentForm
from discussions.live import event_stream
from discussions.models import Comment, Thread
from moderation import services as moderation
from moderation.nudge import Draft, NudgeRequired
from posting import actions
from posting.standing import standing


def comment_url(comment: Comment) -> str:
    return reverse("discussions:permalink", args=[comment.pk]) + f"#c{comment.pk}"


def public_comment(comment_id: int) -> Comment:
    """A published comment, to reply to, react to or feature (the site's and the embed's views)."""
    comment = get_object_or_404(Comment.objects.select_related("thread__article", "author"), pk=comment_id)
    if not comment.is_public or not comment.thread.is_public:
        raise Http404("This comment is not public.")
    return comment


def shown_comment(request: HtmxRequest, comment_id: int) -> Comment:
    """A comment as the thread shows it to this reader: published, a tombstone, the placeholder of one
    that holds published replies, or their own awaiting review; 404 for anything else (and for any
    comment of a thread readers cannot see)."""
    comment = get_object_or_404(Comment.objects.select_related("thread__article"), pk=comment_id)
    shown = comment.is_public or comment.is_tombstone or comment.reply_count
    if comment.thread.is_public and (shown or comment.is_readable_by(request.user)):
        return comment
    raise Http404("This comment is not public.")


def public_thread(thread_id: int) -> Thread:
    """The thread, with its article; a 404 as for a missing one when readers cannot see it (is_public)."""
    thread = get_object_or_404(Thread.objects.select_related("article"), pk=thread_id)
    if not thread.is_public:
        raise Http404("No thread here.")
    return thread


def thread_detail(request: HtmxRequest, thread_id: int) -> HttpResponse:
    thread = public_thread(thread_id)
    if thread.article_id:
        return redirect(thread.get_absolute_url())
    return render(request, "discussions/thread_page.html", {"thread": thread})


def conversation(
    request: HtmxRequest, comment: Comment, template: str, after_path: str | None = None
) -> HttpResponse:
    """The conversation at one comment: its root, and its replies from that comment on (or, with
    `after_path`, the next page of the root's replies).  The site and the embed render it alike."""
    root = selectors.comment_with_people(comment.root_id or comment.pk)
    if after_path is None:
        replies, cursor = selectors.replies_page(root, from_path=comment.path, user=request.user)
        earlier = bool(replies) and replies[0].path != selectors.first_reply_path(root, request.user)
    else:
        replies, cursor = selectors.replies_page(root, after_path=after_path, user=request.user)
        earlier = True
    node = selectors.ThreadNode(comment=root, replies=replies, replies_cursor=cursor)
    context = {
        "thread": comment.thread,
        "target": comment,
        "node": node,
        "has_earlier_replies": earlier,
        "reacted_ids": selectors.reacted_ids(request.user, [root.pk, *[r.pk for r in replies]]),
        "standing": standing(request.user, comment.thread),
        "muted_ids": muted_ids(request.user),
        "can_feature": request.user.has_perm("discussions.feature_comment"),
    }
    if request.htmx and after_path is not None:
        return render(request, "discussions/_replies.html", context)
    return render(request, template, context)


def permalink(request: HtmxRequest, comment_id: int) -> HttpResponse:
    return conversation(request, shown_comment(request, comment_id), "discussions/permalink.html")


def moderation_message(comment: Comment) -> tuple[int, str]:
    """The level and words telling an author why their comment is not public (yet)."""
    decision = getattr(comment, "moderation", None)  # absent when a retried post returns the first one
    if comment.status == Comment.Status.REJECTED:
        return messages.ERROR, decision.message if decision else "Your comment was not published."
    return messages.INFO, decision.message if decision else "Thanks — your comment is waiting for review."


def posted_outcome(comment: Comment) -> str:
    if comment.is_public:
        return "Your reply is published." if comment.parent_id else "Your comment is published."
    return moderation_message(comment)[1]


def _show_posted(request: HtmxRequest, comment: Comment) -> HttpResponse:
    """The outcome where the reader is: to htmx, in place of the form (with a fresh one for a new
    comment); otherwise back to the discussion, whose outcome box shows the comment (#posted)."""
    if not request.htmx:
        pages.remember_posted(request, comment, posted_outcome(comment))
        return redirect(comment.thread.get_absolute_url().split("#")[0] + "#posted")
    context = {
        "thread": comment.thread,
        "posted": selectors.comment_with_people(comment.pk),
        "posted_outcome": posted_outcome(comment),
        "form": None if comment.parent_id else CommentForm(),
        "parent": None,
        "standing": standing(request.user, comment.thread),
    }
    return render(request, "discussions/_posted.html", context)


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


def rejected_form(request: HtmxRequest, comment: Comment) -> CommentForm:
    """A rejected draft back in its box, with the reason, to rewrite: under a fresh key (the old one
    names the rejected comment, so posting with it again would only return that one)."""
    data = request.POST.copy()
    data["client_key"], data["nudge"] = CommentForm().initial["client_key"], ""
    form = CommentForm(data)
    form.is_valid()
    form.add_error("body", f"{moderation_message(comment)[1]} You can rewrite it and post again.")
    form.fields["body"].widget.attrs["autofocus"] = True
    return form


def submit_comment(
    request: HtmxRequest, thread: Thread, parent: Comment | None, compose_template: str
) -> HttpResponse:
    """Post from the compose form (the site's and the embed's) and show the outcome where the reader is:
    published or held, beside the comment box; a nudge, a refusal or a rejection, in the box with the
    draft kept (`compose_template` is the page for that without htmx)."""
    form, nudge, status = CommentForm(request.POST), None, 400
    if form.is_valid():
        try:
            comment = actions.post_comment(
                request.user,
                thread,
                form.cleaned_data["body"],
                parent,
                form.cleaned_data["client_key"] or None,
                ip=client_ip(request),
                draft=compose_draft(request, form),
            )
        except NudgeRequired as nudged:  # nothing posted: the form again, with the warning
            form, nudge, status = nudged_form(request, nudged), nudged, 200
        except CommentError as error:
            form.add_error("body", error.message)
            status = error.status
        else:
            if comment.status != Comment.Status.REJECTED:
                return _show_posted(request, comment)
            form, status = rejected_form(request, comment), 200
    context = {"thread": thread, "parent": parent, "form": form, "nudge": nudge}
    return compose(request, context, status, compose_template)


def compose(request: HtmxRequest, context: dict, status: int, template: str) -> HttpResponse:
    """The compose form again (a nudge, or a refusal): to htmx just the form, which swaps itself in place."""
    if request.htmx:
        return render(request, "discussions/_compose_form.html", context, status=status)
    context["standing"] = standing(request.user, context["thread"])
    return render(request, template, context, status=status)


def submit_to_thread(request: HtmxRequest, thread: Thread, compose_template: str) -> HttpResponse:
    """The comment box's form posted to a thread (its hidden `parent` makes it a reply)."""
    parent_id = request.POST.get("parent", "")
    parent = None
    if parent_id:
        parent = Comment.objects.filter(pk=int(parent_id) if parent_id.isdecimal() else 0).first()
        if parent is None:
            form = CommentForm(request.POST)
            form.is_valid()
            form.add_error("body", "The comment you are replying to does not exist.")
            return compose(request, {"thread": thread, "form": form}, 404, compose_template)
    return submit_comment(request, thread, parent, compose_template)


def reply_form(request: HtmxRequest, parent: Comment, compose_template: str) -> HttpResponse:
    """The reply box under a comment (to htmx just the form), and its submission."""
    if request.method == "POST":
        return submit_comment(request, parent.thread, parent, compose_template)
    form = CommentForm(initial={"parent": parent.pk})
    return compose(request, {"thread": parent.thread, "parent": parent, "form": form}, 200, compose_template)


@login_required
@require_POST
def post(request: HtmxRequest, thread_id: int) -> HttpResponse:
    return submit_to_thread(request, public_thread(thread_id), "discussions/compose.html")


@login_required
def reply(request: HtmxRequest, comment_id: int) -> HttpResponse:
    return reply_form(request, public_comment(comment_id), "discussions/compose.html")


def more_comments(request: HtmxRequest, thread_id: int) -> HttpResponse:
    """The next page of top-level comments: to htmx the items "Show more comments" appends."""
    thread = public_thread(thread_id)
    cursor = request.GET.get("after", "")
    if not request.htmx:
        query = urlencode({"sort": request.GET.get("sort", ""), "comments_after": cursor})
        return redirect(f"{thread.get_absolute_url().split('#')[0]}?{query}#discussion")
    return render(request, "discussions/_thread_nodes.html", pages.thread_context(request, thread, cursor))


def more_replies(request: HtmxRequest, comment_id: int) -> HttpResponse:
    root = shown_comment(request, comment_id)
    return conversation(request, root, "discussions/permalink.html", after_path=request.GET.get("after", ""))


@login_required
def edit(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("thread__article"), pk=comment_id)
    if not comment.thread.is_public:
        raise Http404("No comment here.")
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
        actions.edit_comment(
            request.user,
            comment,
            form.cleaned_data["body"],
            ip=client_ip(request),
            draft=compose_draft(request, form),
        )
    except NudgeRequired as nudged:  # nothing saved: the new wording again, with the warning
        return nudged_form(request, nudged), nudged, 200
    except CommentError as error:
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
    if not comment.thread.is_public:
        raise Http404("No comment here.")
    if comment.author_id != request.user.pk:
        raise PermissionDenied("You can only delete your own comments.")
    if request.method == "POST":
        actions.delete_own_comment(request.user, comment)
        messages.success(request, "Your comment is deleted. Replies to it stay in the thread.")
        return redirect(comment.thread.get_absolute_url())
    return render(request, "discussions/delete.html", {"comment": comment})


@login_required
@require_POST
def react(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = public_comment(comment_id)
    try:
        if request.POST.get("undo"):
            services.unreact(request.user, comment)
        else:
            services.react(request.user, comment)
    except CommentError as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect(comment_url(comment))
        refusal, status = error.message, error.status  # shown beside the button it refused
    else:
        if not request.htmx:
            return redirect(comment_url(comment))
        refusal, status = "", 200
    reacted = bool(selectors.reacted_ids(request.user, [comment.pk]))
    context = {"comment": comment, "reacted": reacted, "refusal": refusal}
    return render(request, "discussions/_reaction.html", context, status=status)


@login_required
@require_POST
def feature(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = public_comment(comment_id)
    try:
        moderation.set_featured(request.user, comment, featured=not request.POST.get("undo"))
    except CommentError as error:
        raise PermissionDenied(error.message) from None
    return redirect(comment_url(comment))


def events_stream(request: HtmxRequest, thread_id: int) -> HttpResponse:
    """Server-Sent Events for one thread: new comments and reaction counts, as they happen.

    `?after=ID` (or the Last-Event-ID header) is the newest comment the page has; the first
    event tells how many published comments it missed, so a reconnect loses nothing.
    """
    thread = public_thread(thread_id)
    last_seen = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    after = int(last_seen) if last_seen.isdecimal() else 0

    def missed() -> list[str]:
        count = selectors.new_comment_count(thread, after) if after else 0
        return [f"event: missed\ndata: {json.dumps({'count': count})}\n\n"] if count else []

    return event_stream(request, thread_channel(thread.pk), missed)
