"""The embed: a script for publishers' pages, and the pages shown in its iframe.

Every page here is `@framed` (embed.framing): frameable by the allowed publishers only, and
built with the embed URL map, so the shared discussion templates link to the twins below.
Posting, editing and reacting go through discussions.services like the site's own views;
logging in and signing up reuse the accounts views (their throttles, roles and emails).
"""

import posixpath
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import RedirectURLMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts import views as account_views
from accounts.forms import SignupForm
from agora import ratelimit
from agora.requests import HtmxRequest
from discussions import views as discussion_views
from discussions.models import Comment
from embed import stories
from embed.framing import error_page, framed
from moderation import views as moderation_views
from posting import actions

SCRIPT = Path(__file__).resolve().parent / "static" / "embed" / "embed.js"
THREAD_CREATION_PERIOD = 60 * 60


# --- The publisher's script -----------------------------------------------------------


@require_safe
def script(request: HtmxRequest) -> HttpResponse:
    response = HttpResponse(SCRIPT.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    # Loadable from publishers' pages that isolate themselves (Cross-Origin-Embedder-Policy).
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# --- A story's discussion ---------------------------------------------------------------


@framed
@require_safe
def story_thread(request: HtmxRequest) -> HttpResponse:
    """/embed/thread/?url=STORY&title=TITLE: find (or start) the story's thread and show it."""
    raw_url = request.GET.get("url", "")
    title = stories.clean_title(request.GET.get("title", ""))
    try:
        url = stories.clean_story_url(raw_url)
        thread = stories.existing_thread(url, raw_url)
    except stories.Refused as refusal:
        return error_page(request, refusal.status, refusal.message)
    if thread is None:
        verdict = ratelimit.hit(
            "embed-thread",
            ratelimit.client_ip(request),
            settings.EMBED_THREAD_CREATES_PER_HOUR,
            THREAD_CREATION_PERIOD,
        )
        if not verdict.allowed:
            response = error_page(
                request, 429, "Too many new discussions were started from your network. Try again later."
            )
            response["Retry-After"] = str(verdict.retry_after)
            return response
        thread = stories.create_thread(url, title)
    else:
        stories.fill_missing_title(thread, title)
    # To the embed twin of the thread page (this view runs with the embed URL map): at a path
    # of its own, the discussion's relative sort, paging and login links keep working.
    return redirect("discussions:thread", thread.pk)


@framed
def thread_page(request: HtmxRequest, thread_id: int) -> HttpResponse:
    thread = discussion_views.public_thread(thread_id)
    return render(
        request, "embed/thread.html", {"thread": thread, "live_updates": settings.EMBED_LIVE_UPDATES}
    )


# --- Logging in and out, signing up ---------------------------------------------------


def _inside_embed(url: str) -> bool:
    """Only embed pages can be shown in the iframe, so only they are places to return to."""
    parts = urlsplit(url or "")
    path = posixpath.normpath(parts.path) + "/"  # "/embed/../accounts/" is not inside
    return not parts.scheme and not parts.netloc and path.startswith("/embed/")


def _embed_next(request: HtmxRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if _inside_embed(target) else ""


class ReturnIntoEmbed(RedirectURLMixin):
    # `request` only matches django-stubs' signature; Django 5.2 calls this without arguments.
    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        url = super().get_redirect_url()
        return url if _inside_embed(url) else ""

    def get_default_redirect_url(self) -> str:
        return reverse("accounts:login")  # the embed's login page, which says who is logged in


class LoginView(ReturnIntoEmbed, account_views.LoginView):
    template_name = "embed/login.html"


class LogoutView(ReturnIntoEmbed, auth_views.LogoutView):
    pass


login = framed(LoginView.as_view())
logout = framed(LogoutView.as_view())


@framed
def signup(request: HtmxRequest) -> HttpResponse:
    next_url = _embed_next(request)
    status, refusal, retry_after = 200, "", ""
    if request.method == "POST":
        # The site's own sign-up does the work (throttling, roles, the confirmation email);
        # this page only shows its form, or its outcome, inside the iframe.
        outcome = account_views.signup(request)
        if outcome.status_code in (301, 302, 303):
            return redirect(next_url or "accounts:login")
        status = outcome.status_code
        if status == 429:
            refusal = "Too many attempts. Please try again later."
            retry_after = outcome.get("Retry-After", "")
    form = SignupForm(request.POST or None)
    if form.is_bound:
        form.is_valid()  # the same errors the site's view found, for this page
    context = {"form": form, "next": next_url, "refusal": refusal}
    page = render(request, "embed/signup.html", context, status=status)
    if retry_after:
        page["Retry-After"] = retry_after
    return page


# --- Posting, replying, editing: the discussion pages inside the iframe ---------------


@framed
@login_required
@require_POST
def post(request: HtmxRequest, thread_id: int) -> HttpResponse:
    thread = discussion_views.public_thread(thread_id)
    return discussion_views.submit_to_thread(request, thread, "embed/compose.html")


@framed
@login_required
def reply(request: HtmxRequest, comment_id: int) -> HttpResponse:
    return discussion_views.reply_form(
        request, discussion_views.public_comment(comment_id), "embed/compose.html"
    )


@framed
def permalink(request: HtmxRequest, comment_id: int) -> HttpResponse:
    """The conversation at one comment: its root, and the replies from it onwards."""
    comment = discussion_views.shown_comment(request, comment_id)
    return discussion_views.conversation(request, comment, "embed/permalink.html")


@framed
def more_replies(request: HtmxRequest, comment_id: int) -> HttpResponse:
    root = discussion_views.shown_comment(request, comment_id)
    after = request.GET.get("after", "")
    return discussion_views.conversation(request, root, "embed/permalink.html", after_path=after)


def _own_comment(request: HtmxRequest, comment_id: int, action: str) -> Comment:
    comment = get_object_or_404(Comment.objects.select_related("thread__article"), pk=comment_id)
    if not comment.thread.is_public:
        raise Http404("No comment here.")
    if comment.author_id != request.user.pk:
        raise PermissionDenied(f"You can only {action} your own comments.")
    return comment


@framed
@login_required
def edit(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = _own_comment(request, comment_id, "edit")
    form, nudge, status = discussion_views.submit_edit(request, comment)
    if form is None:
        permalink = reverse("discussions:permalink", args=[comment.pk]) + f"#c{comment.pk}"
        thread_url = reverse("discussions:thread", args=[comment.thread_id]) + "#discussion"
        return discussion_views.after_editing(request, comment, permalink, thread_url)
    return render(
        request, "embed/edit.html", {"comment": comment, "form": form, "nudge": nudge}, status=status
    )


@framed
@login_required
def delete(request: HtmxRequest, comment_id: int) -> HttpResponse:
    comment = _own_comment(request, comment_id, "delete")
    if request.method == "POST":
        actions.delete_own_comment(request.user, comment)
        messages.success(request, "Your comment is deleted. Replies to it stay in the thread.")
        return redirect("discussions:thread", comment.thread_id)
    return render(request, "embed/delete.html", {"comment": comment})


@framed
def report(request: HtmxRequest, comment_id: int) -> HttpResponse:
    """The site's report form and its rules (moderation.views.report), in the iframe."""
    return moderation_views.report(request, comment_id, template_name="embed/report.html")


# Their pages are fragments (htmx) or redirects, which the embed URL map keeps in the embed.
more_comments = framed(discussion_views.more_comments)
react = framed(discussion_views.react)
feature = framed(discussion_views.feature)
